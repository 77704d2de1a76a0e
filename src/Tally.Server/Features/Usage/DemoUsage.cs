using Tally.Domain.Usage;
using Tally.Storage;

namespace Tally.Server.Features.Usage;

/// <summary>
/// The usage <c>tally serve --demo</c> seeds for the demo tenant: every hour of the last <see cref="Days"/> days, for
/// the metrics of the demo catalog's team plan, in namespaces <c>system</c> and <c>default</c>, with a daily rhythm.
/// Event ids are derived from (metric, namespace, object, hour) and the quantities from a fixed seed, so seeding again
/// (every start with <c>--demo</c>) adds only the hours that have passed since and never doubles anything.
/// </summary>
public static class DemoUsage
{
    public const int Days = 60;

    /// <summary>(metric, object, base quantity per hour in the metric's unit): names from docs/catalog.example.json.</summary>
    private static readonly (string Metric, string Object, double PerHour)[] Series =
    [
        ("requests", "shop-lb", 42_000),
        ("requests", "api-lb", 18_500),
        ("data-transfer", "shop-lb", 3_800),
        ("data-transfer", "api-lb", 950),
        ("vcpu-hours", "checkout", 6),
        ("memory-hours", "checkout", 12),
        ("dns-queries", "acme-zone", 120_000),
        ("log-ingest", "shop-lb", 260),
        ("storage", "uploads", 51_200),
        ("http-load-balancers", "", 2),
    ];

    private static readonly string[] Namespaces = ["system", "default"];

    /// <summary>Stores the demo usage of <paramref name="tenant"/> up to the current hour; returns how many events were new.</summary>
    public static async Task<int> SeedAsync(UsageIngestStore store, string tenant, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var lastHour = now.ToUnixTimeSeconds() / 3600 * 3600;
        var firstHour = lastHour - ((long)Days * 24 * 3600);
        var batch = new List<UsageEventRecord>(UsageRules.MaxEventsPerRequest);
        var added = 0;
        for (var hour = firstHour; hour <= lastHour; hour += 3600)
        {
            var localHour = (int)(hour / 3600 % 24);
            var rhythm = 0.6 + (0.4 * Math.Sin((localHour - 9) / 24.0 * 2 * Math.PI)); // busiest mid-afternoon UTC
            foreach (var ns in Namespaces)
            {
                var share = ns == "system" ? 0.7 : 0.3;
                foreach (var (metric, objectName, perHour) in Series)
                {
                    var jitter = 0.85 + (0.3 * Noise(hour, metric, objectName, ns));
                    var level = metric is "http-load-balancers" or "storage" ? perHour : perHour * rhythm * share * jitter;
                    var quantity = Math.Round(level, metric is "vcpu-hours" or "memory-hours" ? 3 : 0);
                    var id = $"demo-{metric}-{ns}-{(objectName.Length == 0 ? "-" : objectName)}-{hour}";
                    batch.Add(new UsageEventRecord(
                        tenant, id, ns, metric, objectName, (long)(quantity * 1_000_000), (hour + 1800) * 1_000_000, null));
                    if (batch.Count == UsageRules.MaxEventsPerRequest)
                    {
                        added += await store.IngestAsync([.. batch], batch.Count, now.ToUnixTimeMilliseconds() * 1000, ct);
                        batch.Clear();
                    }
                }
            }
        }

        if (batch.Count > 0)
        {
            added += await store.IngestAsync([.. batch], batch.Count, now.ToUnixTimeMilliseconds() * 1000, ct);
        }

        return added;
    }

    /// <summary>A deterministic value in [0, 1) for one series and hour.</summary>
    private static double Noise(long hour, string metric, string objectName, string ns)
    {
        var h = (ulong)hour * 0x9E3779B97F4A7C15UL;
        foreach (var c in string.Concat(metric, "/", objectName, "/", ns))
        {
            h = (h ^ c) * 0x100000001B3UL;
        }

        return (h >> 11) / (double)(1UL << 53);
    }
}
