using System.Net;
using Tally.Server.Tests.Infrastructure;
using static Tally.Server.Tests.Usage.UsageTestKit;

namespace Tally.Server.Tests.Usage;

/// <summary>Ingestion outcomes, idempotency and roll-ups through the real pipeline.</summary>
public abstract class UsageIngestTests(TallyFixture fx)
{
    private async Task<string> TenantWithMetricsAsync(params string[] namespaces)
    {
        await EnsureMetricsAsync(fx.Services, "requests", "bytes");
        return await fx.CreateTenantAsync(namespaces.Length == 0 ? ["default"] : namespaces);
    }

    [Fact]
    public async Task Accepted_events_are_stored_with_hourly_sum_max_and_count_per_object_and_hour()
    {
        var tenant = await TenantWithMetricsAsync("default", "edge");
        var now = fx.Clock.GetUtcNow();
        var thisHour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
        var lastHour = thisHour.AddHours(-1);
        using var client = fx.Operator();

        var response = await PostAsync(client,
        [
            Event("a1", tenant, thisHour.AddMinutes(1), 1.5, objectName: "lb-1"),
            Event("a2", tenant, thisHour.AddMinutes(2), 4, objectName: "lb-1"),
            Event("a3", tenant, thisHour.AddSeconds(-1), 2.25, objectName: "lb-1"),
            Event("a4", tenant, lastHour.AddMinutes(5), 7, objectName: "lb-1"),
            Event("a5", tenant, thisHour.AddMinutes(3), 10, objectName: "lb-2"),
            Event("a6", tenant, thisHour.AddMinutes(4), "0.000001"),
            Event("a7", tenant, thisHour.AddMinutes(4), 1024, ns: "edge", metric: "bytes", labels: new() { ["region"] = "eu-west" }),
        ]);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (accepted, duplicates, rejected) = await ReadAsync(response);
        Assert.Equal(7, accepted);
        Assert.Equal(0, duplicates);
        Assert.Empty(rejected);

        var events = await EventsAsync(fx.Services, tenant);
        Assert.Equal(7, events.Count);
        var a7 = events.Single(e => e.EventId == "a7");
        Assert.Equal("edge", a7.Namespace);
        Assert.Equal("bytes", a7.Metric);
        Assert.Equal(1024_000_000, a7.QuantityMicros);
        Assert.Contains("\"eu-west\"", a7.LabelsJson, StringComparison.Ordinal);
        Assert.Equal("", events.Single(e => e.EventId == "a6").ObjectName);
        Assert.Equal(thisHour.AddMinutes(1).ToUnixTimeMilliseconds() * 1000, events.Single(e => e.EventId == "a1").OccurredAtUs);

        var hourly = (await HourlyAsync(fx.Services, tenant)).Select(h => (h.Namespace, h.Metric, h.ObjectName, h.HourStart, h.SumMicros, h.MaxMicros, h.EventCount)).ToList();
        Assert.Equal(
            [
                ("default", "requests", "", HourOf(thisHour), 1L, 1L, 1L),
                ("default", "requests", "lb-1", HourOf(lastHour), 7_000_000L + 2_250_000L, 7_000_000L, 2L),
                ("default", "requests", "lb-1", HourOf(thisHour), 5_500_000L, 4_000_000L, 2L),
                ("default", "requests", "lb-2", HourOf(thisHour), 10_000_000L, 10_000_000L, 1L),
                ("edge", "bytes", "", HourOf(thisHour), 1024_000_000L, 1024_000_000L, 1L),
            ],
            hourly);

        // Per-metric hourly roll-ups drop the object: lb-1, lb-2 and "" of one UTC hour are one row.
        var metricHourly = (await MetricHourlyAsync(fx.Services, tenant)).Select(h => (h.HourStart, h.Namespace, h.Metric, h.SumMicros, h.MaxMicros, h.EventCount)).ToList();
        Assert.Equal(
            [
                (HourOf(lastHour), "default", "requests", 9_250_000L, 7_000_000L, 2L),
                (HourOf(thisHour), "default", "requests", 1L + 5_500_000L + 10_000_000L, 10_000_000L, 4L),
                (HourOf(thisHour), "edge", "bytes", 1024_000_000L, 1024_000_000L, 1L),
            ],
            metricHourly);

        // Daily roll-ups drop the object: lb-1, lb-2 and "" of one UTC day are one row.
        var daily = (await DailyAsync(fx.Services, tenant)).Select(d => (d.DayStart, d.Namespace, d.Metric, d.SumMicros, d.MaxMicros, d.EventCount)).ToList();
        var day = thisHour.ToUnixTimeSeconds() / 86400 * 86400;
        var lastHourDay = lastHour.ToUnixTimeSeconds() / 86400 * 86400;
        var expectedDaily = day == lastHourDay
            ? new List<(long, string, string, long, long, long)>
            {
                (day, "default", "requests", 1L + 9_250_000L + 5_500_000L + 10_000_000L, 10_000_000L, 6L),
                (day, "edge", "bytes", 1024_000_000L, 1024_000_000L, 1L),
            }
            : [
                (lastHourDay, "default", "requests", 9_250_000L, 7_000_000L, 2L),
                (day, "default", "requests", 1L + 5_500_000L + 10_000_000L, 10_000_000L, 4L),
                (day, "edge", "bytes", 1024_000_000L, 1024_000_000L, 1L),
            ];
        Assert.Equal(expectedDaily, daily);
        await AssertRollupsMatchEventsAsync(fx.Services, tenant);
    }

    [Fact]
    public async Task A_second_request_adds_to_existing_roll_ups()
    {
        var tenant = await TenantWithMetricsAsync();
        var at = fx.Clock.GetUtcNow().AddMinutes(-1);
        using var client = fx.Operator();

        await PostAsync(client, [Event("b1", tenant, at, 3)]);
        await PostAsync(client, [Event("b2", tenant, at, 5), Event("b1", tenant, at, 100)]);

        var row = Assert.Single(await HourlyAsync(fx.Services, tenant));
        Assert.Equal(8_000_000, row.SumMicros);
        Assert.Equal(5_000_000, row.MaxMicros);
        Assert.Equal(2, row.EventCount);
        var hour = Assert.Single(await MetricHourlyAsync(fx.Services, tenant));
        Assert.Equal((8_000_000L, 5_000_000L, 2L), (hour.SumMicros, hour.MaxMicros, hour.EventCount));
        var day = Assert.Single(await DailyAsync(fx.Services, tenant));
        Assert.Equal((8_000_000L, 5_000_000L, 2L), (day.SumMicros, day.MaxMicros, day.EventCount));
    }

    [Fact]
    public async Task Each_rejection_names_its_field_and_the_valid_events_of_the_batch_are_still_accepted()
    {
        var tenant = await TenantWithMetricsAsync();
        var now = fx.Clock.GetUtcNow();
        using var client = fx.Operator();
        var noId = Event("x", tenant, now);
        noId.Remove("id");
        var noQuantity = Event("no-quantity", tenant, now);
        noQuantity.Remove("quantity");
        var badTimestamp = Event("bad-ts", tenant, now);
        badTimestamp["timestamp"] = "2026-11-24 12:00";

        var batch = new List<Dictionary<string, object?>>
        {
            Event("ok-1", tenant, now),
            Event("t", "no-such-tenant", now),
            Event("n", tenant, now, ns: "no-such-namespace"),
            Event("m", tenant, now, metric: "no-such-metric"),
            Event("neg", tenant, now, -1),
            Event("precise", tenant, now, 0.0000001),
            Event("nan", tenant, now, "NaN"),
            badTimestamp,
            Event("future", tenant, now.AddMinutes(5).AddSeconds(1)),
            Event("old", tenant, now.AddDays(-90).AddSeconds(-1)),
            noId,
            Event(new string('i', 129), tenant, now),
            Event("obj", tenant, now, objectName: new string('o', 257)),
            Event("labels", tenant, now, labels: Enumerable.Range(0, 33).ToDictionary(i => $"k{i}", i => "v")),
            noQuantity,
            Event("ok-2", tenant, now.AddMinutes(5)),
            Event("ok-3", tenant, now.AddDays(-90).AddSeconds(1)),
        };

        var response = await PostAsync(client, batch);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (accepted, duplicates, rejected) = await ReadAsync(response);
        Assert.Equal(3, accepted);
        Assert.Equal(0, duplicates);
        var expected = new (int Index, string Field, string Words)[]
        {
            (1, "tenant", "does not exist"),
            (2, "namespace", "does not exist"),
            (3, "metric", "not in the catalog"),
            (4, "quantity", "0 or more"),
            (5, "quantity", "6 decimal places"),
            (6, "quantity", "finite"),
            (7, "timestamp", "RFC 3339"),
            (8, "timestamp", "future"),
            (9, "timestamp", "older"),
            (10, "id", "required"),
            (11, "id", "128"),
            (12, "object_name", "256"),
            (13, "labels", "32"),
            (14, "quantity", "required"),
        };
        Assert.Equal(expected.Select(e => (e.Index, e.Field)), rejected.Select(r => (r.Index, r.Field)));
        foreach (var (e, r) in expected.Zip(rejected))
        {
            Assert.Contains(e.Words, r.Reason, StringComparison.Ordinal);
        }

        Assert.Equal("t", rejected[0].Id);
        Assert.Null(rejected[9].Id);
        Assert.Null(rejected[10].Id);
        Assert.Equal(["ok-1", "ok-2", "ok-3"], (await EventsAsync(fx.Services, tenant)).Select(e => e.EventId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_same_id_twice_in_one_request_counts_once_and_the_first_one_wins()
    {
        var tenant = await TenantWithMetricsAsync();
        var now = fx.Clock.GetUtcNow();
        using var client = fx.Operator();

        var (accepted, duplicates, rejected) = await ReadAsync(await PostAsync(client, [Event("d", tenant, now, 1), Event("d", tenant, now, 50)]));
        Assert.Equal((1, 1), (accepted, duplicates));
        Assert.Empty(rejected);

        var (again, againDuplicates, _) = await ReadAsync(await PostAsync(client, [Event("d", tenant, now, 99)]));
        Assert.Equal((0, 1), (again, againDuplicates));
        Assert.Equal(1_000_000, Assert.Single(await EventsAsync(fx.Services, tenant)).QuantityMicros);
        Assert.Equal(1_000_000, Assert.Single(await HourlyAsync(fx.Services, tenant)).SumMicros);
        Assert.Equal(1_000_000, Assert.Single(await DailyAsync(fx.Services, tenant)).SumMicros);
    }

    [Fact]
    public async Task Ids_are_scoped_per_tenant_and_a_reason_never_mentions_another_tenants_event()
    {
        var first = await TenantWithMetricsAsync();
        var second = await TenantWithMetricsAsync();
        var now = fx.Clock.GetUtcNow();
        using var client = fx.Operator();
        await PostAsync(client, [Event("shared-id", first, now, 5, objectName: "secret-object")]);

        var response = await PostAsync(client, [Event("shared-id", second, now, 1), Event("shared-id", second, now, -1)]);
        var text = await response.Content.ReadAsStringAsync();

        var (accepted, duplicates, rejected) = await ReadAsync(response);
        Assert.Equal((1, 0), (accepted, duplicates));
        Assert.Equal((1, "quantity"), (Assert.Single(rejected).Index, rejected[0].Field));
        Assert.DoesNotContain(first, text, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-object", text, StringComparison.Ordinal);
        Assert.Equal(1_000_000, Assert.Single(await EventsAsync(fx.Services, second)).QuantityMicros);
    }

    [Fact]
    public async Task The_same_thousand_events_sent_three_times_count_once()
    {
        var tenant = await TenantWithMetricsAsync();
        var now = fx.Clock.GetUtcNow();
        var events = Thousand(tenant, now);
        using var client = fx.Operator();

        var outcomes = new List<(int, int)>();
        for (var i = 0; i < 3; i++)
        {
            var (accepted, duplicates, rejected) = await ReadAsync(await PostAsync(client, events));
            Assert.Empty(rejected);
            outcomes.Add((accepted, duplicates));
        }

        Assert.Equal([(1000, 0), (0, 1000), (0, 1000)], outcomes);
        await AssertThousandStoredOnceAsync(tenant, now);
    }

    [Fact]
    public async Task The_same_thousand_events_sent_concurrently_by_eight_clients_count_once()
    {
        var tenant = await TenantWithMetricsAsync();
        var now = fx.Clock.GetUtcNow();
        var events = Thousand(tenant, now);
        var clients = Enumerable.Range(0, 8).Select(_ => fx.Operator()).ToArray();

        var responses = await Task.WhenAll(clients.Select(c => PostAsync(c, events)));

        var outcomes = await Task.WhenAll(responses.Select(ReadAsync));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1000, outcomes.Sum(o => o.Accepted));
        Assert.Equal(7000, outcomes.Sum(o => o.Duplicates));
        await AssertThousandStoredOnceAsync(tenant, now);
        foreach (var c in clients)
        {
            c.Dispose();
        }
    }

    [Fact]
    public async Task NDJSON_bodies_are_ingested_like_JSON_ones_and_blank_lines_are_skipped()
    {
        var tenant = await TenantWithMetricsAsync();
        var now = fx.Clock.GetUtcNow();
        using var client = fx.Operator();
        var body = Ndjson([Event("n1", tenant, now, 2), Event("n2", tenant, now, 3), Event("n3", tenant, now, -3)]);
        var text = (await body.ReadAsStringAsync()).Replace("\n", "\n\r\n", StringComparison.Ordinal);

        var response = await client.PostAsync(Route, new StringContent(text, System.Text.Encoding.UTF8, "application/x-ndjson"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (accepted, _, rejected) = await ReadAsync(response);
        Assert.Equal(2, accepted);
        Assert.Equal((2, "quantity"), (Assert.Single(rejected).Index, rejected[0].Field));
        Assert.Equal(5_000_000, Assert.Single(await HourlyAsync(fx.Services, tenant)).SumMicros);
    }

    [Fact]
    public async Task A_metric_added_to_the_catalog_is_accepted_on_the_next_request()
    {
        var tenant = await TenantWithMetricsAsync();
        var metric = "m" + Guid.NewGuid().ToString("N")[..10];
        var now = fx.Clock.GetUtcNow();
        using var client = fx.Operator();

        var (before, _, rejected) = await ReadAsync(await PostAsync(client, [Event("late", tenant, now, metric: metric)]));
        await EnsureMetricsAsync(fx.Services, metric);
        var (after, _, _) = await ReadAsync(await PostAsync(client, [Event("late", tenant, now, metric: metric)]));

        Assert.Equal(0, before);
        Assert.Equal("metric", Assert.Single(rejected).Field);
        Assert.Equal(1, after);
    }

    private static List<Dictionary<string, object?>> Thousand(string tenant, DateTimeOffset now) =>
        Enumerable.Range(0, 1000)
            .Select(i => Event($"evt-{i:D4}", tenant, now.AddMinutes(-(i % 180)), (i % 7) + 0.5, objectName: $"obj-{i % 5}", metric: i % 2 == 0 ? "requests" : "bytes"))
            .ToList();

    private async Task AssertThousandStoredOnceAsync(string tenant, DateTimeOffset now)
    {
        var events = await EventsAsync(fx.Services, tenant);
        Assert.Equal(1000, events.Count);
        var hourly = await HourlyAsync(fx.Services, tenant);
        Assert.Equal(1000, hourly.Sum(h => h.EventCount));
        var expectedSum = Enumerable.Range(0, 1000).Sum(i => (long)(((i % 7) + 0.5) * 1_000_000));
        Assert.Equal(expectedSum, hourly.Sum(h => h.SumMicros));
        Assert.Equal(expectedSum, events.Sum(e => e.QuantityMicros));
        var expectedRows = Enumerable.Range(0, 1000)
            .Select(i => (i % 2 == 0 ? "requests" : "bytes", $"obj-{i % 5}", HourOf(now.AddMinutes(-(i % 180)))))
            .Distinct()
            .Count();
        Assert.Equal(expectedRows, hourly.Count);
        var daily = await DailyAsync(fx.Services, tenant);
        Assert.Equal(1000, daily.Sum(d => d.EventCount));
        Assert.Equal(expectedSum, daily.Sum(d => d.SumMicros));
        await AssertRollupsMatchEventsAsync(fx.Services, tenant);
    }

    [Fact]
    public async Task Daily_roll_ups_stay_equal_to_the_events_under_overlapping_concurrent_requests_across_days()
    {
        var tenant = await TenantWithMetricsAsync("default", "edge");
        var now = fx.Clock.GetUtcNow();
        var random = new Random(7);

        // 3,000 events over the last 5 days; six clients each send overlapping thirds, so every event arrives about twice.
        var events = Enumerable.Range(0, 3000)
            .Select(i => Event(
                $"c-{i:D5}", tenant, now.AddMinutes(-random.Next(0, 5 * 24 * 60)), random.Next(0, 1000) / 8.0,
                ns: i % 3 == 0 ? "edge" : "default", metric: i % 2 == 0 ? "requests" : "bytes", objectName: $"o{i % 4}"))
            .ToList();
        var slices = Enumerable.Range(0, 6).Select(c => events.Skip(c * 500).Take(1000).ToList()).ToArray();
        var clients = Enumerable.Range(0, 6).Select(_ => fx.Operator()).ToArray();

        var responses = await Task.WhenAll(clients.Select((c, i) => PostAsync(c, slices[i])));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var outcomes = await Task.WhenAll(responses.Select(ReadAsync));
        Assert.Equal(3000, outcomes.Sum(o => o.Accepted));
        Assert.Equal(slices.Sum(s => s.Count) - 3000, outcomes.Sum(o => o.Duplicates));
        var daily = await DailyAsync(fx.Services, tenant);
        Assert.True(daily.Select(d => d.DayStart).Distinct().Count() >= 5, "the events span at least five UTC days");
        Assert.Equal(3000, daily.Sum(d => d.EventCount));
        await AssertRollupsMatchEventsAsync(fx.Services, tenant);
        foreach (var c in clients)
        {
            c.Dispose();
        }
    }
}

public sealed class UsageIngestTestsOnSqlite(SqliteFixture fx) : UsageIngestTests(fx), IClassFixture<SqliteFixture>;

public sealed class UsageIngestTestsOnPostgres(PostgresFixture fx) : UsageIngestTests(fx), IClassFixture<PostgresFixture>;
