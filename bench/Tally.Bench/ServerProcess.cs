using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tally.Bench;

/// <summary>A server under test, run as a child process (<c>dotnet some.dll args</c>) on 127.0.0.1, with its output kept.</summary>
internal sealed class ServerProcess : IDisposable
{
    private const int MaxKeptLines = 200;

    private static readonly List<ServerProcess> Live = [];

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private int _disposed;

    static ServerProcess()
    {
        // SIGTERM / normal exit of the driver: take the children down with it (try/finally covers the rest).
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
    }

    private ServerProcess(string name, Uri baseAddress, Process process)
    {
        Name = name;
        BaseAddress = baseAddress;
        _process = process;
    }

    public string Name { get; }

    public Uri BaseAddress { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>User + system CPU time the server has used so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>The directory of the running bench assembly, where the referenced <c>tally.dll</c> is copied too.</summary>
    public static string AppDirectory => AppContext.BaseDirectory;

    /// <summary>
    /// The <c>dotnet</c> host that runs this process: the muxer itself when started as <c>dotnet x.dll</c>, else the one
    /// three levels above the shared runtime directory, else <c>dotnet</c> from PATH.
    /// </summary>
    public static string DotnetHost()
    {
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return self;
        }

        var runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location);
        if (runtimeDir is not null)
        {
            var candidate = Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", "..", OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet"));
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return "dotnet";
    }

    /// <summary>A currently free TCP port on 127.0.0.1.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static ServerProcess Start(string name, Uri baseAddress, string dll, IEnumerable<string> args, IReadOnlyDictionary<string, string?> environment, string workingDirectory)
    {
        var info = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info };
        var server = new ServerProcess(name, baseAddress, process);
        process.OutputDataReceived += (_, e) => server.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
        lock (Live)
        {
            process.Start();
            Live.Add(server);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>Polls <paramref name="probe"/> until it returns true; fails when the process exits or <paramref name="timeout"/> passes.</summary>
    public async Task WaitReadyAsync(Func<CancellationToken, Task<bool>> probe, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new BenchmarkException($"{Name} exited with code {_process.ExitCode} before it was ready.{Environment.NewLine}{Tail()}");
            }

            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
            attempt.CancelAfter(TimeSpan.FromSeconds(2));
            try
            {
                if (await probe(attempt.Token))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // Probe timed out.
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new BenchmarkException($"{Name} was not ready within {timeout.TotalSeconds} s.{Environment.NewLine}{Tail()}");
            }

            await Task.Delay(200, ct);
        }
    }

    /// <summary>Output lines received since the last call.</summary>
    public List<string> TakeLines()
    {
        var lines = new List<string>();
        while (_lines.TryDequeue(out var line))
        {
            lines.Add(line);
        }

        return lines;
    }

    public string Tail() => string.Join(Environment.NewLine, TakeLines().Select(l => $"  [{Name}] {l}"));

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }

        lock (Live)
        {
            Live.Remove(this);
        }

        _process.Dispose();
    }

    private static void KillAll()
    {
        ServerProcess[] live;
        lock (Live)
        {
            live = [.. Live];
        }

        foreach (var server in live)
        {
            server.Dispose();
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _lines.Enqueue(line);
        while (_lines.Count > MaxKeptLines && _lines.TryDequeue(out _))
        {
        }
    }
}

/// <summary>A set-up or run failure that ends the benchmark with a message (children are still cleaned up).</summary>
public sealed class BenchmarkException : Exception
{
    public BenchmarkException()
    {
    }

    public BenchmarkException(string message)
        : base(message)
    {
    }

    public BenchmarkException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
