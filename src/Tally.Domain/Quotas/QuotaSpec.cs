using System.Text.RegularExpressions;

namespace Tally.Domain.Quotas;

/// <summary>F5 <c>quotaRateLimitType</c>: <see cref="Rate"/> requests per <see cref="Unit"/>, plus <see cref="Burst"/> extra at once.</summary>
public sealed record RateLimit
{
    public RateLimit(int rate, int burst, string unit, string field = "api_limits")
    {
        if (rate < 0)
        {
            throw new DomainValidationException($"{field}.rate", $"{field}.rate must be 0 or more.");
        }

        if (burst < 0)
        {
            throw new DomainValidationException($"{field}.burst", $"{field}.burst must be 0 or more.");
        }

        Period = ParseUnit(unit, $"{field}.unit");
        Rate = rate;
        Burst = burst;
        Unit = unit;
    }

    public int Rate { get; }

    public int Burst { get; }

    /// <summary>"per-second", "per-minute", "per-hour" or "per-day".</summary>
    public string Unit { get; }

    /// <summary>The time <see cref="Rate"/> requests are spread over.</summary>
    public TimeSpan Period { get; }

    private static TimeSpan ParseUnit(string? unit, string field) => unit switch
    {
        "per-second" or "" or null => TimeSpan.FromSeconds(1),
        "per-minute" => TimeSpan.FromMinutes(1),
        "per-hour" => TimeSpan.FromHours(1),
        "per-day" => TimeSpan.FromDays(1),
        _ => throw new DomainValidationException(field, $"{field} must be \"per-second\", \"per-minute\", \"per-hour\" or \"per-day\", not '{unit}'."),
    };
}

/// <summary>
/// The three limit maps of an F5 quota spec. Keys follow F5's map-key rule; <c>-1</c> means unlimited;
/// object maxima are whole numbers (int32), resource maxima may be fractional.
/// </summary>
public sealed partial record QuotaSpec
{
    public const int MaxKeyLength = 512;

    public static readonly QuotaSpec Empty = new(new Dictionary<string, int>(), new Dictionary<string, double>(), new Dictionary<string, RateLimit>());

    public QuotaSpec(
        IReadOnlyDictionary<string, int> objectLimits,
        IReadOnlyDictionary<string, double> resourceLimits,
        IReadOnlyDictionary<string, RateLimit> apiLimits)
    {
        foreach (var (key, max) in objectLimits)
        {
            RequireKey(key, "spec.object_limits");
            if (max < -1)
            {
                throw new DomainValidationException($"spec.object_limits.{key}.maximum", $"spec.object_limits.{key}.maximum must be -1 (unlimited) or more, not {max}.");
            }
        }

        foreach (var (key, max) in resourceLimits)
        {
            RequireKey(key, "spec.resource_limits");
            if (!double.IsFinite(max) || (max < 0 && max != -1) || max > QuotaQuantity.MaxUnits)
            {
                throw new DomainValidationException($"spec.resource_limits.{key}.maximum", $"spec.resource_limits.{key}.maximum must be -1 (unlimited) or a finite number from 0 to {QuotaQuantity.MaxUnits:0}, not {max}.");
            }
        }

        foreach (var key in apiLimits.Keys)
        {
            RequireKey(key, "spec.api_limits");
        }

        ObjectLimits = objectLimits;
        ResourceLimits = resourceLimits;
        ApiLimits = apiLimits;
    }

    public IReadOnlyDictionary<string, int> ObjectLimits { get; }

    public IReadOnlyDictionary<string, double> ResourceLimits { get; }

    public IReadOnlyDictionary<string, RateLimit> ApiLimits { get; }

    /// <summary>F5 map-key rule: 1..512 chars, <c>^[a-zA-Z][a-zA-Z0-9-._]*[a-zA-Z0-9]$</c> (single letters accepted too).</summary>
    public static bool IsValidKey(string key) => key.Length is > 0 and <= MaxKeyLength && KeyPattern().IsMatch(key);

    public static void RequireKey(string key, string field)
    {
        if (!IsValidKey(key))
        {
            throw new DomainValidationException($"{field}.{Names.Truncate(key)}",
                $"{field} key '{Names.Truncate(key)}' must be 1-{MaxKeyLength} characters matching ^[a-zA-Z][a-zA-Z0-9-._]*[a-zA-Z0-9]$.");
        }
    }

    [GeneratedRegex("^[a-zA-Z]([a-zA-Z0-9._-]*[a-zA-Z0-9])?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();
}
