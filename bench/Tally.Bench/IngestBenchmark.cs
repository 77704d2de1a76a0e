using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Bench;

internal sealed record IngestSettings(string? Database, int Events, int Batch, int Clients, double Warmup, int Tenants)
{
    public static IngestSettings From(Options options)
    {
        options.Only("--database", "--events", "--batch", "--clients", "--warmup", "--tenants");
        var settings = new IngestSettings(
            options.Value("--database") is { Length: > 0 } db ? db : null,
            options.Count("--events", 400_000, 10_000_000),
            options.Count("--batch", 5_000, 10_000),
            options.Count("--clients", 4, 64),
            options.NonNegative("--warmup", 20),
            options.Count("--tenants", 4, 100));
        return settings.Events % settings.Batch == 0
            ? settings
            : throw new ArgumentException("--events must be a multiple of --batch.");
    }
}

/// <summary>
/// DESIGN.md figures "usage ingest over HTTP ≥ 0.5 × a raw COPY (PostgreSQL) / a bare prepared-statement insert loop
/// (SQLite) of the same rows into the same table with the same unique key", and "server memory under sustained ingest
/// ≤ 300 MB RSS". One run measures the baseline, then Tally (`tally serve` as a child process) on the same rows.
/// </summary>
internal static class IngestBenchmark
{
    public const double TargetRatio = 0.5;
    public const double TargetRssMb = 300;

    private const string Secret = "tally-bench-operator-secret-0123456789abcdef";

    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private static readonly string[] BaselineParameters = ["$t", "$i", "$n", "$m", "$o", "$q", "$at", "$l", "$r"];

    public static async Task<int> RunAsync(IngestSettings settings)
    {
        using var cancel = BenchProgram.CancelOnCtrlC();
        var ct = cancel.Token;
        var tallyDll = Path.Combine(ServerProcess.AppDirectory, "tally.dll");
        var work = Directory.CreateTempSubdirectory("tally-ingest-bench-");
        ServerProcess? tally = null;
        Process? watchdog = null;
        try
        {
            var run = "i" + Guid.NewGuid().ToString("N")[..8];
            var tenants = Enumerable.Range(0, settings.Tenants).Select(i => string.Create(CultureInfo.InvariantCulture, $"{run}t{i}")).ToArray();
            var now = DateTimeOffset.UtcNow;
            var events = IngestData.Generate(tenants, run, settings.Events, now, seed: 42);
            PrintHeader(settings, events);

            // 1. Baseline on the same rows.
            Console.Error.WriteLine("baseline ...");
            var baseline = settings.Database is { } pg
                ? await CopyBaselineAsync(pg, events, settings, ct)
                : SqliteBaseline(Path.Combine(work.CreateSubdirectory("baseline").FullName, "baseline.db"), events, settings);

            // 2. Tally over HTTP.
            var url = new Uri($"http://127.0.0.1:{ServerProcess.FreeLoopbackPort().ToString(CultureInfo.InvariantCulture)}/");
            var database = settings.Database ?? Path.Combine(work.CreateSubdirectory("data").FullName, "tally.db");
            tally = ServerProcess.Start(
                "tally", url, tallyDll, ["serve", "--urls", url.ToString().TrimEnd('/'), "--database", database],
                new Dictionary<string, string?> { ["TALLY_BOOTSTRAP_TOKEN"] = Secret, ["TALLY_DATABASE"] = null },
                work.CreateSubdirectory("tally").FullName);
            watchdog = Watchdog.Start(Environment.ProcessId, [tally.Id], TimeSpan.FromMinutes(30), work.FullName);
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = settings.Clients, UseProxy = false, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
            using var client = new HttpClient(handler) { BaseAddress = url, Timeout = TimeSpan.FromMinutes(2) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("APIToken", Secret);
            await tally.WaitReadyAsync(async t => (await client.GetAsync(new Uri("readyz", UriKind.Relative), t)).IsSuccessStatusCode, TimeSpan.FromSeconds(120), ct);
            await SetUpAsync(client, database, tenants, ct);

            Console.Error.WriteLine($"warming up Tally for {settings.Warmup} s ...");
            var warm = await WarmUpAsync(client, tenants, settings, now, ct);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"warm-up: {warm.Events} events, last slice {warm.LastRate:F0} events/s; measuring ..."));

            var bodies = Enumerable.Range(0, settings.Events / settings.Batch).Select(b => IngestData.JsonBody(events, b * settings.Batch, settings.Batch)).ToArray();
            var result = await DriveAsync(client, tally, bodies, settings, ct);
            var hwm = ReadStatusKb(tally.Id, "VmHWM") / 1024.0;

            var (stored, rolled) = await CountAsync(database, tenants, ct);
            PrintResults(settings, baseline, result, hwm, stored, rolled, warm.Events);
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

    /// <summary><paramref name="PostgresCpu"/>: CPU of the <c>postgres</c> processes during the window (zero on SQLite).</summary>
    private sealed record Baseline(string Name, double Seconds, int Rows, TimeSpan PostgresCpu = default)
    {
        public double RowsPerSecond => Rows / Seconds;
    }

    private sealed record Driven(double Seconds, long Accepted, long Other, TimeSpan ServerCpu, double MaxRssMb, TimeSpan PostgresCpu)
    {
        public double EventsPerSecond => Accepted / Seconds;
    }

    /// <summary>One binary COPY of all rows into a fresh table <c>LIKE usage_events INCLUDING ALL</c> (same columns, same primary key).</summary>
    private static async Task<Baseline> CopyBaselineAsync(string connection, IngestEvent[] events, IngestSettings settings, CancellationToken ct)
    {
        await using (var database = new TallyDatabase(connection))
        {
            await database.MigrateAsync(ct);
        }

        var table = "bench_copy_" + Guid.NewGuid().ToString("N")[..8];
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync(ct);
        await ExecuteAsync(conn, $"CREATE TABLE {table} (LIKE usage_events INCLUDING ALL)", ct);
        try
        {
            // Warm the driver's code paths on a throwaway copy, then truncate.
            await CopyAsync(conn, table, events.AsMemory(0, Math.Min(events.Length, 20_000)), ct);
            await ExecuteAsync(conn, $"TRUNCATE {table}", ct);
            var pg0 = LoadDriver.PostgresTicks();
            var watch = Stopwatch.StartNew();
            await CopyAsync(conn, table, events, ct);
            watch.Stop();
            return new Baseline(
                $"raw binary `COPY` of all rows into a fresh `LIKE usage_events INCLUDING ALL` table (one COPY, one commit)",
                watch.Elapsed.TotalSeconds, events.Length, LoadDriver.PostgresCpuSince(pg0));
        }
        finally
        {
            await ExecuteAsync(conn, $"DROP TABLE {table}", CancellationToken.None);
        }
    }

    private static async Task CopyAsync(NpgsqlConnection conn, string table, ReadOnlyMemory<IngestEvent> events, CancellationToken ct)
    {
        var received = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        await using var copy = await conn.BeginBinaryImportAsync(
            $"COPY {table} (tenant_id, event_id, namespace, metric, object_name, quantity_micros, occurred_at_us, labels_json, received_at_us) FROM STDIN (FORMAT BINARY)", ct);
        for (var i = 0; i < events.Length; i++)
        {
            var e = events.Span[i];
            await copy.StartRowAsync(ct);
            await copy.WriteAsync(e.Tenant, NpgsqlDbType.Varchar, ct);
            await copy.WriteAsync(e.Id, NpgsqlDbType.Varchar, ct);
            await copy.WriteAsync(e.Namespace, NpgsqlDbType.Varchar, ct);
            await copy.WriteAsync(e.Metric, NpgsqlDbType.Varchar, ct);
            await copy.WriteAsync(e.ObjectName, NpgsqlDbType.Varchar, ct);
            await copy.WriteAsync(e.QuantityMicros, NpgsqlDbType.Bigint, ct);
            await copy.WriteAsync(e.OccurredAtUs, NpgsqlDbType.Bigint, ct);
            if (e.LabelsJson is null)
            {
                await copy.WriteNullAsync(ct);
            }
            else
            {
                await copy.WriteAsync(e.LabelsJson, NpgsqlDbType.Text, ct);
            }

            await copy.WriteAsync(received, NpgsqlDbType.Bigint, ct);
        }

        await copy.CompleteAsync(ct);
    }

    private static async Task ExecuteAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, conn);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// A fresh SQLite file with Tally's pragmas (WAL, synchronous=FULL) and <c>usage_events</c>' shape and key; one
    /// prepared INSERT per row, one transaction per request-sized batch (as durable as Tally's per-request commit).
    /// </summary>
    private static Baseline SqliteBaseline(string file, IngestEvent[] events, IngestSettings settings)
    {
        using var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ConnectionString);
        conn.Open();
        using (var setup = conn.CreateCommand())
        {
            setup.CommandText = """
                PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
                CREATE TABLE usage_events (
                    tenant_id TEXT NOT NULL, event_id TEXT NOT NULL, namespace TEXT NOT NULL, metric TEXT NOT NULL,
                    object_name TEXT NOT NULL, quantity_micros INTEGER NOT NULL, occurred_at_us INTEGER NOT NULL,
                    labels_json TEXT NULL, received_at_us INTEGER NOT NULL,
                    CONSTRAINT PK_usage_events PRIMARY KEY (tenant_id, event_id));
                CREATE TABLE warm AS SELECT * FROM usage_events WHERE 0;
                """;
            setup.ExecuteNonQuery();
        }

        using var insert = conn.CreateCommand();
        insert.CommandText = "INSERT INTO usage_events VALUES ($t, $i, $n, $m, $o, $q, $at, $l, $r)";
        var p = BaselineParameters.Select(n => insert.Parameters.Add(new SqliteParameter(n, DBNull.Value))).ToArray();
        insert.Prepare();
        var received = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        var watch = Stopwatch.StartNew();
        for (var offset = 0; offset < events.Length; offset += settings.Batch)
        {
            using var tx = conn.BeginTransaction();
            insert.Transaction = tx;
            for (var i = offset; i < offset + settings.Batch; i++)
            {
                var e = events[i];
                p[0].Value = e.Tenant;
                p[1].Value = e.Id;
                p[2].Value = e.Namespace;
                p[3].Value = e.Metric;
                p[4].Value = e.ObjectName;
                p[5].Value = e.QuantityMicros;
                p[6].Value = e.OccurredAtUs;
                p[7].Value = (object?)e.LabelsJson ?? DBNull.Value;
                p[8].Value = received;
                insert.ExecuteNonQuery();
            }

            tx.Commit();
        }

        watch.Stop();
        return new Baseline($"prepared `INSERT` loop into a fresh SQLite file (WAL, synchronous=FULL), same table and key, one transaction per {settings.Batch} rows", watch.Elapsed.TotalSeconds, events.Length);
    }

    private static async Task SetUpAsync(HttpClient client, string database, string[] tenants, CancellationToken ct)
    {
        foreach (var tenant in tenants)
        {
            await PostAsync(client, "api/admin/tenants", $$"""{"name":"{{tenant}}"}""", ct);
            foreach (var ns in IngestData.Namespaces)
            {
                await PostAsync(client, $"api/admin/tenants/{tenant}/namespaces", $$"""{"name":"{{ns}}"}""", ct);
            }
        }

        // The catalog rows directly (the catalog routes are another feature); skip those already there.
        await using var db = new TallyDatabase(database);
        await using var context = db.CreateContext();
        var existing = await context.Metrics.Select(m => m.Name).ToListAsync(ct);
        context.Metrics.AddRange(IngestData.Metrics.Except(existing).Select(name => new MetricRow { Name = name, DefinitionJson = "{}", UpdatedAt = DateTimeOffset.UtcNow }));
        await context.SaveChangesAsync(ct);
    }

    private static async Task PostAsync(HttpClient client, string path, string json, CancellationToken ct)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(new Uri(path, UriKind.Relative), content, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new BenchmarkException($"POST {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        }
    }

    /// <summary>
    /// Sustained ingest of fresh events (other ids than the measured ones, generated on the fly) for at least
    /// <c>--warmup</c> seconds, then in 3 s slices until two slices agree within 5 % (at most 60 s): the tiered JIT
    /// recompiles the server's code for a while under load.
    /// </summary>
    private static async Task<(long Events, double LastRate)> WarmUpAsync(HttpClient client, string[] tenants, IngestSettings settings, DateTimeOffset now, CancellationToken ct)
    {
        var total = 0L;
        var sequence = 0;
        var elapsed = 0.0;
        double? previous = null;
        while (elapsed < 60)
        {
            var sent = 0L;
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(_ => Task.Run(async () =>
            {
                while (watch.Elapsed.TotalSeconds < 3)
                {
                    var n = Interlocked.Increment(ref sequence);
                    var body = IngestData.JsonBody(IngestData.Generate(tenants, string.Create(CultureInfo.InvariantCulture, $"w{n}"), settings.Batch, now, seed: n), 0, settings.Batch);
                    using var content = new ByteArrayContent(body);
                    content.Headers.ContentType = Json;
                    using var response = await client.PostAsync(new Uri("api/admin/usage/events", UriKind.Relative), content, ct);
                    var text = await response.Content.ReadAsStringAsync(ct);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        throw new BenchmarkException($"warm-up ingest answered {(int)response.StatusCode}: {text}");
                    }

                    Interlocked.Add(ref sent, (int)JsonNode.Parse(text)!["accepted"]!);
                }
            }, ct)));
            var rate = sent / watch.Elapsed.TotalSeconds;
            total += sent;
            elapsed += watch.Elapsed.TotalSeconds;
            if (elapsed >= settings.Warmup && previous is { } p && Math.Abs(rate - p) < 0.05 * p)
            {
                return (total, rate);
            }

            previous = rate;
        }

        return (total, previous ?? 0);
    }

    /// <summary><c>--clients</c> workers send the pre-serialised bodies as fast as answers come back; the server's RSS is sampled every 100 ms.</summary>
    private static async Task<Driven> DriveAsync(HttpClient client, ServerProcess tally, byte[][] bodies, IngestSettings settings, CancellationToken ct)
    {
        var next = -1;
        long accepted = 0, other = 0;
        var maxRssKb = 0L;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                maxRssKb = Math.Max(maxRssKb, ReadStatusKb(tally.Id, "VmRSS"));
                try
                {
                    await Task.Delay(100, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }, CancellationToken.None);

        var cpu0 = tally.CpuTime;
        var pg0 = LoadDriver.PostgresTicks();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(_ => Task.Run(async () =>
        {
            int b;
            while ((b = Interlocked.Increment(ref next)) < bodies.Length)
            {
                using var content = new ByteArrayContent(bodies[b]);
                content.Headers.ContentType = Json;
                using var response = await client.PostAsync(new Uri("api/admin/usage/events", UriKind.Relative), content, ct);
                var text = await response.Content.ReadAsStringAsync(ct);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw new BenchmarkException($"ingest answered {(int)response.StatusCode}: {text}");
                }

                var body = JsonNode.Parse(text)!;
                Interlocked.Add(ref accepted, (int)body["accepted"]!);
                Interlocked.Add(ref other, (int)body["duplicates"]! + body["rejected"]!.AsArray().Count);
            }
        }, ct)));
        watch.Stop();
        var cpu = tally.CpuTime - cpu0;
        var pgCpu = LoadDriver.PostgresCpuSince(pg0);
        await stop.CancelAsync();
        await sampler;
        return new Driven(watch.Elapsed.TotalSeconds, accepted, other, cpu, maxRssKb / 1024.0, pgCpu);
    }

    private static async Task<(long Events, long RolledUp)> CountAsync(string database, string[] tenants, CancellationToken ct)
    {
        await using var db = new TallyDatabase(database);
        await using var context = db.CreateContext();
        var events = await context.UsageEvents.LongCountAsync(e => tenants.Contains(e.TenantId), ct);
        var rolled = await context.UsageHourly.Where(h => tenants.Contains(h.TenantId)).SumAsync(h => h.EventCount, ct);
        return (events, rolled);
    }

    /// <summary>A "VmXxx:   123 kB" line of /proc/&lt;pid&gt;/status, in kB (0 when unreadable).</summary>
    private static long ReadStatusKb(int pid, string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static void PrintHeader(IngestSettings settings, IngestEvent[] events)
    {
        Console.WriteLine("## Usage ingest");
        Console.WriteLine();
        Console.WriteLine($"- date: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; machine: {Environment.ProcessorCount} logical CPUs; .NET {Environment.Version}");
        Console.WriteLine($"- database: {(settings.Database is null ? "fresh temporary SQLite files (baseline and Tally each their own)" : "PostgreSQL (connection given with --database)")}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"- events: {settings.Events:N0} unique, {settings.Tenants} tenants × {IngestData.Namespaces.Length} namespaces × {IngestData.Metrics.Length} metrics × {IngestData.ObjectsPerNamespace} objects, timestamps over the last 6 h, labels on ~25 %, {events.Sum(e => (long)e.Id.Length) / events.Length} -char ids"));
        Console.WriteLine($"- Tally load: {settings.Clients} concurrent clients, {settings.Batch:N0} events per request (JSON, pre-serialised), warm-up ≥ {settings.Warmup} s until steady");
    }

    private static void PrintResults(IngestSettings settings, Baseline baseline, Driven tally, double hwmMb, long stored, long rolled, long warmupEvents)
    {
        Console.WriteLine();
        var pg = settings.Database is not null;
        Console.WriteLine($"| Path | Rows | Seconds | Rows/s | Server CPU (% of one core) |{(pg ? " PostgreSQL CPU µs/row |" : "")}");
        Console.WriteLine($"|---|---:|---:|---:|---:|{(pg ? "---:|" : "")}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| Baseline: {baseline.Name} | {baseline.Rows} | {baseline.Seconds:F2} | {baseline.RowsPerSecond:F0} | – |{(pg ? $" {baseline.PostgresCpu.TotalMicroseconds / baseline.Rows:F1} |" : "")}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| Tally `POST /api/admin/usage/events` (dedup + roll-ups, committed before 200) | {tally.Accepted} | {tally.Seconds:F2} | {tally.EventsPerSecond:F0} | {tally.ServerCpu.TotalSeconds / tally.Seconds * 100:F0} |{(pg ? $" {tally.PostgresCpu.TotalMicroseconds / Math.Max(1, tally.Accepted):F1} |" : "")}"));
        Console.WriteLine();
        var ratio = tally.EventsPerSecond / baseline.RowsPerSecond;
        var ratioOk = ratio >= TargetRatio;
        var rssOk = hwmMb <= TargetRssMb && tally.MaxRssMb <= TargetRssMb;
        var correct = tally.Accepted == settings.Events && tally.Other == 0 && stored == settings.Events + warmupEvents && rolled == stored;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- ratio Tally / baseline: **{ratio:F3}** (target ≥ {TargetRatio}): {(ratioOk ? "PASS" : "MISS")}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- Tally RSS: max VmRSS while measured **{tally.MaxRssMb:F0} MB**, VmHWM (peak since start, warm-up included) **{hwmMb:F0} MB** (target ≤ {TargetRssMb} MB): {(rssOk ? "PASS" : "MISS")}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- stored afterwards: {stored} events (measured {settings.Events} + warm-up {warmupEvents}), roll-up event_count sum {rolled}: {(correct ? "consistent" : "**INCONSISTENT**")}"));
        Console.WriteLine($"- verdict: **{(ratioOk && rssOk && correct ? "PASS" : "MISS")}**");
    }
}
