namespace Tally.Server.Features.Billing;

/// <summary>
/// When <see cref="BillingOptions.Schedule"/>, starts one billing run per UTC day at <see cref="BillingOptions.RunHour"/>,
/// and at start-up when today's hour has passed and today's run does not exist yet. The run's id is
/// <see cref="BillingRuns.DailyId"/>: with several processes on one database every one tries to insert the same row, the
/// primary key lets one through and the others do nothing. Time comes only from the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class BillingScheduler(BillingRuns runs, BillingRunQueue queue, BillingOptions options, TimeProvider clock, ILogger<BillingScheduler> logger)
    : BackgroundService
{
    /// <summary>Who scheduled runs are requested by.</summary>
    public const string RequestedBy = "scheduler";

    private static readonly TimeSpan RetryAfter = TimeSpan.FromMinutes(1);

    /// <summary>The instant of the first run at or after <paramref name="now"/> (today's at <paramref name="runHour"/>, else tomorrow's).</summary>
    public static DateTimeOffset NextRunAt(DateTimeOffset now, int runHour)
    {
        var today = new DateTimeOffset(BillingRuns.Today(now).ToDateTime(new TimeOnly(runHour, 0), DateTimeKind.Utc));
        return now.UtcDateTime < today.UtcDateTime ? today : today.AddDays(1);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Schedule)
        {
            return;
        }

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var now = clock.GetUtcNow();
                var wait = TimeSpan.Zero;
                if (now.UtcDateTime.Hour >= options.RunHour)
                {
                    try
                    {
                        await StartTodaysRunAsync(BillingRuns.Today(now), stoppingToken);
                        wait = NextRunAt(now, options.RunHour) - now;
                    }
                    catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                    {
                        return;
                    }
#pragma warning disable CA1031 // e.g. the database is down: try again shortly
                    catch (Exception e)
#pragma warning restore CA1031
                    {
                        logger.LogError(e, "Could not start today's billing run; retrying in {Retry}", RetryAfter);
                        wait = RetryAfter;
                    }
                }
                else
                {
                    wait = NextRunAt(now, options.RunHour) - now;
                }

                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.FromSeconds(1), clock, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }

    private async Task StartTodaysRunAsync(DateOnly today, CancellationToken ct)
    {
        var id = BillingRuns.DailyId(today);
        if (await runs.TryCreateAsync(id, today, [], dryRun: false, RequestedBy, ct) is not null)
        {
            if (logger.IsEnabled(LogLevel.Information))
            {
                logger.LogInformation("Scheduled billing run {Run} queued", id);
            }

            queue.Enqueue(id);
        }
    }
}
