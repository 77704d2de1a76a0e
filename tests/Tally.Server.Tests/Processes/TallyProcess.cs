using System.Diagnostics;
using System.Text;
using Tally.Server.Tests.Infrastructure;

namespace Tally.Server.Tests.Processes;

/// <summary>A real <c>tally</c> process (the built executable, run with <c>dotnet tally.dll</c>), killed on dispose.</summary>
public sealed class TallyProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private TallyProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static TallyProcess Start(string arguments, IDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "tally.dll");
        var start = new ProcessStartInfo("dotnet", $"\"{dll}\" {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? TestFiles.Directory,
        };
        start.Environment.Remove("TALLY_BOOTSTRAP_TOKEN");
        start.Environment.Remove("TALLY_DATABASE");
        // No daily billing run in test servers unless a test asks for one (it would bill the test's tenants at start).
        start.Environment["TALLY_BILLING_SCHEDULE"] = "false";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return new TallyProcess(Process.Start(start) ?? throw new InvalidOperationException("could not start tally"));
    }

    /// <summary>Runs a verb to completion (at most 2 minutes) and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string arguments, IDictionary<string, string>? environment = null)
    {
        await using var p = Start(arguments, environment);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await p._process.WaitForExitAsync(timeout.Token);
        p._process.WaitForExit();
        return (p._process.ExitCode, p.Output);
    }

    /// <summary>Starts <c>tally serve</c> on a free port and waits (up to 60 s) until /readyz answers 200.</summary>
    public static async Task<(TallyProcess Process, Uri BaseAddress)> ServeAsync(string database, IDictionary<string, string>? environment = null, string extra = "")
    {
        var url = new Uri($"http://127.0.0.1:{PostgresServer.FreePort()}");
        var process = Start($"serve --urls {url.ToString().TrimEnd('/')} --database \"{database}\" {extra}", environment);
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process._process.HasExited)
            {
                throw new InvalidOperationException($"tally serve exited {process._process.ExitCode}: {process.Output}");
            }

            try
            {
                if ((await http.GetAsync(new Uri("/readyz", UriKind.Relative))).IsSuccessStatusCode)
                {
                    return (process, url);
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // slow start
            }

            await Task.Delay(200);
        }

        await process.DisposeAsync();
        throw new TimeoutException($"tally serve did not become ready: {process.Output}");
    }

    /// <summary>Sends SIGTERM and waits for the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", $"-TERM {_process.Id}"))
        {
            await kill!.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Kills the process with SIGKILL (no shutdown, no flush) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        using (var kill = Process.Start("kill", $"-KILL {_process.Id}"))
        {
            await kill!.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
