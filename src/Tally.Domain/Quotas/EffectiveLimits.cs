namespace Tally.Domain.Quotas;

/// <summary>
/// The limits in force for one tenant and namespace. Resolution, key by key: the plan's default quota,
/// overridden by quota objects in <c>system</c>, overridden (for a namespace other than system) by quota
/// objects in that namespace. Within one level, when several enabled objects set the same key, the most
/// restrictive wins (-1 counts as unlimited). A key absent from every level has no limit. API rate limits are
/// tenant-wide: they come from the plan default and <c>system</c> only; namespace objects' <c>api_limits</c> are ignored.
/// </summary>
public sealed record EffectiveLimits(
    IReadOnlyDictionary<string, double> Objects,
    IReadOnlyDictionary<string, double> Resources,
    IReadOnlyDictionary<string, RateLimit> Apis)
{
    public const double Unlimited = -1;

    private const int NamespaceLevel = 2;

    public static EffectiveLimits Resolve(QuotaSpec? planDefault, IEnumerable<QuotaSpec> systemLevel, IEnumerable<QuotaSpec> namespaceLevel)
    {
        var levels = new List<IReadOnlyList<QuotaSpec>>
        {
            planDefault is null ? [] : [planDefault],
            systemLevel.ToList(),
            namespaceLevel.ToList(),
        };

        var objects = new Dictionary<string, double>(StringComparer.Ordinal);
        var resources = new Dictionary<string, double>(StringComparer.Ordinal);
        var apis = new Dictionary<string, RateLimit>(StringComparer.Ordinal);
        for (var i = 0; i < levels.Count; i++)
        {
            var level = levels[i];
            Override(objects, MostRestrictive(level.SelectMany(s => s.ObjectLimits.Select(kv => KeyValuePair.Create(kv.Key, (double)kv.Value)))));
            Override(resources, MostRestrictive(level.SelectMany(s => s.ResourceLimits)));
            var apiLevel = i == NamespaceLevel ? [] : level;
            Override(apis, apiLevel.SelectMany(s => s.ApiLimits)
                .GroupBy(kv => kv.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Select(kv => kv.Value).MinBy(r => r.Rate / r.Period.TotalSeconds)!, StringComparer.Ordinal));
        }

        return new EffectiveLimits(objects, resources, apis);
    }

    /// <summary>The limit for <paramref name="key"/> of <paramref name="kind"/>, or null when none is set (or it is -1).</summary>
    public double? LimitFor(QuotaKind kind, string key)
    {
        var map = kind == QuotaKind.Objects ? Objects : Resources;
        return map.TryGetValue(key, out var limit) && limit >= 0 ? limit : null;
    }

    private static Dictionary<string, double> MostRestrictive(IEnumerable<KeyValuePair<string, double>> entries) =>
        entries.GroupBy(kv => kv.Key, StringComparer.Ordinal)
            .ToDictionary(
                g => g.Key,
                g => g.Select(kv => kv.Value).Any(v => v >= 0) ? g.Where(kv => kv.Value >= 0).Min(kv => kv.Value) : Unlimited,
                StringComparer.Ordinal);

    private static void Override<T>(Dictionary<string, T> target, IReadOnlyDictionary<string, T> level)
    {
        foreach (var (key, value) in level)
        {
            target[key] = value;
        }
    }
}
