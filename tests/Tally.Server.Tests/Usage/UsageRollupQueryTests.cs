using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Tally.Domain;
using Tally.Domain.Tenants;
using Tally.Server.Tests.Infrastructure;
using Tally.Storage;
using Tally.Storage.Entities;
using static Tally.Server.Tests.Usage.UsageTestKit;

namespace Tally.Server.Tests.Usage;

/// <summary>
/// <see cref="UsageQueries.ByMetricAsync"/> reads whole UTC days from <c>usage_daily</c> and the edge hours from
/// <c>usage_metric_hourly</c>. For random events and many ranges — random instants, ranges inside one day, ranges starting and
/// ending mid-day, and billing months in tenant time zones with whole, negative and half-hour offsets — its answer must
/// be exactly the one computed from the hourly rows alone (which in turn must hold every stored event).
/// </summary>
public abstract class UsageRollupQueryTests(TallyFixture fx)
{
    private static readonly string[] Zones = ["UTC", "Asia/Tokyo", "America/Los_Angeles", "Asia/Kolkata"];

    [Fact]
    public async Task Daily_roll_ups_plus_edge_hours_give_the_hourly_only_answer_for_random_ranges_and_tenant_months()
    {
        await EnsureMetricsAsync(fx.Services, "requests", "bytes", "cpu");
        var tenant = await fx.CreateTenantAsync("default", "edge");
        var now = fx.Clock.GetUtcNow();
        var random = new Random(20261124);
        string[] metrics = ["requests", "bytes", "cpu"];
        var events = Enumerable.Range(0, 4000)
            .Select(i => Event(
                $"r-{i:D5}", tenant, now.AddSeconds(-random.Next(0, 85 * 86400)), random.Next(0, 100_000) / 1000.0,
                ns: random.Next(3) == 0 ? "edge" : "default", metric: metrics[random.Next(metrics.Length)], objectName: $"o{random.Next(5)}"))
            .ToList();
        using (var client = fx.Operator())
        {
            foreach (var chunk in events.Chunk(1000).Append(events.Take(300).ToArray()))
            {
                var response = await PostAsync(client, chunk);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        var hourly = await HourlyAsync(fx.Services, tenant);
        Assert.Equal(4000, hourly.Sum(h => h.EventCount));
        await AssertRollupsMatchEventsAsync(fx.Services, tenant);
        var queries = new UsageQueries(fx.Services.GetRequiredService<TallyDatabase>());

        var ranges = new List<HourRange>();
        foreach (var zone in Zones)
        {
            var period = BillingPeriod.Containing(now, TimeZones.Require(zone));
            for (var m = 0; m < 4; m++, period = period.Previous())
            {
                ranges.Add(new HourRange(UsageQueries.CeilingHour(period.Start), UsageQueries.CeilingHour(period.End)));
            }
        }

        for (var i = 0; i < 120; i++)
        {
            var from = now.AddSeconds(-random.Next(0, 88 * 86400));
            var length = TimeSpan.FromSeconds(i % 3 == 0 ? random.Next(1, 86400) : random.Next(1, 40 * 86400));
            ranges.Add(new HourRange(UsageQueries.CeilingHour(from), UsageQueries.CeilingHour(from + length)));
        }

        // Day-aligned bounds, a single whole day, and an empty range.
        var today = now.ToUnixTimeSeconds() / 86400 * 86400;
        ranges.Add(new HourRange(today - (10 * 86400), today));
        ranges.Add(new HourRange(today - 86400, today));
        ranges.Add(new HourRange(today - 86400 + 3600, today + 3600));
        ranges.Add(new HourRange(today, today));

        // The test must exercise the merge: many ranges hold whole days with data and edge hours with data.
        Assert.True(ranges.Count(r => HasWholeDay(r) && Expected(hourly, null, new HourRange(r.From, FirstDay(r))).Count > 0) >= 20);
        Assert.True(ranges.Count(r => !HasWholeDay(r) && Expected(hourly, null, r).Count > 0) >= 10);

        foreach (var ns in new[] { null, "default", "edge" })
        {
            foreach (var range in ranges)
            {
                var actual = await queries.ByMetricAsync(tenant, ns, range.From, range.To, CancellationToken.None);
                Assert.Equal(Expected(hourly, ns, range), actual);
            }

            var batched = await queries.ByMetricRangesAsync(tenant, ns, ranges, CancellationToken.None);
            Assert.Equal(ranges.Count, batched.Count);
            for (var i = 0; i < ranges.Count; i++)
            {
                Assert.Equal(Expected(hourly, ns, ranges[i]), batched[i]);
            }
        }
    }

    [Fact]
    public async Task Another_tenants_daily_and_per_metric_hourly_roll_ups_never_count()
    {
        await EnsureMetricsAsync(fx.Services, "requests");
        var mine = await fx.CreateTenantAsync("default");
        var other = await fx.CreateTenantAsync("default");
        var at = fx.Clock.GetUtcNow().AddDays(-3);
        using (var client = fx.Operator())
        {
            await PostAsync(client, [Event("x", mine, at, 2), Event("x", other, at, 40), Event("y", other, at.AddDays(-1), 50)]);
        }

        var queries = new UsageQueries(fx.Services.GetRequiredService<TallyDatabase>());
        var from = (at.ToUnixTimeSeconds() / 86400 * 86400) - (5 * 86400);
        var total = Assert.Single(await queries.ByMetricAsync(mine, null, from, from + (10 * 86400), CancellationToken.None));

        Assert.Equal(("requests", 2_000_000L, 2_000_000L, 1L), (total.Metric, total.SumMicros, total.MaxMicros, total.EventCount));

        // An edge-only range (no whole UTC day) reads usage_metric_hourly, also scoped to the tenant.
        var hour = HourOf(at);
        var edge = Assert.Single(await queries.ByMetricAsync(mine, null, hour, hour + 3600, CancellationToken.None));
        Assert.Equal(("requests", 2_000_000L, 2_000_000L, 1L), (edge.Metric, edge.SumMicros, edge.MaxMicros, edge.EventCount));
    }

    private static bool HasWholeDay(HourRange r) => FirstDay(r) < r.To / 86400 * 86400;

    private static long FirstDay(HourRange r) => (r.From + 86399) / 86400 * 86400;

    /// <summary>The hourly-only answer: hours whose start lies in the range, per metric, ordered by metric (ordinal).</summary>
    private static List<UsageTotal> Expected(List<UsageHourlyRow> hourly, string? ns, HourRange range) =>
        hourly
            .Where(h => h.HourStart >= range.From && h.HourStart < range.To && (ns is null || h.Namespace == ns))
            .GroupBy(h => h.Metric)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new UsageTotal("", g.Key, "", g.Sum(h => h.SumMicros), g.Max(h => h.MaxMicros), g.Sum(h => h.EventCount)))
            .ToList();
}

public sealed class UsageRollupQueryTestsOnSqlite(SqliteFixture fx) : UsageRollupQueryTests(fx), IClassFixture<SqliteFixture>;

public sealed class UsageRollupQueryTestsOnPostgres(PostgresFixture fx) : UsageRollupQueryTests(fx), IClassFixture<PostgresFixture>;
