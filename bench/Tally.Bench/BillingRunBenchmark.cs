using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using Tally.Storage;

namespace Tally.Bench;

internal sealed record BillingRunSettings(string Database, int Tenants, int Metrics, int Warmup)
{
    public static BillingRunSettings From(Options options)
    {
        options.Only("--database", "--tenants", "--metrics", "--warmup");
        var database = options.Value("--database") is { Length: > 0 } db
            ? db
            : throw new ArgumentException("billing-run needs --database with a PostgreSQL connection string (Host=...;Port=...;Username=...;Database=...): the figure is for PostgreSQL.");
        if (TallyDatabase.DetectEngine(database) != DatabaseEngine.Postgres || database.TrimStart().StartsWith("postgres", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException("billing-run needs a PostgreSQL connection string of the key=value form (Host=...;Port=...;Username=...;Database=...).");
        }

        var tenants = options.Count("--tenants", 10_000, 1_000_000);
        var warmup = options.Value("--warmup") is "0" ? 0 : options.Count("--warmup", 0, tenants);
        return new BillingRunSettings(database, tenants, options.Count("--metrics", 5, 50), warmup);
    }
}

/// <summary>
/// DESIGN.md figure "billing run, 10,000 tenants × 5 metrics with a month of usage, PostgreSQL: ≤ 30 s without PDFs".
/// Creates a fresh database, starts `tally serve` on it as a child process (no daily schedule, no invoice PDFs), creates
/// M metrics and one plan through the operator API, seeds N tenants with binary COPY (tenants, namespaces,
/// plan_subscriptions, payment_methods and the usage roll-ups billing reads: usage_daily and the edge hours of
/// usage_metric_hourly; no raw events), then times one billing run through <c>POST /api/admin/billing/runs</c> and
/// verifies the invoices it wrote. The database is dropped at the end.
/// </summary>
internal static class BillingRunBenchmark
{
    public const double TargetSeconds = 30;

    private const string Secret = "tally-bench-operator-secret-0123456789abcdef";
    private const string Plan = "bb-plan";
    private const string Namespace = "system";

    /// <summary>Hour of the run's as-of instant, passed to the server as <c>--billing-hour</c>.</summary>
    private const int BillingHour = 8;

    /// <summary>Usage events per hour the roll-ups stand for (each of the hour's quantity / 60): only event_count and max_micros depend on it.</summary>
    private const int EventsPerHour = 60;

    private static readonly string[] Zones = ["UTC", "Asia/Tokyo", "America/Los_Angeles", "UTC"];

    private static readonly MediaTypeHeaderValue Json = new("application/json");

    /// <summary>
    /// The plan's prices, cycled over the metrics: wire JSON (without the metric) and the exact amount in currency units
    /// for a month quantity q (whole units). Quantities are multiples of 600 units, so every amount is a whole number of
    /// cents and the subtotal can be checked exactly.
    /// </summary>
    private static readonly (string Model, string Json, Func<decimal, decimal> Amount)[] Prices =
    [
        ("per_unit", """ "model":"per_unit","included":"1000","unit_price":"0.0001" """, q => Math.Max(0, q - 1000) * 0.0001m),
        ("graduated", """ "model":"graduated","tiers":[{"up_to":"100000","unit_price":"0.001"},{"up_to":null,"unit_price":"0.0005"}] """,
            q => (Math.Min(q, 100_000) * 0.001m) + (Math.Max(0, q - 100_000) * 0.0005m)),
        ("volume", """ "model":"volume","tiers":[{"up_to":"1000000","unit_price":"0.001"},{"up_to":null,"unit_price":"0.0012"}] """,
            q => q * (q <= 1_000_000 ? 0.001m : 0.0012m)),
        ("package", """ "model":"package","package_size":"1000","package_price":"0.50" """, q => Math.Ceiling(q / 1000) * 0.50m),
        ("per_unit", """ "model":"per_unit","unit_price":"0.00005" """, q => q * 0.00005m),
    ];

    private const decimal FlatPrice = 49.00m;

    public static async Task<int> RunAsync(BillingRunSettings settings)
    {
        using var cancel = BenchProgram.CancelOnCtrlC();
        var ct = cancel.Token;
        var tallyDll = Path.Combine(ServerProcess.AppDirectory, "tally.dll");
        var work = Directory.CreateTempSubdirectory("tally-bench-billing-");
        var admin = new NpgsqlConnectionStringBuilder(settings.Database);
        var dbName = "bench_" + Guid.NewGuid().ToString("N")[..12];
        var benchDb = new NpgsqlConnectionStringBuilder(settings.Database) { Database = dbName, Pooling = false }.ConnectionString;
        var serverDb = new NpgsqlConnectionStringBuilder(settings.Database) { Database = dbName }.ConnectionString;
        ServerProcess? tally = null;
        Process? watchdog = null;
        var created = false;
        try
        {
            await ExecuteAsync(admin.ConnectionString, $"CREATE DATABASE {dbName}", ct);
            created = true;
            var url = new Uri($"http://127.0.0.1:{ServerProcess.FreeLoopbackPort().ToString(CultureInfo.InvariantCulture)}/");
            tally = ServerProcess.Start(
                "tally", url, tallyDll,
                ["serve", "--urls", url.ToString().TrimEnd('/'), "--database", serverDb, "--no-billing-schedule", "--no-invoice-pdfs",
                    "--billing-hour", BillingHour.ToString(CultureInfo.InvariantCulture), "--payment-gateway", "test"],
                new Dictionary<string, string?>
                {
                    ["TALLY_BOOTSTRAP_TOKEN"] = Secret, ["TALLY_DATABASE"] = null, ["TALLY_BILLING_HOUR"] = null,
                    ["TALLY_BILLING_SCHEDULE"] = null, ["TALLY_PAYMENT_GATEWAY"] = null,
                },
                work.CreateSubdirectory("tally").FullName);
            watchdog = Watchdog.Start(Environment.ProcessId, [tally.Id], TimeSpan.FromMinutes(60), work.FullName);
            using var handler = new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
            using var op = new HttpClient(handler) { BaseAddress = url, Timeout = TimeSpan.FromMinutes(5) };
            op.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("APIToken", Secret);
            await tally.WaitReadyAsync(async t => (await op.GetAsync(new Uri("readyz", UriKind.Relative), t)).IsSuccessStatusCode, TimeSpan.FromSeconds(120), ct);

            var now = DateTimeOffset.UtcNow;
            var today = DateOnly.FromDateTime(now.UtcDateTime);
            var billingInstant = new DateTimeOffset(today.ToDateTime(new TimeOnly(BillingHour, 0), DateTimeKind.Utc));
            var asOf = billingInstant < now ? billingInstant : now;
            var metrics = Enumerable.Range(1, settings.Metrics).Select(m => string.Create(CultureInfo.InvariantCulture, $"bb-metric-{m}")).ToArray();

            Console.WriteLine("## Billing run");
            Console.WriteLine();
            Console.WriteLine($"- date: {now:yyyy-MM-dd HH:mm} UTC; machine: {MachineCpus()} logical CPUs (this process sees {Environment.ProcessorCount}); .NET {Environment.Version}; load average at start: {LoadAverage()}");
            Console.WriteLine($"- database: {await ScalarTextAsync(benchDb, "SELECT split_part(version(), ' on ', 1)", ct)}, fresh database `{dbName}` (dropped at the end); server `tally serve --no-billing-schedule --no-invoice-pdfs --billing-hour {BillingHour} --payment-gateway test`");

            await SetUpCatalogAsync(op, metrics, ct);
            var tenants = Tenants(settings.Tenants, asOf);
            var seeding = Stopwatch.StartNew();
            var seeded = await SeedAsync(benchDb, tenants, metrics, now, ct);
            var copySeconds = seeding.Elapsed.TotalSeconds;
            await ExecuteAsync(benchDb, "VACUUM ANALYZE tenants, namespaces, plan_subscriptions, payment_methods, usage_daily, usage_metric_hourly", ct);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"- catalog (operator API): {metrics.Length} metrics (sum), plan `{Plan}` (flat {FlatPrice:F2} USD/month, prices {string.Join(", ", metrics.Select((m, i) => Prices[i % Prices.Length].Model))})"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"- seeded with binary COPY in {copySeconds:F1} s (+ VACUUM ANALYZE {seeding.Elapsed.TotalSeconds - copySeconds:F1} s): tenants {seeded.Tenants:N0} (USD, postpaid, locale en; UTC {tenants.Count(t => t.Zone == "UTC"):N0}, Asia/Tokyo {tenants.Count(t => t.Zone == "Asia/Tokyo"):N0}, America/Los_Angeles {tenants.Count(t => t.Zone == "America/Los_Angeles"):N0}; VAT 0 % / 19 % alternating), namespaces {seeded.Tenants:N0} (`system`), plan_subscriptions {seeded.Tenants:N0} (from the first day of the previous month in the tenant's zone, open-ended, no trial), payment_methods {seeded.Tenants:N0} (primary, gateway test, `pm_test_visa_…`), usage_daily {seeded.Daily:N0}, usage_metric_hourly {seeded.Hourly:N0}"));
            Console.WriteLine("- usage: the roll-ups billing reads, for every tenant × metric: one `usage_daily` row per UTC day that overlaps the tenant's previous month (holding only the month's hours of it) and one `usage_metric_hourly` row per hour of the partial UTC days at the Tokyo / Los Angeles month edges. No raw `usage_events`, no `usage_hourly` (per-object) rows and no hourly rows inside whole days were written: billing reads only `usage_daily` for whole UTC days and `usage_metric_hourly` for edge hours (`UsageQueries.ByMetricRangesAsync`).");

            if (settings.Warmup > 0)
            {
                // A dry run over the first W tenants: the server's JIT compiles the billing path (tiered compilation
                // to tier 1) before the measured run; a dry run writes nothing (its transactions roll back).
                var warm = Stopwatch.StartNew();
                var names = string.Join(',', tenants.Take(settings.Warmup).Select(t => $"\"{t.Name}\""));
                var dry = await PollAsync(op, await SendAsync(op, HttpMethod.Post, "api/admin/billing/runs",
                    $$"""{"date":"{{today:yyyy-MM-dd}}","dry_run":true,"tenants":[{{names}}]}""", HttpStatusCode.Accepted, ct), ct);
                var warmSeconds = warm.Elapsed.TotalSeconds;
                var invoicesAfter = await ScalarTextAsync(benchDb, "SELECT count(*) FROM invoices", ct);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"- warm-up: a dry run over the first {settings.Warmup:N0} tenants ({dry["state"]}, {dry["tenants_done"]} done, {dry["invoices_issued"]} invoices it would issue) in {warmSeconds:F1} s; invoices in the database after it: {invoicesAfter}"));
            }
            else
            {
                Console.WriteLine("- warm-up: none (`--warmup 0`): the measured run is the server's first billing run, so it includes the JIT's tier-1 compilation of the billing path");
            }

            var quiet = await LoadDriver.WaitForQuietAsync(AdmissionBenchmark.QuietBelowPercent, TimeSpan.FromSeconds(120), ct);
            Console.WriteLine(quiet is { } q ? string.Create(CultureInfo.InvariantCulture, $"- before the run: machine quiet after {q:F0} s; load average {LoadAverage()}") : $"- before the run: machine not quiet after 120 s, measuring anyway; load average {LoadAverage()}");

            var statements = await TryResetStatementsAsync(benchDb, ct);
            var db0 = await DatabaseStatsAsync(benchDb, dbName, ct);
            var scans0 = await SeqScansAsync(benchDb, ct);
            var server0 = tally.CpuTime;
            var postgres0 = LoadDriver.PostgresTicks();
            var machine0 = LoadDriver.MachineTicks();
            var watch = Stopwatch.StartNew();
            var accepted = await SendAsync(op, HttpMethod.Post, "api/admin/billing/runs",
                $$"""{"date":"{{today:yyyy-MM-dd}}","dry_run":false}""", HttpStatusCode.Accepted, ct);
            var run = await PollAsync(op, accepted, ct);
            var wall = watch.Elapsed.TotalSeconds;
            var serverCpu = (tally.CpuTime - server0).TotalSeconds;
            var postgresCpu = LoadDriver.PostgresCpuSince(postgres0).TotalSeconds;
            var machine1 = LoadDriver.MachineTicks();
            var ticks = machine1.Total - machine0.Total;
            var machineCpu = ticks > 0 ? (double)(machine1.Busy - machine0.Busy) / ticks * MachineCpus() * wall : double.NaN;
            var db1 = await DatabaseStatsAsync(benchDb, dbName, ct);
            var scans1 = await SeqScansAsync(benchDb, ct);

            var started = run["started_at"]?.GetValue<DateTimeOffset>();
            var finished = run["finished_at"]?.GetValue<DateTimeOffset>();
            var runSeconds = started is { } s0 && finished is { } f0 ? (f0 - s0).TotalSeconds : double.NaN;
            var errors = run["errors"]!.AsArray();
            var verified = await VerifyAsync(benchDb, tenants, metrics, ct);

            Console.WriteLine();
            Console.WriteLine("| Tenants × metrics | Wall s (POST → finished) | Run s (started_at → finished_at) | Tenants/s | State | Tenants done / total | Invoices issued | Charges made | Errors | Server CPU s | PostgreSQL CPU s | Other CPU s | ≤ 30 s |");
            Console.WriteLine("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {settings.Tenants:N0} × {settings.Metrics} | {wall:F1} | {runSeconds:F1} | {settings.Tenants / wall:F0} | {run["state"]} | {run["tenants_done"]} / {run["tenants_total"]} | {run["invoices_issued"]} | {run["charges_made"]} | {errors.Count} | {serverCpu:F1} | {postgresCpu:F1} | {Math.Max(0, machineCpu - serverCpu - postgresCpu):F1} | {(wall <= TargetSeconds ? "PASS" : "MISS")} |"));
            Console.WriteLine();
            foreach (var error in errors.Take(5))
            {
                Console.WriteLine($"- error: {error!.ToJsonString()}");
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"- PostgreSQL during the run (pg_stat_database of `{dbName}`): {db1.Commits - db0.Commits:N0} commits ({(db1.Commits - db0.Commits) / (double)settings.Tenants:F1} per tenant), {db1.Rollbacks - db0.Rollbacks:N0} rollbacks, rows returned {db1.Returned - db0.Returned:N0}, fetched {db1.Fetched - db0.Fetched:N0}, inserted {db1.Inserted - db0.Inserted:N0}, updated {db1.Updated - db0.Updated:N0}"));
            var scanned = scans1.Where(kv => kv.Value.Scans > scans0.GetValueOrDefault(kv.Key).Scans)
                .Select(kv => string.Create(CultureInfo.InvariantCulture,
                    $"{kv.Key} {kv.Value.Scans - scans0.GetValueOrDefault(kv.Key).Scans:N0} ({kv.Value.Rows - scans0.GetValueOrDefault(kv.Key).Rows:N0} rows read)"))
                .ToList();
            Console.WriteLine($"- sequential scans during the run (pg_stat_user_tables): {(scanned.Count == 0 ? "none" : string.Join(", ", scanned))}");
            Console.WriteLine(statements
                ? await StatementsAsync(benchDb, settings.Tenants, ct)
                : "- statements per tenant: pg_stat_statements is not loaded on this server (start it with `-c shared_preload_libraries=pg_stat_statements` to get them)");
            foreach (var line in verified.Lines)
            {
                Console.WriteLine($"- check: {line}");
            }

            Console.WriteLine($"- load average at end: {LoadAverage()}");
            var pass = wall <= TargetSeconds && verified.Ok && run["state"]!.GetValue<string>() == "finished" && errors.Count == 0;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"- verdict: **{(pass ? "PASS" : "MISS")}** ({settings.Tenants:N0} tenants × {settings.Metrics} metrics billed in {wall:F1} s against ≤ {TargetSeconds} s{(verified.Ok ? "; every check passed" : "; a check FAILED")})"));
            return verified.Ok ? 0 : 1;
        }
        catch (Exception e) when (e is BenchmarkException or HttpRequestException or NpgsqlException)
        {
            await Console.Error.WriteLineAsync($"benchmark failed: {e.Message}{Environment.NewLine}{tally?.Tail()}");
            return 1;
        }
        finally
        {
            tally?.Dispose();
            Watchdog.Release(watchdog, work);
            if (created)
            {
                NpgsqlConnection.ClearAllPools();
                try
                {
                    await ExecuteAsync(admin.ConnectionString, $"DROP DATABASE IF EXISTS {dbName} WITH (FORCE)", CancellationToken.None);
                }
                catch (NpgsqlException e)
                {
                    await Console.Error.WriteLineAsync($"could not drop database {dbName}: {e.Message}");
                }
            }
        }
    }

    /// <summary>Polls the run of a 202 answer every 200 ms until it is finished or failed (30 minutes at most); returns its last view.</summary>
    private static async Task<JsonNode> PollAsync(HttpClient op, string accepted, CancellationToken ct)
    {
        var id = JsonNode.Parse(accepted)!["id"]!.GetValue<string>();
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var run = JsonNode.Parse(await SendAsync(op, HttpMethod.Get, $"api/admin/billing/runs/{id}", null, HttpStatusCode.OK, ct))!;
            var state = run["state"]!.GetValue<string>();
            if (state is "finished" or "failed")
            {
                return run;
            }

            if (watch.Elapsed > TimeSpan.FromMinutes(30))
            {
                throw new BenchmarkException($"billing run {id} still {state} after 30 minutes: {run.ToJsonString()}");
            }

            await Task.Delay(200, ct);
        }
    }

    /// <summary>A seeded tenant: name, zone, VAT, its previous month (UTC bounds, YYYY-MM) and its usage rate factor.</summary>
    private sealed record Tenant(string Name, string Zone, string VatRate, DateTime PeriodStart, DateTime PeriodEnd, string Period, int Factor)
    {
        public long Hours => (long)(PeriodEnd - PeriodStart).TotalHours;

        /// <summary>Whole units per hour of metric <paramref name="m"/> (0-based): a multiple of 600.</summary>
        public long UnitsPerHour(int m) => 600L * (m + 1) * Factor;
    }

    /// <summary>N tenants; 1/4 Asia/Tokyo, 1/4 America/Los_Angeles, the rest UTC; each with the month before <paramref name="asOf"/>'s in its zone.</summary>
    private static List<Tenant> Tenants(int count, DateTimeOffset asOf)
    {
        var list = new List<Tenant>(count);
        for (var i = 0; i < count; i++)
        {
            var zoneId = Zones[i % Zones.Length];
            var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
            var local = TimeZoneInfo.ConvertTime(asOf, zone);
            var previous = new DateTime(local.Year, local.Month, 1, 0, 0, 0, DateTimeKind.Unspecified).AddMonths(-1);
            var start = TimeZoneInfo.ConvertTimeToUtc(previous, zone);
            var end = TimeZoneInfo.ConvertTimeToUtc(previous.AddMonths(1), zone);
            list.Add(new Tenant(string.Create(CultureInfo.InvariantCulture, $"bb-tenant-{i:D7}"), zoneId, i % 2 == 0 ? "0" : "19",
                start, end, previous.ToString("yyyy-MM", CultureInfo.InvariantCulture), 1 + (i % 7)));
        }

        return list;
    }

    private static async Task SetUpCatalogAsync(HttpClient op, string[] metrics, CancellationToken ct)
    {
        foreach (var name in metrics)
        {
            await SendAsync(op, HttpMethod.Put, $"api/admin/metrics/{name}",
                $$"""{"display_name":"{{name}}","unit_name":"units","billable_unit_name":"units","divisor":"1","aggregation":"sum","service":"bench","sku":"SKU-{{name}}"}""",
                HttpStatusCode.OK, ct, anySuccess: true);
        }

        var prices = string.Join(',', metrics.Select((m, i) => $$"""{"metric":"{{m}}",{{Prices[i % Prices.Length].Json.Trim()}}}"""));
        await SendAsync(op, HttpMethod.Put, $"api/admin/plans/{Plan}",
            $$"""{"title":"Billing bench","currency":"USD","flat_price":"{{FlatPrice.ToString("F2", CultureInfo.InvariantCulture)}}","usage_plan_type":"TEAM","tenant_type":"ENTERPRISE","billing_mode":"postpaid","prices":[{{prices}}]}""",
            HttpStatusCode.OK, ct, anySuccess: true);
    }

    /// <summary>Binary COPY of every seeded table, one transaction; returns the row counts of the usage tables.</summary>
    private static async Task<(int Tenants, long Daily, long Hourly)> SeedAsync(string connection, List<Tenant> tenants, string[] metrics, DateTimeOffset now, CancellationToken ct)
    {
        var at = now.UtcDateTime;
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var copy = await conn.BeginBinaryImportAsync(
            "COPY tenants (tenant_id, display_name, currency, time_zone, locale, billing_mode, vat_rate, created_at, updated_at) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var t in tenants)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(t.Name, NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync("Bench " + t.Name, NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync("USD", NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync(t.Zone, NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync("en", NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync("postpaid", NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync(t.VatRate, NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync(at, NpgsqlDbType.TimestampTz, ct);
                await copy.WriteAsync(at, NpgsqlDbType.TimestampTz, ct);
            }

            await copy.CompleteAsync(ct);
        }

        await using (var copy = await conn.BeginBinaryImportAsync("COPY namespaces (tenant_id, name, created_at) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var t in tenants)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(t.Name, NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync(Namespace, NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync(at, NpgsqlDbType.TimestampTz, ct);
            }

            await copy.CompleteAsync(ct);
        }

        await using (var copy = await conn.BeginBinaryImportAsync(
            "COPY plan_subscriptions (tenant_id, id, plan, starts_at, created_at) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var t in tenants)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(t.Name, NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync("sub-" + Guid.NewGuid().ToString("D"), NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync(Plan, NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync(t.PeriodStart, NpgsqlDbType.TimestampTz, ct);
                await copy.WriteAsync(at, NpgsqlDbType.TimestampTz, ct);
            }

            await copy.CompleteAsync(ct);
        }

        await using (var copy = await conn.BeginBinaryImportAsync(
            "COPY payment_methods (tenant_id, name, role, brand, last4, exp_month, exp_year, gateway, gateway_reference, created_at) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var t in tenants)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(t.Name, NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync("payment-method-" + Guid.NewGuid().ToString("N")[..8], NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync("primary", NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync("visa", NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync("4242", NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync(at.Month, NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(at.Year + 3, NpgsqlDbType.Integer, ct);
                await copy.WriteAsync("test", NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync("pm_test_visa_" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz", 16), NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync(at, NpgsqlDbType.TimestampTz, ct);
            }

            await copy.CompleteAsync(ct);
        }

        // Daily rows: every UTC day overlapping the tenant's month, holding that day's hours of the month. Hourly rows:
        // every month hour of a UTC day the month covers only partly (the edges of non-UTC zones).
        long daily = 0;
        long hourly = 0;
        await using (var copy = await conn.BeginBinaryImportAsync(
            "COPY usage_daily (tenant_id, day_start, namespace, metric, sum_micros, max_micros, event_count) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var t in tenants)
            {
                for (var day = t.PeriodStart.Date; day < t.PeriodEnd; day = day.AddDays(1))
                {
                    var from = day < t.PeriodStart ? t.PeriodStart : day;
                    var to = day.AddDays(1) > t.PeriodEnd ? t.PeriodEnd : day.AddDays(1);
                    var hours = (long)(to - from).TotalHours;
                    for (var m = 0; m < metrics.Length; m++)
                    {
                        await WriteRollUpAsync(copy, t, Unix(day), metrics[m], t.UnitsPerHour(m), hours, ct);
                        daily++;
                    }
                }
            }

            await copy.CompleteAsync(ct);
        }

        await using (var copy = await conn.BeginBinaryImportAsync(
            "COPY usage_metric_hourly (tenant_id, hour_start, namespace, metric, sum_micros, max_micros, event_count) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var t in tenants)
            {
                foreach (var (edgeFrom, edgeTo) in new[] { (t.PeriodStart, t.PeriodStart.Date == t.PeriodStart ? t.PeriodStart : t.PeriodStart.Date.AddDays(1)), (t.PeriodEnd.Date, t.PeriodEnd) })
                {
                    for (var hour = edgeFrom; hour < edgeTo; hour = hour.AddHours(1))
                    {
                        for (var m = 0; m < metrics.Length; m++)
                        {
                            await WriteRollUpAsync(copy, t, Unix(hour), metrics[m], t.UnitsPerHour(m), 1, ct);
                            hourly++;
                        }
                    }
                }
            }

            await copy.CompleteAsync(ct);
        }

        await tx.CommitAsync(ct);
        return (tenants.Count, daily, hourly);
    }

    private static async Task WriteRollUpAsync(NpgsqlBinaryImporter copy, Tenant t, long start, string metric, long unitsPerHour, long hours, CancellationToken ct)
    {
        await copy.StartRowAsync(ct);
        await copy.WriteAsync(t.Name, NpgsqlDbType.Varchar, ct);
        await copy.WriteAsync(start, NpgsqlDbType.Bigint, ct);
        await copy.WriteAsync(Namespace, NpgsqlDbType.Varchar, ct);
        await copy.WriteAsync(metric, NpgsqlDbType.Varchar, ct);
        await copy.WriteAsync(unitsPerHour * hours * 1_000_000, NpgsqlDbType.Bigint, ct);
        await copy.WriteAsync(unitsPerHour * 1_000_000 / EventsPerHour, NpgsqlDbType.Bigint, ct);
        await copy.WriteAsync(hours * EventsPerHour, NpgsqlDbType.Bigint, ct);
    }

    private static long Unix(DateTime utc) => new DateTimeOffset(utc, TimeSpan.Zero).ToUnixTimeSeconds();

    /// <summary>Checks the invoices the run wrote against what the seed implies; returns the lines to print and whether all held.</summary>
    private static async Task<(bool Ok, List<string> Lines)> VerifyAsync(string connection, List<Tenant> tenants, string[] metrics, CancellationToken ct)
    {
        var lines = new List<string>();
        var ok = true;
        void Check(bool holds, string text)
        {
            ok &= holds;
            lines.Add((holds ? "ok: " : "FAILED: ") + text);
        }

        // Expected: per tenant one invoice of its previous month, 1 plan line + one line per metric with a non-zero amount.
        var expectedLines = 0L;
        var expectedSubtotalMinor = 0L;
        var nonZero = new HashSet<int>();
        foreach (var t in tenants)
        {
            var tenantSubtotal = FlatPrice;
            expectedLines++;
            for (var m = 0; m < metrics.Length; m++)
            {
                var amount = Prices[m % Prices.Length].Amount(t.UnitsPerHour(m) * t.Hours);
                if (amount != 0)
                {
                    expectedLines++;
                    nonZero.Add(m);
                }

                tenantSubtotal += amount;
            }

            expectedSubtotalMinor += (long)(tenantSubtotal * 100);
        }

        var byPeriod = tenants.GroupBy(t => t.Period).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync(ct);
        foreach (var period in byPeriod)
        {
            var count = await ScalarAsync(conn, "SELECT count(*) FROM invoices WHERE period = @p", period.Key, ct);
            var distinctTenants = await ScalarAsync(conn, "SELECT count(DISTINCT tenant_id) FROM invoices WHERE period = @p", period.Key, ct);
            Check(count == period.Count() && distinctTenants == period.Count(),
                string.Create(CultureInfo.InvariantCulture, $"{count:N0} invoices of period {period.Key} for {distinctTenants:N0} tenants (expected {period.Count():N0}, one each)"));
            var friendly = await ScalarAsync(conn, "SELECT count(DISTINCT friendly_id) FROM invoices WHERE friendly_id LIKE @p || '-%'", period.Key, ct);
            var maxSequence = await ScalarAsync(conn, "SELECT coalesce(max(CAST(substr(friendly_id, 9) AS bigint)), 0) FROM invoices WHERE friendly_id LIKE @p || '-%'", period.Key, ct);
            var minSequence = await ScalarAsync(conn, "SELECT coalesce(min(CAST(substr(friendly_id, 9) AS bigint)), 0) FROM invoices WHERE friendly_id LIKE @p || '-%'", period.Key, ct);
            var counter = await ScalarAsync(conn, "SELECT coalesce(max(last_sequence), 0) FROM invoice_counters WHERE prefix = @p", period.Key, ct);
            Check(friendly == count && minSequence == 1 && maxSequence == count && counter == count,
                string.Create(CultureInfo.InvariantCulture, $"friendly ids {period.Key}-…: {friendly:N0} distinct, sequences {minSequence}–{maxSequence:N0}, invoice_counters {counter:N0} (unique and gap-free)"));
        }

        var invoices = await ScalarAsync(conn, "SELECT count(*) FROM invoices", null, ct);
        Check(invoices == tenants.Count, string.Create(CultureInfo.InvariantCulture, $"{invoices:N0} invoices in all (expected {tenants.Count:N0})"));
        var lineCount = await ScalarAsync(conn, "SELECT count(*) FROM invoice_line_items", null, ct);
        Check(lineCount == expectedLines,
            string.Create(CultureInfo.InvariantCulture, $"{lineCount:N0} invoice lines (expected {expectedLines:N0} = {tenants.Count:N0} × (1 plan line + {nonZero.Count} metrics with a non-zero amount))"));
        var states = new List<string>();
        await using (var command = new NpgsqlCommand("SELECT state, count(*) FROM invoices GROUP BY state ORDER BY state", conn))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                states.Add(string.Create(CultureInfo.InvariantCulture, $"{reader.GetString(0)} {reader.GetInt64(1):N0}"));
            }
        }

        var pending = await ScalarAsync(conn, "SELECT count(*) FROM invoices WHERE state = 'pending'", null, ct);
        Check(pending == tenants.Count, $"invoice states: {string.Join(", ", states)} (expected all pending: charges fall due 2 days after issue)");
        var transactions = await ScalarAsync(conn, "SELECT count(*) FROM payment_transactions", null, ct);
        Check(transactions == 0, string.Create(CultureInfo.InvariantCulture, $"{transactions} payment transactions (expected 0)"));
        var subtotal = await ScalarAsync(conn, "SELECT coalesce(sum(subtotal_minor), 0) FROM invoices", null, ct);
        Check(subtotal == expectedSubtotalMinor,
            string.Create(CultureInfo.InvariantCulture, $"sum of subtotals {subtotal / 100m:N2} USD (expected {expectedSubtotalMinor / 100m:N2} from the seeded quantities and the plan's prices)"));
        var pdfs = await ScalarAsync(conn, "SELECT count(*) FROM invoice_pdfs", null, ct);
        Check(pdfs == 0, string.Create(CultureInfo.InvariantCulture, $"{pdfs} stored invoice PDFs (expected 0: --no-invoice-pdfs)"));
        return (ok, lines);
    }

    private sealed record DbStats(long Commits, long Rollbacks, long Returned, long Fetched, long Inserted, long Updated);

    private static async Task<DbStats> DatabaseStatsAsync(string connection, string dbName, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            "SELECT xact_commit, xact_rollback, tup_returned, tup_fetched, tup_inserted, tup_updated FROM pg_stat_database WHERE datname = @d", conn);
        command.Parameters.AddWithValue("d", dbName);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new DbStats(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5))
            : new DbStats(0, 0, 0, 0, 0, 0);
    }

    /// <summary>Sequential scans so far and the rows they read, per table of the bench database.</summary>
    private static async Task<Dictionary<string, (long Scans, long Rows)>> SeqScansAsync(string connection, CancellationToken ct)
    {
        var result = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT relname, coalesce(seq_scan, 0), coalesce(seq_tup_read, 0) FROM pg_stat_user_tables", conn);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            result[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt64(2));
        }

        return result;
    }

    /// <summary>Creates pg_stat_statements in the bench database and resets it; false when the server does not preload it.</summary>
    private static async Task<bool> TryResetStatementsAsync(string connection, CancellationToken ct)
    {
        try
        {
            await ExecuteAsync(connection, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements", ct);
            await ExecuteAsync(connection, "SELECT pg_stat_statements_reset()", ct);
            return true;
        }
        catch (PostgresException)
        {
            return false;
        }
    }

    /// <summary>Statements executed during the run in the bench database: calls per tenant and the top ones by total time.</summary>
    private static async Task<string> StatementsAsync(string connection, int tenants, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync(ct);
        var text = new StringBuilder();
        await using var command = new NpgsqlCommand(
            """
            SELECT calls, total_exec_time, regexp_replace(query, '\s+', ' ', 'g')
            FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND query NOT LIKE '%pg_stat_%'
            ORDER BY total_exec_time DESC
            """, conn);
        var rows = new List<(long Calls, double Ms, string Query)>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                rows.Add((reader.GetInt64(0), reader.GetDouble(1), reader.GetString(2)));
            }
        }

        text.Append(CultureInfo.InvariantCulture,
            $"- statements (pg_stat_statements): {rows.Sum(r => r.Calls):N0} calls ({rows.Sum(r => r.Calls) / (double)tenants:F1} per tenant), {rows.Sum(r => r.Ms) / 1000:F1} s execution time in PostgreSQL; top 10 by time:");
        foreach (var (calls, ms, query) in rows.Take(10))
        {
            text.AppendLine().Append(CultureInfo.InvariantCulture,
                $"  - {calls:N0} calls, {ms / 1000:F2} s: `{(query.Length > 160 ? query[..160] + "…" : query).Replace('`', '\'')}`");
        }

        return text.ToString();
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection conn, string sql, string? p, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, conn);
        if (p is not null)
        {
            command.Parameters.AddWithValue("p", p);
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

    private static async Task<string> ScalarTextAsync(string connection, string sql, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, conn);
        return Convert.ToString(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture) ?? "";
    }

    private static async Task ExecuteAsync(string connection, string sql, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, conn) { CommandTimeout = 600 };
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<string> SendAsync(
        HttpClient client, HttpMethod method, string path, string? json, HttpStatusCode expected, CancellationToken ct, bool anySuccess = false)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = Json;
        }

        using var response = await client.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        return response.StatusCode == expected || (anySuccess && response.IsSuccessStatusCode)
            ? text
            : throw new BenchmarkException($"{method} {path} answered {(int)response.StatusCode}: {text[..Math.Min(text.Length, 1000)]}");
    }

    /// <summary>
    /// The machine's logical CPUs from /proc/stat (<c>cpuN</c> lines): unlike <see cref="Environment.ProcessorCount"/>
    /// not changed by <c>DOTNET_PROCESSOR_COUNT</c>, which a run may set to change the server's billing parallelism.
    /// </summary>
    private static int MachineCpus()
    {
        try
        {
            var count = File.ReadLines("/proc/stat").Count(l => l.StartsWith("cpu", StringComparison.Ordinal) && l.Length > 3 && char.IsAsciiDigit(l[3]));
            return count > 0 ? count : Environment.ProcessorCount;
        }
        catch (IOException)
        {
            return Environment.ProcessorCount;
        }
    }

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
