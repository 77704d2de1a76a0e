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

/// <summary>
/// <c>schemaObjectCreateMetaType</c> = <c>schemaObjectReplaceMetaType</c> = <c>schemaObjectGetMetaType</c> (same six fields).
/// In requests every member is optional on the wire; responses always fill all six.
/// </summary>
public sealed record F5ObjectMeta(
    string? Name,
    string? Namespace,
    Dictionary<string, string>? Labels,
    Dictionary<string, string>? Annotations,
    string? Description,
    bool? Disable);

/// <summary><c>schemaSystemObjectGetMetaType</c>, the members Tally fills. Timestamps are UTC (RFC 3339, microsecond precision).</summary>
public sealed record F5SystemObjectMeta(
    string Uid,
    DateTime CreationTimestamp,
    DateTime ModificationTimestamp,
    string CreatorClass,
    string CreatorId,
    string Tenant);

/// <summary><c>quotaCreateRequest</c>. An absent <c>spec</c> is an empty spec.</summary>
public sealed record F5QuotaCreateRequest(F5ObjectMeta? Metadata, F5QuotaSpec? Spec);

/// <summary><c>quotaReplaceRequest</c>. <c>spec</c> is required (as in F5's server).</summary>
public sealed record F5QuotaReplaceRequest(F5ObjectMeta? Metadata, F5QuotaSpec? Spec);

/// <summary><c>quotaDeleteRequest</c>: <c>name</c>/<c>namespace</c>, when given, must equal the path; nothing refers to quota objects, so <c>fail_if_referred</c> never fails.</summary>
public sealed record F5QuotaDeleteRequest(string? Name, string? Namespace, bool? FailIfReferred);

/// <summary><c>quotaCreateResponse</c>.</summary>
public sealed record F5QuotaCreateResponse(F5ObjectMeta Metadata, F5SystemObjectMeta SystemMetadata, F5QuotaSpec Spec);

/// <summary><c>schemaObjectRefType</c>.</summary>
public sealed record F5ObjectRef(string Kind, string Name, string Namespace, string Tenant, string Uid);

/// <summary><c>quotaStatusObject</c>. Tally publishes no status for quota objects; lists of it are always empty.</summary>
public sealed record F5QuotaStatusObject(IReadOnlyList<F5ObjectRef> ObjectRefs);

/// <summary><c>quotaGetResponse</c>: which members are present depends on <c>response_format</c>.</summary>
public sealed record F5QuotaGetResponse
{
    public F5QuotaCreateRequest? CreateForm { get; init; }

    public F5QuotaReplaceRequest? ReplaceForm { get; init; }

    public F5ObjectMeta? Metadata { get; init; }

    public F5SystemObjectMeta? SystemMetadata { get; init; }

    public F5QuotaSpec? Spec { get; init; }

    public IReadOnlyList<F5QuotaStatusObject>? Status { get; init; }

    public IReadOnlyList<F5ObjectRef>? ReferringObjects { get; init; }

    public IReadOnlyList<F5ObjectRef>? DeletedReferredObjects { get; init; }

    public IReadOnlyList<F5ObjectRef>? DisabledReferredObjects { get; init; }
}

/// <summary><c>quotaListResponseItem</c>: summary fields always; <c>metadata</c>, <c>system_metadata</c>, <c>get_spec</c> with <c>report_fields</c>; <c>status_set</c> with <c>report_status_fields</c>.</summary>
public sealed record F5QuotaListItem(
    string Tenant,
    string Namespace,
    string Name,
    string Uid,
    string Description,
    bool Disabled,
    Dictionary<string, string> Labels,
    Dictionary<string, string> Annotations)
{
    public F5ObjectMeta? Metadata { get; init; }

    public F5SystemObjectMeta? SystemMetadata { get; init; }

    public F5QuotaSpec? GetSpec { get; init; }

    public IReadOnlyList<F5QuotaStatusObject>? StatusSet { get; init; }
}

/// <summary><c>schemaErrorType</c> (<c>code</c> is a <c>schemaErrorCode</c> name).</summary>
public sealed record F5ErrorType(string Code, string Message);

/// <summary><c>quotaListResponse</c>.</summary>
public sealed record F5QuotaListResponse(IReadOnlyList<F5QuotaListItem> Items, IReadOnlyList<F5ErrorType> Errors);

/// <summary>An empty message (<c>quotaReplaceResponse</c>, the Delete response): <c>{}</c>.</summary>
public sealed record F5Empty;

/// <summary><c>usageUsageType</c>: <c>current</c> int32.</summary>
public sealed record F5UsageType(int Current);

/// <summary><c>usageFloatUsageType</c>: <c>current</c> double.</summary>
public sealed record F5FloatUsageType(double Current);

/// <summary>GO <c>quota.QuotaLimitsItemType</c>: <c>limit</c> for objects and resources, <c>api_limit</c> for APIs.</summary>
public sealed record F5QuotaLimitsItem(F5FloatLimitType? Limit, F5RateLimitType? ApiLimit, string DisplayName, string Description);

/// <summary>GO <c>quota.QuotaLimits</c> (deprecated integer form).</summary>
public sealed record F5QuotaLimits(F5LimitType Limit, string DisplayName, string Description);

/// <summary>GO <c>quota.QuotaUsageItemType</c>: <c>limit</c> and <c>usage</c> for objects and resources, <c>api_limit</c> for APIs.</summary>
public sealed record F5QuotaUsageItem(F5FloatLimitType? Limit, F5FloatUsageType? Usage, F5RateLimitType? ApiLimit, string DisplayName, string Description);

/// <summary>GO <c>quota.QuotaUsage</c> (deprecated integer form).</summary>
public sealed record F5QuotaUsage(F5LimitType Limit, F5UsageType Usage, string DisplayName, string Description);

/// <summary><c>quotaGetQuotaLimitsResponse</c>. <c>quota_usage</c>, <c>float_quota_usage</c>, <c>api_limits</c> are F5's deprecated copies of <c>objects</c>, <c>resources</c>, <c>apis</c>.</summary>
public sealed record F5QuotaLimitsResponse(
    Dictionary<string, F5QuotaLimitsItem> Objects,
    Dictionary<string, F5QuotaLimitsItem> Resources,
    Dictionary<string, F5QuotaLimitsItem> Apis,
    Dictionary<string, F5QuotaLimits> QuotaUsage,
    Dictionary<string, F5QuotaLimitsItem> FloatQuotaUsage,
    Dictionary<string, F5RateLimitType> ApiLimits);

/// <summary><c>quotaGetResponseType</c> (the quota/usage response). Deprecated copies as in <see cref="F5QuotaLimitsResponse"/>.</summary>
public sealed record F5QuotaUsageResponse(
    Dictionary<string, F5QuotaUsageItem> Objects,
    Dictionary<string, F5QuotaUsageItem> Resources,
    Dictionary<string, F5QuotaUsageItem> Apis,
    Dictionary<string, F5QuotaUsage> QuotaUsage,
    Dictionary<string, F5QuotaUsageItem> FloatQuotaUsage,
    Dictionary<string, F5RateLimitType> ApiLimits);
