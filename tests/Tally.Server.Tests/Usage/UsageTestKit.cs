using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Tally.Server.Tests.Infrastructure;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Tests.Usage;

/// <summary>Helpers for the usage ingestion tests: catalog rows, event bodies, and reading what was stored.</summary>
internal static class UsageTestKit
{
    public const string Route = "/api/admin/usage/events";

    /// <summary>Adds metric rows to the catalog table directly (the catalog routes are another feature), skipping existing ones.</summary>
    public static async Task EnsureMetricsAsync(IServiceProvider services, params string[] names)
    {
        await using var db = services.GetRequiredService<TallyDatabase>().CreateContext();
        foreach (var name in names)
        {
            if (!await db.Metrics.AnyAsync(m => m.Name == name))
            {
                db.Metrics.Add(new MetricRow { Name = name, DefinitionJson = "{}", UpdatedAt = DateTimeOffset.UtcNow });
                try
                {
                    await db.SaveChangesAsync();
                }
                catch (DbUpdateException)
                {
                    // Added by a test running at the same time.
                    db.ChangeTracker.Clear();
                }
            }
        }
    }

    public static string Timestamp(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    public static Dictionary<string, object?> Event(
        string id, string tenant, DateTimeOffset at, object? quantity = null, string ns = "default", string metric = "requests",
        string? objectName = null, Dictionary<string, string>? labels = null)
    {
        var e = new Dictionary<string, object?>
        {
            ["id"] = id,
            ["tenant"] = tenant,
            ["namespace"] = ns,
            ["metric"] = metric,
            ["quantity"] = quantity ?? 1,
            ["timestamp"] = Timestamp(at),
        };
        if (objectName is not null)
        {
            e["object_name"] = objectName;
        }

        if (labels is not null)
        {
            e["labels"] = labels;
        }

        return e;
    }

    public static Task<HttpResponseMessage> PostAsync(HttpClient client, IEnumerable<Dictionary<string, object?>> events) =>
        client.PostAsJsonAsync(Route, new { events });

    public static StringContent Ndjson(IEnumerable<Dictionary<string, object?>> events) =>
        new(string.Join('\n', events.Select(e => JsonSerializer.Serialize(e))) + "\n", Encoding.UTF8, "application/x-ndjson");

    public static async Task<List<UsageEventRow>> EventsAsync(IServiceProvider services, string tenant)
    {
        await using var db = services.GetRequiredService<TallyDatabase>().CreateContext();
        return await db.UsageEvents.AsNoTracking().Where(e => e.TenantId == tenant).ToListAsync();
    }

    public static async Task<List<UsageHourlyRow>> HourlyAsync(IServiceProvider services, string tenant)
    {
        await using var db = services.GetRequiredService<TallyDatabase>().CreateContext();
        return (await db.UsageHourly.AsNoTracking().Where(h => h.TenantId == tenant).ToListAsync())
            .OrderBy(h => h.Namespace, StringComparer.Ordinal).ThenBy(h => h.Metric, StringComparer.Ordinal)
            .ThenBy(h => h.ObjectName, StringComparer.Ordinal).ThenBy(h => h.HourStart).ToList();
    }

    public static async Task<List<UsageMetricHourlyRow>> MetricHourlyAsync(IServiceProvider services, string tenant)
    {
        await using var db = services.GetRequiredService<TallyDatabase>().CreateContext();
        return (await db.UsageMetricHourly.AsNoTracking().Where(h => h.TenantId == tenant).ToListAsync())
            .OrderBy(h => h.HourStart).ThenBy(h => h.Namespace, StringComparer.Ordinal).ThenBy(h => h.Metric, StringComparer.Ordinal).ToList();
    }

    public static async Task<List<UsageDailyRow>> DailyAsync(IServiceProvider services, string tenant)
    {
        await using var db = services.GetRequiredService<TallyDatabase>().CreateContext();
        return (await db.UsageDaily.AsNoTracking().Where(d => d.TenantId == tenant).ToListAsync())
            .OrderBy(d => d.DayStart).ThenBy(d => d.Namespace, StringComparer.Ordinal).ThenBy(d => d.Metric, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Asserts that the tenant's daily roll-ups are exactly its hourly roll-ups grouped by (UTC day, namespace, metric),
    /// its per-metric hourly roll-ups exactly its hourly roll-ups grouped by (UTC hour, namespace, metric), and that all
    /// of them hold the stored events' sum, maximum and count.
    /// </summary>
    public static async Task AssertRollupsMatchEventsAsync(IServiceProvider services, string tenant)
    {
        var events = await EventsAsync(services, tenant);
        var hourly = await HourlyAsync(services, tenant);
        var metricHourly = await MetricHourlyAsync(services, tenant);
        var daily = await DailyAsync(services, tenant);
        var hoursFromHourly = hourly
            .GroupBy(h => (h.HourStart, h.Namespace, h.Metric))
            .Select(g => (g.Key.HourStart, g.Key.Namespace, g.Key.Metric, g.Sum(h => h.SumMicros), g.Max(h => h.MaxMicros), g.Sum(h => h.EventCount)))
            .OrderBy(x => x.HourStart).ThenBy(x => x.Namespace, StringComparer.Ordinal).ThenBy(x => x.Metric, StringComparer.Ordinal)
            .ToList();
        var hoursFromEvents = events
            .GroupBy(e => (HourStart: e.OccurredAtUs / 3_600_000_000 * 3600, e.Namespace, e.Metric))
            .Select(g => (g.Key.HourStart, g.Key.Namespace, g.Key.Metric, g.Sum(e => e.QuantityMicros), g.Max(e => e.QuantityMicros), (long)g.Count()))
            .OrderBy(x => x.HourStart).ThenBy(x => x.Namespace, StringComparer.Ordinal).ThenBy(x => x.Metric, StringComparer.Ordinal)
            .ToList();
        var storedHours = metricHourly.Select(h => (h.HourStart, h.Namespace, h.Metric, h.SumMicros, h.MaxMicros, h.EventCount)).ToList();
        Xunit.Assert.Equal(hoursFromEvents, storedHours);
        Xunit.Assert.Equal(hoursFromHourly, storedHours);

        var fromHourly = hourly
            .GroupBy(h => (Day: h.HourStart / 86400 * 86400, h.Namespace, h.Metric))
            .Select(g => (g.Key.Day, g.Key.Namespace, g.Key.Metric, g.Sum(h => h.SumMicros), g.Max(h => h.MaxMicros), g.Sum(h => h.EventCount)))
            .OrderBy(x => x.Day).ThenBy(x => x.Namespace, StringComparer.Ordinal).ThenBy(x => x.Metric, StringComparer.Ordinal)
            .ToList();
        var fromEvents = events
            .GroupBy(e => (Day: e.OccurredAtUs / 86_400_000_000 * 86400, e.Namespace, e.Metric))
            .Select(g => (g.Key.Day, g.Key.Namespace, g.Key.Metric, g.Sum(e => e.QuantityMicros), g.Max(e => e.QuantityMicros), (long)g.Count()))
            .OrderBy(x => x.Day).ThenBy(x => x.Namespace, StringComparer.Ordinal).ThenBy(x => x.Metric, StringComparer.Ordinal)
            .ToList();
        var stored = daily.Select(d => (d.DayStart, d.Namespace, d.Metric, d.SumMicros, d.MaxMicros, d.EventCount)).ToList();
        Xunit.Assert.Equal(fromEvents, stored);
        Xunit.Assert.Equal(fromHourly, stored);
    }

    public static async Task<(int Accepted, int Duplicates, List<(int Index, string? Id, string Field, string Reason)> Rejected)> ReadAsync(HttpResponseMessage response)
    {
        var body = await TallyFixture.ReadObjectAsync(response);
        var rejected = body["rejected"]!.AsArray()
            .Select(r => ((int)r!["index"]!, (string?)r["id"], (string)r["field"]!, (string)r["reason"]!))
            .ToList();
        return ((int)body["accepted"]!, (int)body["duplicates"]!, rejected);
    }

    public static long HourOf(DateTimeOffset instant) => instant.ToUnixTimeSeconds() / 3600 * 3600;
}
