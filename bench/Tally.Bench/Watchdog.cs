using System.Diagnostics;
using System.Globalization;

namespace Tally.Bench;

/// <summary>
/// A separate small process that kills the benchmark's child servers when the driver disappears without cleaning up
/// (e.g. SIGKILL), so no server outlives a run. It exits by itself as soon as every watched process is gone, and after
/// <c>--max-seconds</c> at the latest (killing what is left).
/// </summary>
internal static class Watchdog
{
    /// <summary>
    /// Ends a run after its servers were disposed: lets the watchdog (if one was started) notice and exit, killing it after
    /// 3 s, then deletes the run's work directory, best effort (it is in the temp directory).
    /// </summary>
    public static void Release(Process? watchdog, DirectoryInfo work)
    {
        if (watchdog is not null)
        {
            if (!watchdog.WaitForExit(3000))
            {
                watchdog.Kill();
            }

            watchdog.Dispose();
        }

        try
        {
            work.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Best effort: it is in the temp directory.
        }
    }

    public static Process Start(int parentPid, IEnumerable<int> pids, TimeSpan maxLifetime, string workDirectory)
    {
        var info = new ProcessStartInfo(ServerProcess.DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
        };
        info.ArgumentList.Add(typeof(Watchdog).Assembly.Location);
        info.ArgumentList.Add("watchdog");
        info.ArgumentList.Add("--parent");
        info.ArgumentList.Add(Id(parentPid));
        info.ArgumentList.Add("--pids");
        info.ArgumentList.Add(string.Join(',', pids.Select(Id)));
        info.ArgumentList.Add("--max-seconds");
        info.ArgumentList.Add(((int)Math.Ceiling(maxLifetime.TotalSeconds)).ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add("--cleanup");
        info.ArgumentList.Add(workDirectory);
        return Process.Start(info) ?? throw new BenchmarkException("Could not start the watchdog process.");
    }

    public static async Task<int> RunAsync(Options options)
    {
        options.Only("--parent", "--pids", "--max-seconds", "--cleanup");
        var parent = Watched.Of(int.Parse(options.Require("--parent"), CultureInfo.InvariantCulture));
        var maxSeconds = options.Positive("--max-seconds", 3600);
        var children = options.Require("--pids").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => Watched.Of(int.Parse(p, CultureInfo.InvariantCulture)))
            .OfType<Watched>()
            .ToList();
        var deadline = Stopwatch.GetTimestamp() + (long)(maxSeconds * Stopwatch.Frequency);
        while (true)
        {
            children.RemoveAll(c => !c.IsAlive());
            if (children.Count == 0)
            {
                if (parent is null || !parent.IsAlive())
                {
                    Cleanup(options.Value("--cleanup"));
                }

                return 0;
            }

            if (parent is null || !parent.IsAlive() || Stopwatch.GetTimestamp() > deadline)
            {
                foreach (var child in children)
                {
                    child.Kill();
                }

                await Task.Delay(1000);
                Cleanup(options.Value("--cleanup"));
                return 0;
            }

            await Task.Delay(1000);
        }
    }

    /// <summary>Deletes the driver's temporary directory (only a <c>tally-bench-*</c> directory in the temp directory).</summary>
    private static void Cleanup(string? directory)
    {
        if (directory is null)
        {
            return;
        }

        var full = Path.GetFullPath(directory);
        var temp = Path.GetFullPath(Path.GetTempPath());
        if (Path.GetDirectoryName(full.TrimEnd(Path.DirectorySeparatorChar)) is { } parent
            && Path.GetFullPath(parent + Path.DirectorySeparatorChar) == temp
            && Path.GetFileName(full.TrimEnd(Path.DirectorySeparatorChar)).StartsWith("tally-bench-", StringComparison.Ordinal))
        {
            try
            {
                Directory.Delete(full, recursive: true);
            }
            catch (IOException)
            {
                // Best effort.
            }
            catch (UnauthorizedAccessException)
            {
                // Best effort.
            }
        }
    }

    private static string Id(int pid) => pid.ToString(CultureInfo.InvariantCulture);

    /// <summary>A process identified by pid and start time, so a reused pid is never mistaken for it.</summary>
    private sealed record Watched(int Pid, DateTime StartTime)
    {
        public static Watched? Of(int pid)
        {
            try
            {
                using var p = Process.GetProcessById(pid);
                return new Watched(pid, p.StartTime);
            }
            catch (ArgumentException)
            {
                return null;
            }
            catch (InvalidOperationException)
            {
                return null;
            }
        }

        public bool IsAlive()
        {
            try
            {
                using var p = Process.GetProcessById(Pid);
                return !p.HasExited && p.StartTime == StartTime;
            }
            catch (ArgumentException)
            {
                return false;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }

        public void Kill()
        {
            try
            {
                using var p = Process.GetProcessById(Pid);
                if (p.StartTime == StartTime)
                {
                    p.Kill(entireProcessTree: true);
                }
            }
            catch (ArgumentException)
            {
                // Gone.
            }
            catch (InvalidOperationException)
            {
                // Gone.
            }
        }
    }
}
