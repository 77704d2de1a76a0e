using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Tally.Storage;

namespace Tally.Bench;

internal sealed record UsageQuerySettings(string? Database, int Events, int Clients, int Requests, int Warmup, string[] Zones)
{
    public const int Batch = 10_000;

    public static UsageQuerySettings From(Options options)
    {
        options.Only("--database", "--events", "--clients", "--requests", "--warmup", "--zones");
        var settings = new UsageQuerySettings(
            options.Value("--database") is { Length: > 0 } db ? db : null,
            options.Count("--events", 10_000_000, 100_000_000),
            options.Count("--clients", 3, 16),
            options.Count("--requests", 200, 100_000),
            options.Count("--warmup", 50, 100_000),
            (options.Value("--zones") ?? "UTC,America/Los_Angeles").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return settings.Events % Batch == 0 ? settings : throw new ArgumentException($"--events must be a multiple of {Batch}.");
    }
}

/// <summary>
/// DESIGN.md figure "current/monthly usage for a tenant with 10 M events in the month: p50 ≤ 20 ms". Starts `tally serve`
/// as a child process, sets up a tenant with a catalog and a plan through the operator API, ingests N events over HTTP
/// spread over every hour of the current UTC month so far, then measures F5's <c>current_usage</c> and
/// <c>monthly_usage</c> with a tenant token: sequential requests (one at a time) after a warm-up, for the whole tenant
/// (<c>system</c>) and narrowed to one namespace, once per tenant time zone given (changed with PATCH between rounds).
/// Every answer is checked against the quantities the bench generated.
/// </summary>
internal static class UsageQueryBenchmark
{
    public const double TargetP50Ms = 20;

    private const string Secret = "tally-bench-operator-secret-0123456789abcdef";

    private static readonly string[] Namespaces = ["default", "edge", "batch"];
    private const int ObjectsPerNamespace = 9;

    /// <summary>12 metrics: name, aggregation, and how big a quantity is (micros).</summary>
    private static readonly (string Name, string Aggregation, long MaxMicros)[] Metrics =
    [
        ("ub-requests", "sum", 500_000_000), ("ub-bytes-in", "sum", 10_000_000_000), ("ub-bytes-out", "sum", 10_000_000_000),
        ("ub-cpu-seconds", "sum", 3_600_000_000), ("ub-memory-gb-hours", "sum", 64_000_000), ("ub-storage-gb", "max", 1_000_000_000),
        ("ub-waf-events", "count", 1_000_000), ("ub-bot-checks", "sum", 100_000_000), ("ub-dns-queries", "sum", 1_000_000_000),
        ("ub-lb-hours", "sum", 1_000_000), ("ub-cache-hits", "sum", 900_000_000), ("ub-api-calls", "sum", 200_000_000),
    ];

    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public static async Task<int> RunAsync(UsageQuerySettings settings)
    {
        using var cancel = BenchProgram.CancelOnCtrlC();
        var ct = cancel.Token;
        var tallyDll = Path.Combine(ServerProcess.AppDirectory, "tally.dll");
        var work = Directory.CreateTempSubdirectory("tally-query-bench-");
        ServerProcess? tally = null;
        Process? watchdog = null;
        try
        {
            var run = "q" + Guid.NewGuid().ToString("N")[..8];
            var tenant = run;
            var url = new Uri($"http://127.0.0.1:{ServerProcess.FreeLoopbackPort().ToString(CultureInfo.InvariantCulture)}/");
            var database = settings.Database ?? Path.Combine(work.CreateSubdirectory("data").FullName, "tally.db");
            tally = ServerProcess.Start(
                "tally", url, tallyDll, ["serve", "--urls", url.ToString().TrimEnd('/'), "--database", database],
                new Dictionary<string, string?> { ["TALLY_BOOTSTRAP_TOKEN"] = Secret, ["TALLY_DATABASE"] = null },
                work.CreateSubdirectory("tally").FullName);
            watchdog = Watchdog.Start(Environment.ProcessId, [tally.Id], TimeSpan.FromMinutes(60), work.FullName);
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = settings.Clients, UseProxy = false, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
            using var op = new HttpClient(handler, disposeHandler: false) { BaseAddress = url, Timeout = TimeSpan.FromMinutes(5) };
            op.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("APIToken", Secret);
            await tally.WaitReadyAsync(async t => (await op.GetAsync(new Uri("readyz", UriKind.Relative), t)).IsSuccessStatusCode, TimeSpan.FromSeconds(120), ct);

            var token = await SetUpAsync(op, tenant, ct);
            var now = DateTimeOffset.UtcNow;
            var monthStart = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
            Console.WriteLine("## Usage queries");
            Console.WriteLine();
            Console.WriteLine($"- date: {now:yyyy-MM-dd HH:mm} UTC; machine: {Environment.ProcessorCount} logical CPUs; .NET {Environment.Version}; load average at start: {LoadAverage()}");
            Console.WriteLine($"- database: {(settings.Database is null ? "a fresh temporary SQLite file" : "PostgreSQL (connection given with --database)")}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"- events: {settings.Events:N0} for one tenant, {Metrics.Length} metrics × {Namespaces.Length} namespaces × {ObjectsPerNamespace} objects, evenly over {monthStart:yyyy-MM-dd HH:mm}Z – {now:yyyy-MM-dd HH:mm}Z (every hour of the UTC month so far), {UsageQuerySettings.Batch:N0} per request, {settings.Clients} concurrent clients"));

            Console.Error.WriteLine($"seeding {settings.Events:N0} events ...");
            var (seedSeconds, expected) = await SeedAsync(op, tenant, monthStart, now.AddMinutes(-1), settings, ct);
            var rows = await CountRowsAsync(database, tenant, ct);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"- seeding: {seedSeconds:F0} s ({settings.Events / seedSeconds:F0} events/s); rows for the tenant: usage_events {rows.Events:N0}, usage_hourly {rows.Hourly:N0}, usage_metric_hourly {rows.MetricHourly:N0}, usage_daily {rows.Daily:N0}"));
            if (rows.Events != settings.Events)
            {
                throw new BenchmarkException($"usage_events holds {rows.Events} events of the tenant, expected {settings.Events}.");
            }

            var settled = await SettleAsync(database, DateTimeOffset.UtcNow, ct);
            Console.WriteLine($"- before measuring: {settled}");

            var hourlyOnly = await HourlyOnlyAsync(database, tenant, monthStart.ToUnixTimeSeconds(), monthStart.AddMonths(1).ToUnixTimeSeconds(), ct);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"- for comparison, the former hourly-only aggregate of this UTC month (one `SELECT ... FROM usage_hourly ... GROUP BY metric`, in the bench process, 20 runs): p50 {hourlyOnly.P50:F1} ms, max {hourlyOnly.Max:F1} ms; monthly_usage ran 13 of those"));
            Console.WriteLine();
            Console.WriteLine("| Time zone | Request | Namespace | Requests | p50 ms | p99 ms | max ms | mean ms | p50 ≤ 20 ms |");
            Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|---|");

            using var tenantClient = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1, UseProxy = false }) { BaseAddress = url, Timeout = TimeSpan.FromMinutes(1) };
            tenantClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("APIToken", token);
            var allPass = true;
            foreach (var zone in settings.Zones)
            {
                await SendAsync(op, HttpMethod.Patch, $"api/admin/tenants/{tenant}", $$"""{"time_zone":"{{zone}}"}""", ct);
                foreach (var (route, ns) in new[] { ("current_usage", "system"), ("monthly_usage", "system"), ("current_usage", "default"), ("monthly_usage", "default") })
                {
                    var path = $"api/web/namespaces/{ns}/{route}";
                    var first = await PostTenantAsync(tenantClient, path, ct);
                    if (zone == "UTC" && ns == "system" && route == "current_usage")
                    {
                        Check(first, expected);
                    }

                    for (var i = 0; i < settings.Warmup; i++)
                    {
                        await PostTenantAsync(tenantClient, path, ct);
                    }

                    var latencies = new double[settings.Requests];
                    for (var i = 0; i < settings.Requests; i++)
                    {
                        var start = Stopwatch.GetTimestamp();
                        await PostTenantAsync(tenantClient, path, ct);
                        latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    }

                    Array.Sort(latencies);
                    var p50 = Percentile(latencies, 0.50);
                    allPass &= p50 <= TargetP50Ms;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {zone} | `{route}` | {ns} | {settings.Requests} | {p50:F2} | {Percentile(latencies, 0.99):F2} | {latencies[^1]:F2} | {latencies.Average():F2} | {(p50 <= TargetP50Ms ? "PASS" : "MISS")} |"));
                }
            }

            Console.WriteLine();
            Console.WriteLine($"- answers checked: UTC `current_usage` of `system` reports every generated metric's sum / max / count exactly");
            Console.WriteLine($"- load average at end: {LoadAverage()}");
            Console.WriteLine($"- verdict: **{(allPass ? "PASS" : "MISS")}** (p50 ≤ {TargetP50Ms} ms on every row)");
            return 0;
        }
        catch (BenchmarkException e)
        {
            await Console.Error.WriteLineAsync($"benchmark failed: {e.Message}{Environment.NewLine}{tally?.Tail()}");
            return 1;
        }
        catch (HttpRequestException e)
        {
            await Console.Error.WriteLineAsync($"benchmark failed: {e.Message}{Environment.NewLine}{tally?.Tail()}");
            return 1;
        }
        finally
        {
            tally?.Dispose();
            Watchdog.Release(watchdog, work);
        }
    }

    /// <summary>Tenant (3 namespaces), 12 metrics and a plan pricing them (operator API); returns a viewer token of the tenant.</summary>
    private static async Task<string> SetUpAsync(HttpClient op, string tenant, CancellationToken ct)
    {
        await SendAsync(op, HttpMethod.Post, "api/admin/tenants", $$"""{"name":"{{tenant}}","time_zone":"UTC","currency":"USD"}""", ct);
        foreach (var ns in Namespaces)
        {
            await SendAsync(op, HttpMethod.Post, $"api/admin/tenants/{tenant}/namespaces", $$"""{"name":"{{ns}}"}""", ct);
        }

        foreach (var (name, aggregation, _) in Metrics)
        {
            await SendAsync(op, HttpMethod.Put, $"api/admin/metrics/{name}",
                $$"""{"display_name":"{{name}}","unit_name":"units","billable_unit_name":"units","divisor":"1","aggregation":"{{aggregation}}","service":"bench","sku":"SKU-{{name}}"}""", ct);
        }

        var prices = string.Join(',', Metrics.Select((m, i) => i % 2 == 0
            ? $$"""{"metric":"{{m.Name}}","model":"per_unit","unit_price":"0.0001"}"""
            : $$"""{"metric":"{{m.Name}}","model":"graduated","included":"100","tiers":[{"up_to":"1000000","unit_price":"0.01"},{"up_to":null,"unit_price":"0.005"}]}"""));
        var plan = tenant + "-plan";
        await SendAsync(op, HttpMethod.Put, $"api/admin/plans/{plan}",
            $$"""{"title":"Bench","currency":"USD","flat_price":"99.00","usage_plan_type":"TEAM","tenant_type":"ENTERPRISE","billing_mode":"postpaid","prices":[{{prices}}]}""", ct);
        await SendAsync(op, HttpMethod.Put, $"api/admin/tenants/{tenant}/plan", $$"""{"plan":"{{plan}}"}""", ct);
        var token = await SendAsync(op, HttpMethod.Post, "api/admin/tokens",
            $$"""{"tenant":"{{tenant}}","name":"bench","role":"viewer","scopes":[],"namespaces":[],"permissions":[]}""", ct);
        return JsonNode.Parse(token)!["token"]!.GetValue<string>();
    }

    private sealed class Totals
    {
        public long Sum;
        public long Max;
        public long Count;
    }

    /// <summary>
    /// Sends N events (ordered ids, timestamps evenly over [from, to), random namespace, metric, object and quantity)
    /// in requests of 10,000 from <c>--clients</c> workers; each worker builds its own bodies. Returns the seconds and
    /// the generated totals per metric.
    /// </summary>
    private static async Task<(double Seconds, Dictionary<string, Totals> Expected)> SeedAsync(
        HttpClient op, string tenant, DateTimeOffset from, DateTimeOffset to, UsageQuerySettings settings, CancellationToken ct)
    {
        var batches = settings.Events / UsageQuerySettings.Batch;
        var fromUs = from.ToUnixTimeMilliseconds() * 1000;
        var spanUs = (to.ToUnixTimeMilliseconds() * 1000) - fromUs;
        var expected = Metrics.ToDictionary(m => m.Name, _ => new Totals(), StringComparer.Ordinal);
        var next = -1;
        var done = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(_ => Task.Run(async () =>
        {
            var local = Metrics.ToDictionary(m => m.Name, _ => new Totals(), StringComparer.Ordinal);
            var text = new StringBuilder(UsageQuerySettings.Batch * 200);
            int b;
            while ((b = Interlocked.Increment(ref next)) < batches)
            {
                var random = new Random(b);
                text.Clear().Append("{\"events\":[");
                for (var k = 0; k < UsageQuerySettings.Batch; k++)
                {
                    var i = ((long)b * UsageQuerySettings.Batch) + k;
                    var (metric, _, maxMicros) = Metrics[random.Next(Metrics.Length)];
                    var micros = random.NextInt64(0, maxMicros / 1000) * 1000;
                    var t = local[metric];
                    t.Sum += micros;
                    t.Max = Math.Max(t.Max, micros);
                    t.Count++;
                    var at = DateTime.UnixEpoch.AddTicks((fromUs + (long)(spanUs * ((double)i / settings.Events))) * 10);
                    text.Append(k == 0 ? "" : ",").Append(CultureInfo.InvariantCulture,
                        $"{{\"id\":\"e{i:x9}\",\"tenant\":\"{tenant}\",\"namespace\":\"{Namespaces[random.Next(Namespaces.Length)]}\",\"metric\":\"{metric}\",\"quantity\":{(micros / 1_000_000m).ToString(CultureInfo.InvariantCulture)},\"timestamp\":\"{at:yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'}\",\"object_name\":\"obj-{random.Next(ObjectsPerNamespace)}\"}}");
                }

                using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text.Append("]}").ToString()));
                content.Headers.ContentType = Json;
                using var response = await op.PostAsync(new Uri("api/admin/usage/events", UriKind.Relative), content, ct);
                var answer = await response.Content.ReadAsStringAsync(ct);
                if (response.StatusCode != HttpStatusCode.OK || (int)JsonNode.Parse(answer)!["accepted"]! != UsageQuerySettings.Batch)
                {
                    throw new BenchmarkException($"ingest answered {(int)response.StatusCode}: {answer[..Math.Min(answer.Length, 500)]}");
                }

                var n = Interlocked.Increment(ref done);
                if (n % 100 == 0)
                {
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {n * (long)UsageQuerySettings.Batch:N0} events, {watch.Elapsed.TotalSeconds:F0} s"));
                }
            }

            lock (expected)
            {
                foreach (var (name, t) in local)
                {
                    var e = expected[name];
                    e.Sum += t.Sum;
                    e.Max = Math.Max(e.Max, t.Max);
                    e.Count += t.Count;
                }
            }
        }, ct)));
        return (watch.Elapsed.TotalSeconds, expected);
    }

    /// <summary>Every metric's quantity in the answer equals the generated sum, max or count (the month holds all events).</summary>
    private static void Check(string body, Dictionary<string, Totals> expected)
    {
        var items = JsonNode.Parse(body)!["usage_items"]!.AsArray();
        foreach (var (name, aggregation, _) in Metrics)
        {
            var item = items.SingleOrDefault(i => i!["metric_labels"]!.AsArray().Any(l => l!.GetValue<string>() == name))
                ?? throw new BenchmarkException($"current_usage has no line for {name}.");
            var e = expected[name];
            var want = aggregation switch { "max" => e.Max / 1e6, "count" => e.Count, _ => e.Sum / 1e6 };
            var got = item["quantity"]!.GetValue<double>();
            if (Math.Abs(got - want) > Math.Abs(want) * 1e-12)
            {
                throw new BenchmarkException(string.Create(CultureInfo.InvariantCulture, $"current_usage reports {got} for {name}; the bench generated {want}."));
            }
        }
    }

    private static async Task<string> PostTenantAsync(HttpClient client, string path, CancellationToken ct)
    {
        using var content = new StringContent("{}", Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(new Uri(path, UriKind.Relative), content, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        return response.StatusCode == HttpStatusCode.OK ? text : throw new BenchmarkException($"POST {path} answered {(int)response.StatusCode}: {text}");
    }

    private static async Task<string> SendAsync(HttpClient client, HttpMethod method, string path, string json, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await client.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        return response.IsSuccessStatusCode ? text : throw new BenchmarkException($"{method} {path} answered {(int)response.StatusCode}: {text}");
    }

    /// <summary>
    /// Steady state before measuring. On PostgreSQL, waits (up to 5 minutes) until autovacuum has vacuumed and analyzed the
    /// four usage tables after <paramref name="seeded"/>: on 2 cores a measurement during the vacuum of 10 M fresh rows
    /// measured the vacuum (LA current_usage 16 ms during it, 5 ms for the same statement afterwards). Then waits for a
    /// quiet machine. Returns what it waited for.
    /// </summary>
    private static async Task<string> SettleAsync(string database, DateTimeOffset seeded, CancellationToken ct)
    {
        var waited = Stopwatch.StartNew();
        var vacuum = "SQLite: no background maintenance";
        if (TallyDatabase.DetectEngine(database) == DatabaseEngine.Postgres)
        {
            await using var db = new TallyDatabase(database);
            await using var connection = await db.OpenConnectionAsync(ct);
            await using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT count(*) FROM pg_stat_user_tables
                WHERE relname IN ('usage_events', 'usage_hourly', 'usage_metric_hourly', 'usage_daily')
                  AND greatest(last_autovacuum, last_vacuum) >= @seeded AND greatest(last_autoanalyze, last_analyze) >= @seeded
                """;
            var parameter = command.CreateParameter();
            parameter.ParameterName = "seeded";
            parameter.Value = seeded;
            command.Parameters.Add(parameter);
            vacuum = "autovacuum had not processed the usage tables after 300 s; measuring anyway";
            while (waited.Elapsed < TimeSpan.FromMinutes(5))
            {
                if (Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture) == 4)
                {
                    vacuum = string.Create(CultureInfo.InvariantCulture, $"autovacuum and autoanalyze processed the usage tables {waited.Elapsed.TotalSeconds:F0} s after seeding");
                    break;
                }

                await Task.Delay(2000, ct);
            }
        }

        var quiet = await LoadDriver.WaitForQuietAsync(AdmissionBenchmark.QuietBelowPercent, TimeSpan.FromSeconds(120), ct);
        return vacuum + (quiet is { } q ? string.Create(CultureInfo.InvariantCulture, $"; machine quiet after {q:F0} s more") : "; machine not quiet after 120 s");
    }

    private static async Task<(long Events, long Hourly, long MetricHourly, long Daily)> CountRowsAsync(string database, string tenant, CancellationToken ct)
    {
        await using var db = new TallyDatabase(database);
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await ScalarAsync(connection, "SELECT count(*) FROM usage_events WHERE tenant_id = @t", tenant, ct),
            await ScalarAsync(connection, "SELECT count(*) FROM usage_hourly WHERE tenant_id = @t", tenant, ct),
            await ScalarAsync(connection, "SELECT count(*) FROM usage_metric_hourly WHERE tenant_id = @t", tenant, ct),
            await ScalarAsync(connection, "SELECT count(*) FROM usage_daily WHERE tenant_id = @t", tenant, ct));
    }

    private static async Task<long> ScalarAsync(DbConnection connection, string sql, string tenant, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var p = command.CreateParameter();
        p.ParameterName = "t";
        p.Value = tenant;
        command.Parameters.Add(p);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

    /// <summary>The query current_usage ran before the daily roll-ups existed, timed in the bench process.</summary>
    private static async Task<(double P50, double Max)> HourlyOnlyAsync(string database, string tenant, long from, long to, CancellationToken ct)
    {
        await using var db = new TallyDatabase(database);
        var times = new double[20];
        for (var i = 0; i < times.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await using var connection = await db.OpenConnectionAsync(ct);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT metric, SUM(sum_micros), MAX(max_micros), SUM(event_count) FROM usage_hourly WHERE tenant_id = @t AND hour_start >= @f AND hour_start < @u GROUP BY metric ORDER BY metric";
            foreach (var (name, value) in new (string, object)[] { ("t", tenant), ("f", from), ("u", to) })
            {
                var p = command.CreateParameter();
                p.ParameterName = name;
                p.Value = value;
                command.Parameters.Add(p);
            }

            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
            }

            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(times);
        return (Percentile(times, 0.5), times[^1]);
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static string LoadAverage()
    {
        try
        {
            return string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
