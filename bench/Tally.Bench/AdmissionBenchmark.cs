using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace Tally.Bench;

internal sealed record AdmissionSettings(
    string? Database, double Seconds, double Warmup, int Connections, bool Release, bool Diagnostics, double WaitQuiet, bool DbInWorkdir, int Rounds,
    string? Versus)
{
    public static AdmissionSettings From(Options options)
    {
        options.Only("--database", "--seconds", "--warmup", "--connections", "--release", "--diagnostics", "--wait-quiet", "--db-in-workdir", "--rounds", "--versus");
        var versus = options.Value("--versus") is { Length: > 0 } dir ? Path.GetFullPath(dir) : null;
        return new AdmissionSettings(
            options.Value("--database") is { Length: > 0 } db ? db : null,
            options.Positive("--seconds", 10),
            options.NonNegative("--warmup", 5),
            options.Count("--connections", 32, 1024),
            options.Flag("--release"),
            options.Flag("--diagnostics"),
            options.NonNegative("--wait-quiet", 120),
            options.Flag("--db-in-workdir"),
            options.Count("--rounds", 1, 20),
            versus);
    }
}

/// <summary>
/// DESIGN.md figure "quota admission over HTTP: ≥ 0.5 × a minimal Kestrel endpoint on the same machine, p99 ≤ 10 ms".
/// Starts both servers as child processes, drives the same load at each in turn, prints one markdown table.
/// </summary>
internal static partial class AdmissionBenchmark
{
    public const double TargetRatio = 0.5;
    public const double TargetP99Ms = 10;

    /// <summary>CPU (% of one core) used by other processes during a window above which the run is flagged as noisy.</summary>
    public const double NoisyOtherCpuPercent = 25;

    /// <summary>Before each path, wait (up to --wait-quiet seconds) until the idle machine uses less than this (% of one core).</summary>
    public const double QuietBelowPercent = 15;

    /// <summary>Operator token given to the Tally child as TALLY_BOOTSTRAP_TOKEN (loopback-only throwaway server).</summary>
    private const string Secret = "tally-bench-operator-secret-0123456789abcdef";

    /// <summary>Long enough to reach the token table lookup, and never a valid token.</summary>
    private const string WrongSecret = "tally-bench-wrong-secret-0123456789abcdefgh";

    private const string Tenant = "bench";

    /// <summary>With --rounds above 1: load on a path before each of its measured slices, not counted (s).</summary>
    private const double RoundWarmupSeconds = 2;

    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public static async Task<int> RunAsync(AdmissionSettings settings)
    {
        using var cancel = BenchProgram.CancelOnCtrlC();
        var ct = cancel.Token;

        var tallyDll = Path.Combine(ServerProcess.AppDirectory, "tally.dll");
        var benchDll = typeof(AdmissionBenchmark).Assembly.Location;
        if (!File.Exists(tallyDll) || !File.Exists(Path.Combine(ServerProcess.AppDirectory, "tally.runtimeconfig.json")))
        {
            await Console.Error.WriteLineAsync($"tally.dll (with tally.runtimeconfig.json) not found in {ServerProcess.AppDirectory}; build bench/Tally.Bench first.");
            return 1;
        }

        var work = Directory.CreateTempSubdirectory("tally-bench-");
        var servers = new List<ServerProcess>();
        Process? watchdog = null;
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = settings.Connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        using var client = new HttpClient(handler, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(15) };
        try
        {
            PrintHeader(settings);

            var baselineUrl = Loopback(ServerProcess.FreeLoopbackPort());
            var baseline = ServerProcess.Start(
                "baseline", baselineUrl, benchDll, ["baseline", "--urls", baselineUrl.ToString().TrimEnd('/')],
                new Dictionary<string, string?>(), work.CreateSubdirectory("baseline").FullName);
            servers.Add(baseline);

            // Each Tally gets its own empty working directory (= ASP.NET content root, which the host watches for
            // appsettings changes, recursively). A SQLite file inside a watched directory turns every WAL write into
            // inotify events for every watching process, so by default the database lives in a directory of its own;
            // --db-in-workdir reproduces `tally serve`'s default layout (tally.db in the working directory).
            ServerProcess StartTally(string name, string dll)
            {
                var url = Loopback(ServerProcess.FreeLoopbackPort());
                var dir = work.CreateSubdirectory(name).FullName;
                var database = settings.Database
                    ?? Path.Combine(settings.DbInWorkdir ? dir : work.CreateSubdirectory(name + "-data").FullName, "tally.db");
                var server = ServerProcess.Start(
                    name, url, dll, ["serve", "--urls", url.ToString().TrimEnd('/'), "--database", database],
                    new Dictionary<string, string?> { ["TALLY_BOOTSTRAP_TOKEN"] = Secret, ["TALLY_DATABASE"] = null },
                    dir);
                servers.Add(server);
                return server;
            }

            // The Tally builds measured: this one, and the --versus build when given.
            List<ServerProcess> tallies = [StartTally("tally", tallyDll)];
            var tally = tallies[0];
            if (settings.Versus is { } versusDir)
            {
                var versusDll = Path.Combine(versusDir, "tally.dll");
                if (!File.Exists(versusDll) || !File.Exists(Path.Combine(versusDir, "tally.runtimeconfig.json")))
                {
                    throw new BenchmarkException($"--versus {versusDir}: no tally.dll with its tally.runtimeconfig.json there (copy a Release build of bench/Tally.Bench's output directory).");
                }

                tallies.Add(StartTally("tally-versus", versusDll));
            }

            var alternating = 1 + tallies.Count; // paths measured in alternating rounds: the baseline and every Tally build
            var paths = alternating + (settings.Diagnostics ? 2 : 0);
            watchdog = Watchdog.Start(
                Environment.ProcessId,
                servers.Select(s => s.Id),
                TimeSpan.FromSeconds(180 + (paths * (settings.WaitQuiet + settings.Warmup + MaxWarmupSeconds + settings.Seconds + 20))),
                work.FullName);

            await baseline.WaitReadyAsync(async t => await IsStatusAsync(client, Admit(baseline.BaseAddress, "admit", 0, null), HttpStatusCode.OK, t), TimeSpan.FromSeconds(60), ct);
            foreach (var server in tallies)
            {
                await server.WaitReadyAsync(async t => await IsStatusAsync(client, new HttpRequestMessage(HttpMethod.Get, new Uri(server.BaseAddress, "readyz")), HttpStatusCode.OK, t), TimeSpan.FromSeconds(120), ct);
                PrintLines(server);
                await CreateTenantAsync(client, server.BaseAddress, ct);
            }

            if (settings.Versus is not null)
            {
                Console.WriteLine($"- versus: a second Tally build from `{settings.Versus}`, measured like the first {(settings.Database is null ? "on its own fresh SQLite file" : "on the same PostgreSQL database (same tenant and keys; the paths are measured one at a time)")}");
            }

            Console.WriteLine($"- sample baseline answer: `{await SampleAsync(client, Admit(baseline.BaseAddress, "admit", 0, null), ct)}`");
            Console.WriteLine($"- sample Tally answer: `{await SampleAsync(client, Admit(tally.BaseAddress, "api/admin/tenants/bench/quota/admit", 0, Secret), ct)}`");
            if (settings.Release)
            {
                Console.WriteLine($"- sample Tally release answer: `{await SampleAsync(client, Admit(tally.BaseAddress, "api/admin/tenants/bench/quota/release", 0, Secret), ct)}`");
            }

            Console.WriteLine();

            var targets = new List<LoadTarget>
            {
                new()
                {
                    Name = "Kestrel baseline `POST /admit`",
                    Server = baseline,
                    CreateRequest = (w, _) => Admit(baseline.BaseAddress, "admit", w, null),
                },
            };
            targets.AddRange(tallies.Select((server, i) => AdmitTarget(i == 0 ? "Tally" : "Tally versus build", server, settings.Release)));

            if (settings.Diagnostics)
            {
                targets.Add(new()
                {
                    Name = "diag: Tally admit, invalid token (401)",
                    Server = tally,
                    CreateRequest = (w, _) => Admit(tally.BaseAddress, "api/admin/tenants/bench/quota/admit", w, WrongSecret),
                    IsExpected = status => status == 401,
                });
                targets.Add(new()
                {
                    Name = "diag: Tally `GET /healthz`",
                    Server = tally,
                    CreateRequest = (_, _) => new HttpRequestMessage(HttpMethod.Get, new Uri(tally.BaseAddress, "healthz")),
                });
            }

            // Slices measured per path; with --rounds R > 1 the baseline, Tally and the --versus build (paths 0, 1, 2) are
            // measured after all their warm-ups, in R alternating rounds (each round starts one path later than the one
            // before), each slice --seconds / R long, so that all see the same machine: its speed drifts by a quarter
            // within minutes.
            var slices = targets.Select(_ => new List<LoadResult>()).ToList();
            var warmups = new double[targets.Count];
            var writer = Enumerable.Repeat(WriterTotals.Zero, targets.Count).ToArray();
            var writerSeconds = new double[targets.Count]; // the loads the writer totals cover: measured slices and their warm-ups
            async Task MeasureAsync(int path, double warmupSeconds, double seconds)
            {
                var target = targets[path];
                var writerBefore = path >= 1 && path < alternating ? await WriterTotals.ScrapeAsync(client, target.Server.BaseAddress, ct) : null;
                slices[path].Add(await LoadDriver.RunAsync(client, target, settings.Connections, warmupSeconds, seconds, ct));
                if (writerBefore is not null)
                {
                    writer[path] += (await WriterTotals.ScrapeAsync(client, target.Server.BaseAddress, ct) - writerBefore);
                    writerSeconds[path] += warmupSeconds + slices[path][^1].Seconds;
                }

                PrintLines(target.Server);
                if (target.Server.HasExited)
                {
                    throw new BenchmarkException($"{target.Server.Name} exited during the run.");
                }
            }

            for (var path = 0; path < targets.Count; path++)
            {
                var target = targets[path];
                if (settings.WaitQuiet > 0)
                {
                    var waited = await LoadDriver.WaitForQuietAsync(QuietBelowPercent, TimeSpan.FromSeconds(settings.WaitQuiet), ct);
                    Console.Error.WriteLine(waited is { } w
                        ? string.Create(CultureInfo.InvariantCulture, $"machine quiet after {w:F0} s")
                        : $"machine not quiet after {settings.WaitQuiet} s; measuring anyway (see the Other CPU column)");
                }

                Console.Error.WriteLine($"warming up {target.Name}: at least {settings.Warmup} s, then in {SteadySliceSeconds} s slices until the JIT is quiet and two slices agree within {SteadyTolerance:P0} (at most {MaxWarmupSeconds} s) ...");
                var warmup = await WarmUpAsync(client, target, settings, ct);
                warmups[path] = warmup.Seconds;
                if (settings.Rounds == 1 || path >= alternating)
                {
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"warm-up {warmup.Seconds:F0} s ({warmup.Describe()}); measuring {target.Name}: {settings.Seconds} s ..."));
                    await MeasureAsync(path, 0, settings.Seconds);
                }
                else if (path == alternating - 1)
                {
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"warm-up {warmup.Seconds:F0} s ({warmup.Describe()}); measuring Tally and the baseline in {settings.Rounds} alternating rounds of {settings.Seconds / settings.Rounds:F1} s each ..."));
                    for (var round = 0; round < settings.Rounds; round++)
                    {
                        for (var i = 0; i < alternating; i++)
                        {
                            await MeasureAsync((round + i) % alternating, RoundWarmupSeconds, settings.Seconds / settings.Rounds);
                        }
                    }
                }
            }

            var results = slices.Select((s, path) => LoadResult.Combine(s) with { WarmupSeconds = warmups[path] }).ToList();
            PrintTable(results, alternating, postgres: settings.Database is not null);
            for (var path = 1; path < alternating; path++)
            {
                var who = path == 1 ? "Tally" : "the versus build";
                if (settings.Rounds > 1)
                {
                    PrintRounds(who, slices[0], slices[path]);
                }

                Console.WriteLine($"- {who}'s admission writer loop while measured (from its `/metrics`): {writer[path].Describe(writerSeconds[path])}");
            }
            return 0;
        }
        catch (BenchmarkException e)
        {
            await Console.Error.WriteLineAsync($"benchmark failed: {e.Message}");
            return 1;
        }
        catch (HttpRequestException e)
        {
            await Console.Error.WriteLineAsync($"benchmark failed: {e.Message}");
            foreach (var server in servers)
            {
                await Console.Error.WriteLineAsync(server.Tail());
            }

            return 1;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("cancelled");
            return 130;
        }
        finally
        {
            foreach (var server in servers)
            {
                server.Dispose();
            }

            Watchdog.Release(watchdog, work);
        }
    }

    /// <summary>Admissions (with --release, admit and release alternate) with the operator token, each worker on its own key.</summary>
    private static LoadTarget AdmitTarget(string name, ServerProcess server, bool release) => new()
    {
        Name = release ? $"{name} `POST .../quota/admit` + `.../release`" : $"{name} `POST .../quota/admit`",
        Server = server,
        CreateRequest = (w, i) => Admit(
            server.BaseAddress,
            release && i % 2 == 1 ? "api/admin/tenants/bench/quota/release" : "api/admin/tenants/bench/quota/admit",
            w,
            Secret),
    };

    private static Uri Loopback(int port) => new($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");

    private static HttpRequestMessage Admit(Uri baseAddress, string path, int worker, string? secret)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseAddress, path))
        {
            Content = new ByteArrayContent(Body(worker)),
        };
        request.Content.Headers.ContentType = Json;
        if (secret is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "APIToken " + secret);
        }

        return request;
    }

    private static readonly byte[][] Bodies = new byte[1024][];

    private static byte[] Body(int worker)
    {
        var slot = worker % Bodies.Length;
        return Bodies[slot] ??= Encoding.UTF8.GetBytes(
            $$"""{"namespace":"system","kind":"objects","key":"k{{worker.ToString(CultureInfo.InvariantCulture)}}","amount":1}""");
    }

    private static async Task<bool> IsStatusAsync(HttpClient client, HttpRequestMessage request, HttpStatusCode expected, CancellationToken ct)
    {
        using (request)
        {
            using var response = await client.SendAsync(request, ct);
            return response.StatusCode == expected;
        }
    }

    private static async Task<string> SampleAsync(HttpClient client, HttpRequestMessage request, CancellationToken ct)
    {
        using (request)
        {
            using var response = await client.SendAsync(request, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                throw new BenchmarkException($"{request.Method} {request.RequestUri} answered {(int)response.StatusCode}: {body}");
            }

            return $"{(int)response.StatusCode} {body}";
        }
    }

    private static async Task CreateTenantAsync(HttpClient client, Uri tally, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(tally, "api/admin/tenants"))
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes($$"""{"name":"{{Tenant}}"}""")),
        };
        request.Content.Headers.ContentType = Json;
        request.Headers.TryAddWithoutValidation("Authorization", "APIToken " + Secret);
        using var response = await client.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        switch (response.StatusCode)
        {
            case HttpStatusCode.Created:
                Console.WriteLine($"- tenant `{Tenant}` created");
                break;
            case HttpStatusCode.Conflict:
                Console.WriteLine($"- tenant `{Tenant}` already exists (reused database)");
                break;
            default:
                throw new BenchmarkException($"POST /api/admin/tenants answered {(int)response.StatusCode}: {body}");
        }
    }

    private static void PrintHeader(AdmissionSettings settings)
    {
        Console.WriteLine("## Quota admission over HTTP");
        Console.WriteLine();
        Console.WriteLine($"- date: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"- machine: {Environment.ProcessorCount} logical CPUs, {CpuModel()}, load average before the run: {LoadAverage()}");
        Console.WriteLine($"- runtime: .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
        var benchConfig = Configuration(typeof(AdmissionBenchmark).Assembly);
        var tallyConfig = Configuration(typeof(Tally.Server.Hosting.Cli).Assembly);
        Console.WriteLine($"- build: bench {benchConfig}, tally.dll {tallyConfig}, server GC {(System.Runtime.GCSettings.IsServerGC ? "on" : "off")} in the driver");
        if (benchConfig != "Release" || tallyConfig != "Release")
        {
            Console.WriteLine("- **warning: not a Release build; these figures are not comparable**");
        }

        Console.WriteLine($"- server source: {SourceRevision()}");
        Console.WriteLine($"- database: {(settings.Database is not null ? "PostgreSQL " + RedactPassword(settings.Database)
            : settings.DbInWorkdir ? "fresh temporary SQLite file in the server's working directory (the `tally serve` default layout)"
            : "fresh temporary SQLite file in its own directory (not the server's working directory)")}");
        Console.WriteLine($"- load: {settings.Connections} closed-loop connections, warm-up of at least {settings.Warmup} s until steady (see the Warm-up column) + {settings.Seconds} s measured per path, all on 127.0.0.1; {(settings.Release ? "admit and release alternate" : "admit only")}, key `k<worker>`, limit unlimited");
    }

    /// <summary>Length of one warm-up slice, seconds.</summary>
    public const double SteadySliceSeconds = 2;

    /// <summary>Two successive warm-up slices whose requests/s differ by less than this fraction mean a steady state.</summary>
    public const double SteadyTolerance = 0.05;

    /// <summary>Warm-up ends here even when no steady state was seen, seconds.</summary>
    public const double MaxWarmupSeconds = 60;

    /// <summary>The tiered-compilation thread may use at most this many CPU ticks (1/100 s) in a steady slice.</summary>
    public const long SteadyJitTicks = 2;

    /// <summary>What the warm-up of one path did: requests/s and JIT CPU ticks of each slice after the minimum.</summary>
    private sealed record Warmup(double Seconds, IReadOnlyList<(double Rate, long JitTicks)> Slices, bool Steady)
    {
        public string Describe() => string.Create(
            CultureInfo.InvariantCulture,
            $"{(Steady ? "steady" : "NOT steady, cap reached")}; slices (requests/s, JIT ticks): {string.Join(", ", Slices.Select(s => $"{s.Rate:F0}/{s.JitTicks}"))}");
    }

    /// <summary>
    /// Drives the path for at least <see cref="AdmissionSettings.Warmup"/> seconds, then in slices of
    /// <see cref="SteadySliceSeconds"/> until the server's tiered JIT used at most <see cref="SteadyJitTicks"/> in a
    /// slice and that slice's requests/s agree with the previous one within <see cref="SteadyTolerance"/>, or
    /// <see cref="MaxWarmupSeconds"/> in all. Reason: the runtime's tiered JIT keeps recompiling Tally's code for
    /// 10–20 s under load on 2 cores (its thread was 22 % of all CPU samples 8 s into a run), so a fixed short warm-up
    /// measures the JIT, not the server.
    /// </summary>
    private static async Task<Warmup> WarmUpAsync(HttpClient client, LoadTarget target, AdmissionSettings settings, CancellationToken ct)
    {
        var elapsed = 0.0;
        if (settings.Warmup > 0)
        {
            _ = await LoadDriver.RunAsync(client, target, settings.Connections, 0, settings.Warmup, ct);
            elapsed += settings.Warmup;
        }

        var slices = new List<(double Rate, long JitTicks)>();
        while (elapsed < MaxWarmupSeconds)
        {
            var jitBefore = LoadDriver.JitTicks(target.Server.Id);
            var slice = await LoadDriver.RunAsync(client, target, settings.Connections, 0, SteadySliceSeconds, ct);
            var jit = Math.Max(0, LoadDriver.JitTicks(target.Server.Id) - jitBefore);
            elapsed += SteadySliceSeconds;
            slices.Add((slice.RequestsPerSecond, jit));
            if (slices.Count >= 2 && jit <= SteadyJitTicks && Math.Abs(slices[^1].Rate - slices[^2].Rate) < SteadyTolerance * slices[^2].Rate)
            {
                return new Warmup(elapsed, slices, Steady: true);
            }
        }

        return new Warmup(elapsed, slices, Steady: false);
    }

    private static void PrintTable(List<LoadResult> results, int alternating, bool postgres)
    {
        Console.WriteLine($"| Path | Warm-up s | Requests/s | p50 ms | p99 ms | max ms | Errors | Server CPU | Server CPU µs/req | Driver CPU |{(postgres ? " PostgreSQL CPU |" : "")} Other CPU |");
        Console.WriteLine($"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|{(postgres ? "---:|" : "")}---:|");
        foreach (var r in results)
        {
            var pg = postgres ? string.Create(CultureInfo.InvariantCulture, $" {r.PostgresCpuPercent:F0} % |") : "";
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {r.Name} | {r.WarmupSeconds:F0} | {r.RequestsPerSecond:F0} | {r.PercentileMs(50):F2} | {r.PercentileMs(99):F2} | {r.MaxMs:F1} | {r.Errors} | {r.ServerCpuPercent:F0} % | {r.ServerCpuMicrosPerRequest:F0} | {r.DriverCpuPercent:F0} % |{pg} {r.OtherCpuPercent:F0} % |"));
        }

        Console.WriteLine();
        foreach (var r in results.Where(r => r.Errors > 0 || r.UnrecordedLatencies > 0))
        {
            var statuses = string.Join(", ", r.UnexpectedStatuses.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} × {kv.Value}"));
            Console.WriteLine($"- {r.Name}: {r.UnexpectedResponses} unexpected responses ({statuses}), {r.Exceptions} exceptions{(r.FirstError is null ? "" : $" (first: {r.FirstError})")}{(r.UnrecordedLatencies > 0 ? $", {r.UnrecordedLatencies} latencies not recorded (buffer full)" : "")}");
        }

        var baseline = results[0];
        var tally = results[1];
        var ratio = tally.RequestsPerSecond / baseline.RequestsPerSecond;
        var p99 = tally.PercentileMs(99);
        var ratioOk = ratio >= TargetRatio;
        var p99Ok = p99 <= TargetP99Ms;
        var clean = tally.Errors == 0 && baseline.Errors == 0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- ratio Tally / baseline: **{ratio:F3}** (target ≥ {TargetRatio}): {(ratioOk ? "PASS" : "MISS")}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- Tally p99: **{p99:F2} ms** at {tally.RequestsPerSecond:F0} requests/s (target ≤ {TargetP99Ms} ms): {(p99Ok ? "PASS" : "MISS")}"));
        if (!clean)
        {
            Console.WriteLine("- errors in the measured window: the run is not valid (must be 0)");
        }

        if (alternating == 3)
        {
            var versus = results[2];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- ratio versus build / baseline: **{versus.RequestsPerSecond / baseline.RequestsPerSecond:F3}**, p99 {versus.PercentileMs(99):F2} ms; Tally / versus build: {tally.RequestsPerSecond / versus.RequestsPerSecond:F3}"));
        }

        var noisy = results.Take(alternating).Where(r => r.OtherCpuPercent > NoisyOtherCpuPercent).ToList();
        if (noisy.Count > 0)
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"- **noisy run**: other processes used {string.Join(" / ", noisy.Select(r => $"{r.OtherCpuPercent:F0} %"))} CPU while measuring {string.Join(" / ", noisy.Select(r => r.Name))} (> {NoisyOtherCpuPercent} %); repeat on a quiet machine"));
        }

        Console.WriteLine($"- verdict: **{(ratioOk && p99Ok && clean ? "PASS" : "MISS")}**");
    }

    /// <summary>The ratio of each round (--rounds): how much of the spread between runs is the machine's.</summary>
    private static void PrintRounds(string who, List<LoadResult> baseline, List<LoadResult> tally)
    {
        var sorted = baseline.Zip(tally, (b, t) => t.RequestsPerSecond / b.RequestsPerSecond).Order().ToList();
        var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"- per round for {who} (baseline / {who} requests/s, ratio): {string.Join("; ", baseline.Zip(tally, (b, t) => $"{b.RequestsPerSecond:F0} / {t.RequestsPerSecond:F0}, {t.RequestsPerSecond / b.RequestsPerSecond:F3}"))}; median ratio {median:F3}"));
    }

    /// <summary>Totals of Tally's admission writer loop, from its <c>/metrics</c> (<c>tally_quota_writer_*_total</c>); differences of two scrapes add up.</summary>
    private sealed record WriterTotals(double Batches, double Calls, double ExecuteSeconds, double AnswerSeconds)
    {
        public static readonly WriterTotals Zero = new(0, 0, 0, 0);

        public static WriterTotals operator -(WriterTotals a, WriterTotals b) =>
            new(a.Batches - b.Batches, a.Calls - b.Calls, a.ExecuteSeconds - b.ExecuteSeconds, a.AnswerSeconds - b.AnswerSeconds);

        public static WriterTotals operator +(WriterTotals a, WriterTotals b) =>
            new(a.Batches + b.Batches, a.Calls + b.Calls, a.ExecuteSeconds + b.ExecuteSeconds, a.AnswerSeconds + b.AnswerSeconds);

        public static async Task<WriterTotals> ScrapeAsync(HttpClient client, Uri server, CancellationToken ct)
        {
            var lines = (await client.GetStringAsync(new Uri(server, "metrics"), ct)).Split('\n');
            double Total(string name) =>
                lines.FirstOrDefault(l => l.StartsWith($"tally_quota_writer_{name}_total ", StringComparison.Ordinal)) is { } line
                    ? double.Parse(line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture)
                    : throw new BenchmarkException($"Tally's /metrics has no tally_quota_writer_{name}_total.");
            return new WriterTotals(Total("batches"), Total("calls"), Total("execute_seconds"), Total("answer_seconds"));
        }

        /// <summary>For a difference of scrapes over <paramref name="seconds"/>: batches/s, calls per batch, µs per batch running and answering, and how busy the loop was.</summary>
        public string Describe(double seconds) => Batches <= 0
            ? "no batches"
            : string.Create(
                CultureInfo.InvariantCulture,
                $"{Batches / seconds:F0} batches/s of {Calls / Batches:F1} calls; per batch {ExecuteSeconds / Batches * 1e6:F0} µs running it (statements and the durable commit) + {AnswerSeconds / Batches * 1e6:F0} µs answering its callers; loop busy {(ExecuteSeconds + AnswerSeconds) / seconds:P0}");
    }

    private static void PrintLines(ServerProcess server)
    {
        foreach (var line in server.TakeLines().Where(l => !l.Contains("Microsoft.Hosting.Lifetime", StringComparison.Ordinal)))
        {
            Console.WriteLine($"- `[{server.Name}] {line}`");
        }
    }

    /// <summary>The commit tally.dll was built from (its informational version), and whether src/ has uncommitted changes now.</summary>
    private static string SourceRevision()
    {
        var version = typeof(Tally.Server.Hosting.Cli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        var commit = version.Contains('+', StringComparison.Ordinal) ? version[(version.IndexOf('+', StringComparison.Ordinal) + 1)..] : version;
        commit = commit.Length > 12 ? commit[..12] : commit;
        try
        {
            var info = new ProcessStartInfo("git") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in (string[])["status", "--porcelain", "--", "src"])
            {
                info.ArgumentList.Add(arg);
            }

            using var git = Process.Start(info);
            if (git is null)
            {
                return $"commit {commit}";
            }

            var output = git.StandardOutput.ReadToEnd();
            if (!git.WaitForExit(5000) || git.ExitCode != 0)
            {
                return $"commit {commit}";
            }

            return output.Length == 0 ? $"commit {commit}, src/ clean" : $"commit {commit} + uncommitted changes in src/";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return $"commit {commit}";
        }
    }

    private static string Configuration(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "unknown";

    private static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo")
                .FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?
                .Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
        catch (UnauthorizedAccessException)
        {
            return "unknown CPU";
        }
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
        catch (UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    private static string RedactPassword(string connection) => PasswordPattern().Replace(connection, "$1=***");

    [GeneratedRegex("(?i)(password|pwd)=[^;]*")]
    private static partial Regex PasswordPattern();
}
