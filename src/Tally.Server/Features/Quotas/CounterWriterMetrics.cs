using Prometheus;
using Tally.Storage;

namespace Tally.Server.Features.Quotas;

/// <summary>
/// The admission writer loop at <c>/metrics</c> (totals since start): batches, calls, and the loop's wall time running
/// batches and answering callers. Over an interval: calls ÷ batches is the group-commit size, and (execute + answer)
/// seconds ÷ the interval is how busy the one loop was — near 1 it bounds admission throughput.
/// </summary>
public sealed class CounterWriterMetrics : ICounterWriterObserver
{
    private static readonly Counter Batches = Metrics.CreateCounter(
        "tally_quota_writer_batches_total", "Admission batches run by the writer loop (one transaction each).");

    private static readonly Counter Calls = Metrics.CreateCounter(
        "tally_quota_writer_calls_total", "Admit and release calls in those batches.");

    private static readonly Counter ExecuteSeconds = Metrics.CreateCounter(
        "tally_quota_writer_execute_seconds_total", "Writer loop time running batches: statements and the durable commit.");

    private static readonly Counter AnswerSeconds = Metrics.CreateCounter(
        "tally_quota_writer_answer_seconds_total", "Writer loop time completing the callers of committed batches.");

    /// <summary>Shows the totals (at 0) from start, before the first admission creates the writer loop.</summary>
    public static void Publish()
    {
        foreach (var counter in new[] { Batches, Calls, ExecuteSeconds, AnswerSeconds })
        {
            counter.Publish();
        }
    }

    public void OnBatch(int calls, TimeSpan execute, TimeSpan answer)
    {
        Batches.Inc();
        Calls.Inc(calls);
        ExecuteSeconds.Inc(execute.TotalSeconds);
        AnswerSeconds.Inc(answer.TotalSeconds);
    }
}
