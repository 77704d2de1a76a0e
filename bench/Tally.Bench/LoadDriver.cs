using System.Diagnostics;

namespace Tally.Bench;

/// <summary>One path under load: where requests go, how each is built, and which status counts as a success.</summary>
internal sealed class LoadTarget
{
    public required string Name { get; init; }

    public required ServerProcess Server { get; init; }

    /// <summary>Builds request number <c>iteration</c> of worker <c>worker</c>.</summary>
    public required Func<int, long, HttpRequestMessage> CreateRequest { get; init; }

    /// <summary>The status a correct answer has (2xx by default; 401 for the invalid-token diagnostic).</summary>
    public Func<int, bool> IsExpected { get; init; } = status => status is >= 200 and < 300;
}

/// <summary>What one path did in the measured window.</summary>
internal sealed record LoadResult(
    string Name,
    double Seconds,
    long Successes,
    long UnexpectedResponses,
    long Exceptions,
    long UnrecordedLatencies,
    IReadOnlyDictionary<int, long> UnexpectedStatuses,
    string? FirstError,
    long[] SortedLatencyTicks,
    TimeSpan ServerCpu,
    TimeSpan DriverCpu,
    double MachineCpuPercent,
    TimeSpan PostgresCpu)
{
    /// <summary>Seconds of load before the measured window (set by the caller).</summary>
    public double WarmupSeconds { get; init; }

    public double RequestsPerSecond => Successes / Seconds;

    public long Errors => UnexpectedResponses + Exceptions;

    public double PercentileMs(double p)
    {
        if (SortedLatencyTicks.Length == 0)
        {
            return double.NaN;
        }

        // Nearest-rank percentile.
        var rank = (int)Math.Ceiling(p / 100 * SortedLatencyTicks.Length);
        return TicksToMs(SortedLatencyTicks[Math.Clamp(rank, 1, SortedLatencyTicks.Length) - 1]);
    }

    public double MaxMs => SortedLatencyTicks.Length == 0 ? double.NaN : TicksToMs(SortedLatencyTicks[^1]);

    /// <summary>Server CPU as a share of one core (2 cores = 200 %).</summary>
    public double ServerCpuPercent => ServerCpu.TotalSeconds / Seconds * 100;

    public double DriverCpuPercent => DriverCpu.TotalSeconds / Seconds * 100;

    /// <summary>CPU used by everything else on the machine during the window (other users' work skews the figures).</summary>
    public double OtherCpuPercent => double.IsNaN(MachineCpuPercent) ? double.NaN : Math.Max(0, MachineCpuPercent - ServerCpuPercent - DriverCpuPercent - PostgresCpuPercent);

    /// <summary>CPU of all processes named <c>postgres</c> (the database server's backends) during the window.</summary>
    public double PostgresCpuPercent => PostgresCpu.TotalSeconds / Seconds * 100;

    /// <summary>Server CPU time per successful request, in microseconds.</summary>
    public double ServerCpuMicrosPerRequest => Successes == 0 ? double.NaN : ServerCpu.TotalMicroseconds / Successes;

    /// <summary>Several measured slices of one path as one window: counts, CPU and seconds add up, latencies merge.</summary>
    public static LoadResult Combine(IReadOnlyList<LoadResult> slices)
    {
        if (slices.Count == 1)
        {
            return slices[0];
        }

        var seconds = slices.Sum(r => r.Seconds);
        var latencies = slices.SelectMany(r => r.SortedLatencyTicks).ToArray();
        Array.Sort(latencies);
        return new LoadResult(
            slices[0].Name,
            seconds,
            slices.Sum(r => r.Successes),
            slices.Sum(r => r.UnexpectedResponses),
            slices.Sum(r => r.Exceptions),
            slices.Sum(r => r.UnrecordedLatencies),
            slices.SelectMany(r => r.UnexpectedStatuses).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value)),
            slices.Select(r => r.FirstError).FirstOrDefault(e => e is not null),
            latencies,
            TimeSpan.FromTicks(slices.Sum(r => r.ServerCpu.Ticks)),
            TimeSpan.FromTicks(slices.Sum(r => r.DriverCpu.Ticks)),
            slices.Sum(r => r.MachineCpuPercent * r.Seconds) / seconds,
            TimeSpan.FromTicks(slices.Sum(r => r.PostgresCpu.Ticks)));
    }

    private static double TicksToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}

/// <summary>
/// Closed-loop HTTP load: <c>C</c> workers, each sending its next request as soon as the previous answer is read, for a
/// warm-up and then a measured window, both bounded in time. Requests that start inside the window are counted; every
/// counted latency goes into a per-worker buffer allocated before the run.
/// </summary>
internal static class LoadDriver
{
    /// <summary>Upper bound on the rate the latency buffers are sized for (well above what 2 cores can serve).</summary>
    private const int MaxExpectedRequestsPerSecond = 200_000;

    public static async Task<LoadResult> RunAsync(HttpClient client, LoadTarget target, int workers, double warmupSeconds, double seconds, CancellationToken ct)
    {
        var capacity = (int)Math.Min(int.MaxValue / 2, (MaxExpectedRequestsPerSecond * seconds / workers) + 1024);
        var buffers = new long[workers][];
        for (var w = 0; w < workers; w++)
        {
            buffers[w] = new long[capacity];
            Array.Fill(buffers[w], 0L); // touch the pages now, not during the run
        }

        var start = Stopwatch.GetTimestamp();
        var warmupEnd = start + (long)(warmupSeconds * Stopwatch.Frequency);
        var end = warmupEnd + (long)(seconds * Stopwatch.Frequency);

        // Hard stop: requests still in flight this long after the window are abandoned.
        using var hardStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        hardStop.CancelAfter(TimeSpan.FromSeconds(warmupSeconds + seconds + 15));

        var cpu = SampleCpuAsync(target.Server, warmupEnd, end, hardStop.Token);
        var tasks = new Task<WorkerResult>[workers];
        for (var w = 0; w < workers; w++)
        {
            var worker = w;
            tasks[w] = Task.Run(() => WorkerAsync(client, target, worker, buffers[worker], warmupEnd, end, hardStop.Token), CancellationToken.None);
        }

        var results = await Task.WhenAll(tasks);
        var (serverCpu, driverCpu, machineCpu, postgresCpu) = await cpu;
        ct.ThrowIfCancellationRequested();

        var latencies = new long[results.Sum(r => r.Recorded)];
        var offset = 0;
        for (var w = 0; w < workers; w++)
        {
            Array.Copy(buffers[w], 0, latencies, offset, results[w].Recorded);
            offset += results[w].Recorded;
        }

        Array.Sort(latencies);
        var statuses = new Dictionary<int, long>();
        foreach (var (status, count) in results.SelectMany(r => r.UnexpectedStatuses))
        {
            statuses[status] = statuses.GetValueOrDefault(status) + count;
        }

        return new LoadResult(
            target.Name,
            seconds,
            results.Sum(r => r.Successes),
            results.Sum(r => r.Unexpected),
            results.Sum(r => r.Exceptions),
            results.Sum(r => r.Unrecorded),
            statuses,
            results.Select(r => r.FirstError).FirstOrDefault(e => e is not null),
            latencies,
            serverCpu,
            driverCpu,
            machineCpu,
            postgresCpu);
    }

    private static async Task<WorkerResult> WorkerAsync(
        HttpClient client, LoadTarget target, int worker, long[] buffer, long warmupEnd, long end, CancellationToken ct)
    {
        var result = new WorkerResult();
        for (long iteration = 0; ; iteration++)
        {
            var started = Stopwatch.GetTimestamp();
            if (started >= end || ct.IsCancellationRequested)
            {
                break;
            }

            var measured = started >= warmupEnd;
            int status;
            try
            {
                using var request = target.CreateRequest(worker, iteration);
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
                status = (int)response.StatusCode;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
            {
                // A refused/reset connection or a per-request timeout (HttpClient.Timeout).
                if (measured)
                {
                    result.Exceptions++;
                }

                result.FirstError ??= $"{e.GetType().Name}: {e.Message}";
                await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
                continue;
            }

            var elapsed = Stopwatch.GetTimestamp() - started;
            if (!measured)
            {
                continue;
            }

            if (!target.IsExpected(status))
            {
                result.Unexpected++;
                result.UnexpectedStatuses[status] = result.UnexpectedStatuses.GetValueOrDefault(status) + 1;
                continue;
            }

            result.Successes++;
            if (result.Recorded < buffer.Length)
            {
                buffer[result.Recorded++] = elapsed;
            }
            else
            {
                result.Unrecorded++;
            }
        }

        return result;
    }

    /// <summary>
    /// Server and driver CPU time used between <paramref name="from"/> and <paramref name="to"/> (Stopwatch timestamps),
    /// and the whole machine's busy CPU in that window as a percentage of one core (NaN without /proc/stat).
    /// </summary>
    private static async Task<(TimeSpan Server, TimeSpan Driver, double MachinePercent, TimeSpan Postgres)> SampleCpuAsync(
        ServerProcess server, long from, long to, CancellationToken ct)
    {
        try
        {
            await Task.Delay(Until(from), ct).ConfigureAwait(false);
            var server0 = server.CpuTime;
            var driver0 = DriverCpu();
            var machine0 = MachineTicks();
            var postgres0 = PostgresTicks();
            await Task.Delay(Until(to), ct).ConfigureAwait(false);
            var machine1 = MachineTicks();
            var postgres = PostgresCpuSince(postgres0);
            var busy = machine1.Busy - machine0.Busy;
            var total = machine1.Total - machine0.Total;
            var machinePercent = machine0.Total == 0 || total <= 0 ? double.NaN : (double)busy / total * Environment.ProcessorCount * 100;
            return (server.CpuTime - server0, DriverCpu() - driver0, machinePercent, postgres);
        }
        catch (OperationCanceledException)
        {
            return (TimeSpan.Zero, TimeSpan.Zero, double.NaN, TimeSpan.Zero);
        }
        catch (InvalidOperationException)
        {
            // The server exited; the error count shows it.
            return (TimeSpan.Zero, TimeSpan.Zero, double.NaN, TimeSpan.Zero);
        }
    }

    /// <summary>
    /// CPU the <c>postgres</c> processes used since <paramref name="before"/> (a <see cref="PostgresTicks"/> sample): a
    /// process alive then counts its growth, one started since counts all its CPU, one ended since is missed (jiffies,
    /// 100 per second on Linux).
    /// </summary>
    internal static TimeSpan PostgresCpuSince(Dictionary<int, long> before) =>
        TimeSpan.FromSeconds(PostgresTicks().Sum(kv => before.TryGetValue(kv.Key, out var b) ? Math.Max(0, kv.Value - b) : kv.Value) / 100.0);

    /// <summary>utime + stime jiffies of every process whose name is <c>postgres</c>, by pid (empty without /proc).</summary>
    internal static Dictionary<int, long> PostgresTicks()
    {
        var result = new Dictionary<int, long>();
        if (!Directory.Exists("/proc"))
        {
            return result;
        }

        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var open = stat.IndexOf('(', StringComparison.Ordinal);
                var close = stat.LastIndexOf(')');
                if (open < 0 || close < open || stat[(open + 1)..close] != "postgres")
                {
                    continue;
                }

                // Fields after the name: state(0) ppid(1) ... utime(11) stime(12).
                var fields = stat[(close + 2)..].Split(' ');
                result[pid] = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture)
                    + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // Exited meanwhile.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to read.
            }
        }

        return result;
    }

    /// <summary>Aggregate jiffies from the first line of /proc/stat: busy (all but idle and iowait) and total.</summary>
    public static (long Busy, long Total) MachineTicks()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            var fields = reader.ReadLine()?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields is not { Length: >= 8 } || fields[0] != "cpu")
            {
                return (0, 0);
            }

            // user nice system idle iowait irq softirq steal (guest time is already inside user/nice)
            var values = fields.Skip(1).Take(8).Select(f => long.Parse(f, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            var total = values.Sum();
            return (total - values[3] - values[4], total);
        }
        catch (IOException)
        {
            return (0, 0);
        }
        catch (UnauthorizedAccessException)
        {
            return (0, 0);
        }
    }

    /// <summary>
    /// Waits until the whole machine has used less than <paramref name="thresholdPercent"/> of one core for 3 s in a row
    /// (the servers are idle then, so this is other users' work), for <paramref name="maxWait"/> at most.
    /// Returns the seconds waited, or null when the machine did not go quiet (or /proc/stat is unreadable).
    /// </summary>
    public static async Task<double?> WaitForQuietAsync(double thresholdPercent, TimeSpan maxWait, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var quiet = 0;
        var before = MachineTicks();
        while (before.Total > 0 && Stopwatch.GetElapsedTime(started) < maxWait)
        {
            await Task.Delay(1000, ct).ConfigureAwait(false);
            var after = MachineTicks();
            var total = after.Total - before.Total;
            var percent = total <= 0 ? 0 : (double)(after.Busy - before.Busy) / total * Environment.ProcessorCount * 100;
            before = after;
            quiet = percent < thresholdPercent ? quiet + 1 : 0;
            if (quiet >= 3)
            {
                return Stopwatch.GetElapsedTime(started).TotalSeconds;
            }
        }

        return null;
    }

    /// <summary>
    /// CPU ticks (1/100 s on Linux) used so far by the runtime's tiered-compilation thread(s) of process <paramref name="pid"/>
    /// (thread name ".NET Tiered Compilation Worker", shown truncated in /proc). The thread exits when idle, so its time
    /// is lost then: callers compare two readings a few seconds apart and treat "no growth" as "the JIT is quiet".
    /// Returns 0 when /proc is unreadable.
    /// </summary>
    public static long JitTicks(int pid)
    {
        long ticks = 0;
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                string stat;
                try
                {
                    stat = File.ReadAllText(Path.Combine(task, "stat"));
                }
                catch (IOException)
                {
                    continue; // the thread ended between listing and reading
                }

                var open = stat.IndexOf('(', StringComparison.Ordinal);
                var close = stat.LastIndexOf(')');
                if (open < 0 || close < open || !stat.AsSpan(open + 1, close - open - 1).StartsWith(".NET Tiered", StringComparison.Ordinal))
                {
                    continue;
                }

                // after ") ": state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15)
                var fields = stat[(close + 2)..].Split(' ');
                ticks += long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture)
                    + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }

        return ticks;
    }

    private static TimeSpan Until(long timestamp)
    {
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }

    private static TimeSpan DriverCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    private sealed class WorkerResult
    {
        public long Successes { get; set; }

        public int Recorded { get; set; }

        public long Unrecorded { get; set; }

        public long Unexpected { get; set; }

        public long Exceptions { get; set; }

        public Dictionary<int, long> UnexpectedStatuses { get; } = [];

        public string? FirstError { get; set; }
    }
}
