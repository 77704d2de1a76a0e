using System.Text.Json.Serialization;
using Tally.Domain;
using Tally.Domain.Quotas;

namespace Tally.Server.Features.Quotas;

// F5 wire types for ves.io.schema.quota (../shared/specs/f5xc/official/*quota*.json). Field names are exact;
// numbers may arrive as JSON numbers or, as proto3 JSON allows, as strings.

/// <summary><c>quotaLimitType</c>: <c>maximum</c> int32, -1 = unlimited.</summary>
[JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
public sealed record F5LimitType(int Maximum);

/// <summary><c>quotaFloatLimitType</c>: <c>maximum</c> double, -1 = unlimited.</summary>
[JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
public sealed record F5FloatLimitType(double Maximum);

/// <summary><c>quotaRateLimitType</c>.</summary>
[JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
public sealed record F5RateLimitType(int Rate, int Burst, string? Unit);

/// <summary><c>schemaquotaCreateSpecType</c> = ReplaceSpecType = GetSpecType.</summary>
public sealed record F5QuotaSpec(
    Dictionary<string, F5LimitType>? ObjectLimits,
    Dictionary<string, F5FloatLimitType>? ResourceLimits,
    Dictionary<string, F5RateLimitType>? ApiLimits)
{
    /// <summary>Validates and converts; throws <see cref="DomainValidationException"/> naming the field.</summary>
    public QuotaSpec ToDomain() => new(
        (ObjectLimits ?? []).ToDictionary(kv => kv.Key, kv => kv.Value?.Maximum ?? throw Null("object_limits", kv.Key), StringComparer.Ordinal),
        (ResourceLimits ?? []).ToDictionary(kv => kv.Key, kv => kv.Value?.Maximum ?? throw Null("resource_limits", kv.Key), StringComparer.Ordinal),
        (ApiLimits ?? []).ToDictionary(
            kv => kv.Key,
            kv => kv.Value is { } r ? new RateLimit(r.Rate, r.Burst, r.Unit ?? "per-second", $"spec.api_limits.{kv.Key}") : throw Null("api_limits", kv.Key),
            StringComparer.Ordinal));

    /// <summary>The canonical stored form: all three maps present.</summary>
    public F5QuotaSpec Normalised() => new(ObjectLimits ?? [], ResourceLimits ?? [], ApiLimits ?? []);

    private static DomainValidationException Null(string map, string key) =>
        new($"spec.{map}.{key}", $"spec.{map}.{key} must be an object such as {{\"maximum\": 10}}.");
}
