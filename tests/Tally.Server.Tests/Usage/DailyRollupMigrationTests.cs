using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Tally.Server.Tests.Infrastructure;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Tests.Usage;

/// <summary>
/// A database that already holds hourly roll-ups (migrated up to <c>Catalog_and_usage</c>) gets its daily roll-ups from
/// the <c>Daily_rollups</c> migration and its per-metric hourly roll-ups from the <c>Metric_hourly_rollups</c> migration,
/// so no usage disappears from the daily and edge-hour reads of the queries on upgrade; a database already at
/// <c>Daily_rollups</c> gets its per-metric hourly roll-ups the same way.
/// </summary>
public abstract class DailyRollupMigrationTests
{
    protected abstract Task<string> NewDatabaseAsync();

    [Fact]
    public async Task Upgrading_backfills_daily_roll_ups_from_the_existing_hourly_ones()
    {
        await using var database = new TallyDatabase(await NewDatabaseAsync());
        await using (var context = database.CreateContext())
        {
            await context.Database.GetService<IMigrator>().MigrateAsync("Catalog_and_usage");
            context.UsageHourly.AddRange(HourlyRows());
            await context.SaveChangesAsync();
        }

        await database.MigrateAsync();

        await using var after = database.CreateContext();
        var daily = (await after.UsageDaily.AsNoTracking().ToListAsync())
            .OrderBy(d => d.TenantId, StringComparer.Ordinal).ThenBy(d => d.DayStart).ThenBy(d => d.Namespace, StringComparer.Ordinal)
            .Select(d => (d.TenantId, d.DayStart, d.Namespace, d.Metric, d.SumMicros, d.MaxMicros, d.EventCount))
            .ToList();
        Assert.Equal(
            [
                ("a", 1_795_392_000L, "default", "requests", 17L, 7L, 5L),
                ("a", 1_795_392_000L, "edge", "requests", 9L, 9L, 1L),
                ("a", 1_795_478_400L, "default", "requests", 100L, 60L, 4L),
                ("b", 1_795_392_000L, "default", "bytes", 11L, 6L, 2L),
            ],
            daily);
        Assert.Equal(ExpectedMetricHours, await MetricHoursAsync(after));
    }

    [Fact]
    public async Task Upgrading_from_daily_roll_ups_backfills_per_metric_hourly_roll_ups_from_the_existing_hourly_ones()
    {
        await using var database = new TallyDatabase(await NewDatabaseAsync());
        await using (var context = database.CreateContext())
        {
            await context.Database.GetService<IMigrator>().MigrateAsync("Daily_rollups");
            context.UsageHourly.AddRange(HourlyRows());
            await context.SaveChangesAsync();
        }

        await database.MigrateAsync();

        await using var after = database.CreateContext();
        Assert.Equal(ExpectedMetricHours, await MetricHoursAsync(after));
    }

    private const long Day = 1_795_392_000; // 2026-11-23T00:00Z

    // The hourly rows of HourlyRows() per (tenant, hour, namespace, metric): o1 and o2 of Day + 3600 are one row.
    private static readonly List<(string, long, string, string, long, long, long)> ExpectedMetricHours =
    [
        ("a", Day, "edge", "requests", 9L, 9L, 1L),
        ("a", Day + 3600, "default", "requests", 9L, 4L, 3L),
        ("a", Day + 7200, "default", "requests", 7L, 7L, 1L),
        ("a", Day + 86400 - 3600, "default", "requests", 1L, 1L, 1L),
        ("a", Day + 86400, "default", "requests", 100L, 60L, 4L),
        ("b", Day, "default", "bytes", 11L, 6L, 2L),
    ];

    private static UsageHourlyRow[] HourlyRows() =>
    [
        Hour("a", "default", "requests", "o1", Day + 3600, 5, 3, 2),
        Hour("a", "default", "requests", "o2", Day + 3600, 4, 4, 1),
        Hour("a", "default", "requests", "o2", Day + 7200, 7, 7, 1),
        Hour("a", "default", "requests", "o1", Day + 86400 - 3600, 1, 1, 1),
        Hour("a", "default", "requests", "o1", Day + 86400, 100, 60, 4),
        Hour("a", "edge", "requests", "o1", Day, 9, 9, 1),
        Hour("b", "default", "bytes", "", Day, 11, 6, 2),
    ];

    private static async Task<List<(string, long, string, string, long, long, long)>> MetricHoursAsync(TallyDbContext context) =>
        (await context.UsageMetricHourly.AsNoTracking().ToListAsync())
            .OrderBy(h => h.TenantId, StringComparer.Ordinal).ThenBy(h => h.HourStart).ThenBy(h => h.Namespace, StringComparer.Ordinal).ThenBy(h => h.Metric, StringComparer.Ordinal)
            .Select(h => (h.TenantId, h.HourStart, h.Namespace, h.Metric, h.SumMicros, h.MaxMicros, h.EventCount))
            .ToList();

    private static UsageHourlyRow Hour(string tenant, string ns, string metric, string obj, long hour, long sum, long max, long count) =>
        new() { TenantId = tenant, Namespace = ns, Metric = metric, ObjectName = obj, HourStart = hour, SumMicros = sum, MaxMicros = max, EventCount = count };
}

public sealed class DailyRollupMigrationTestsOnSqlite : DailyRollupMigrationTests
{
    protected override Task<string> NewDatabaseAsync() =>
        Task.FromResult(TestFiles.NewPath("migration-test", ".db"));
}

public sealed class DailyRollupMigrationTestsOnPostgres : DailyRollupMigrationTests
{
    protected override Task<string> NewDatabaseAsync() => PostgresServer.CreateDatabaseAsync();
}
