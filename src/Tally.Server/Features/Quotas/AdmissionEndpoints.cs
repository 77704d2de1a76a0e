using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Prometheus;
using Tally.Domain;
using Tally.Domain.Access;
using Tally.Domain.Quotas;
using Tally.Server.Auth;
using Tally.Server.Errors;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Features.Quotas;

/// <summary>
/// Operator API: atomic quota admission for the operator's control plane (scope <c>quota:admit</c>).
/// Counts move only through these three routes.
/// </summary>
public static class AdmissionEndpoints
{
    private static readonly Counter Admissions = Metrics.CreateCounter(
        "tally_quota_admissions_total", "Quota admission decisions.", new CounterConfiguration { LabelNames = ["outcome"] });

    private static readonly Counter.Child Admitted = Admissions.WithLabels("admitted");
    private static readonly Counter.Child Refused = Admissions.WithLabels("refused");

    public static IEndpointRouteBuilder MapQuotaAdmission(this IEndpointRouteBuilder routes)
    {
        Admitted.Publish();
        Refused.Publish();
        CounterWriterMetrics.Publish();
        var group = routes.MapGroup("/api/admin/tenants/{tenant}/quota").WithTags("Quota admission");
        group.MapPost("/admit", AdmitAsync).WithSummary("Add to a count if the result stays within its limit; 409 otherwise.");
        group.MapPost("/release", ReleaseAsync).WithSummary("Subtract from a count (never below 0).");
        group.MapPut("/counts", ReconcileAsync).WithSummary("Replace a namespace's counts with observed values.");
        return routes;
    }

    public static async Task<Results<Ok<AdmissionResponse>, ProblemHttpResult>> AdmitAsync(
        string tenant, AdmissionRequest body, Caller caller, QuotaCounterStore counters, QuotaLimitsService limits, CancellationToken ct)
    {
        var (call, denied) = Authorize(tenant, body, caller.Grant);
        if (denied is not null)
        {
            return denied;
        }

        var limit = (await limits.GetAsync(tenant, call.Namespace, ct)).LimitFor(call.Kind, call.Key);
        var result = await counters.AdmitAsync(tenant, call.Namespace, call.Kind.ToWire(), call.Key, call.AmountMicros, Admission.LimitMicros(limit));
        if (!result.NamespaceExists)
        {
            return NotFound(tenant, call.Namespace);
        }

        (result.Admitted ? Admitted : Refused).Inc();
        var current = QuotaQuantity.ToUnits(result.CurrentMicros);
        if (!result.Admitted)
        {
            return Problems.Conflict(
                $"The {call.Kind.ToWire()} limit for '{call.Key}' in namespace '{call.Namespace}' is {limit}; the current count is {current}, so {body.Amount} more would exceed it.",
                new Dictionary<string, object?>
                {
                    ["admitted"] = false,
                    ["namespace"] = call.Namespace,
                    ["kind"] = call.Kind.ToWire(),
                    ["key"] = call.Key,
                    ["current"] = current,
                    ["limit"] = limit,
                    ["requested"] = body.Amount,
                });
        }

        return TypedResults.Ok(new AdmissionResponse(true, current, limit ?? EffectiveLimits.Unlimited));
    }

    public static async Task<Results<Ok<AdmissionResponse>, ProblemHttpResult>> ReleaseAsync(
        string tenant, AdmissionRequest body, Caller caller, QuotaCounterStore counters, QuotaLimitsService limits, CancellationToken ct)
    {
        var (call, denied) = Authorize(tenant, body, caller.Grant);
        if (denied is not null)
        {
            return denied;
        }

        var result = await counters.ReleaseAsync(tenant, call.Namespace, call.Kind.ToWire(), call.Key, call.AmountMicros);
        if (!result.NamespaceExists)
        {
            return NotFound(tenant, call.Namespace);
        }

        var limit = (await limits.GetAsync(tenant, call.Namespace, ct)).LimitFor(call.Kind, call.Key);
        return TypedResults.Ok(new AdmissionResponse(null, QuotaQuantity.ToUnits(result.CurrentMicros), limit ?? EffectiveLimits.Unlimited));
    }

    public static async Task<Results<Ok<CountsResponse>, ProblemHttpResult>> ReconcileAsync(
        string tenant, CountsRequest body, Caller caller, TallyDatabase database, CancellationToken ct)
    {
        var ns = body.Namespace ?? throw new RequestValidationException("namespace", "namespace is required.");
        await using var db = database.CreateContext();
        if ((CheckGrant(tenant, ns, caller.Grant) ?? await TenantScope.RequireNamespaceAsync(db, caller.Grant, tenant, ns, ct)) is { } denied)
        {
            return denied;
        }

        var objects = Micros(body.Objects, QuotaKind.Objects, "objects");
        var resources = Micros(body.Resources, QuotaKind.Resources, "resources");
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.QuotaCounts.Where(c => c.TenantId == tenant && c.Namespace == ns).ExecuteDeleteAsync(ct);
        db.QuotaCounts.AddRange(objects.Select(kv => Row(tenant, ns, QuotaKind.Objects, kv.Key, kv.Value)));
        db.QuotaCounts.AddRange(resources.Select(kv => Row(tenant, ns, QuotaKind.Resources, kv.Key, kv.Value)));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(new CountsResponse(
            ns,
            objects.ToDictionary(kv => kv.Key, kv => QuotaQuantity.ToUnits(kv.Value)),
            resources.ToDictionary(kv => kv.Key, kv => QuotaQuantity.ToUnits(kv.Value))));
    }

    /// <summary>
    /// The hot path's checks, all without I/O: the grant (<see cref="CheckGrant"/>) and the body. Whether the tenant
    /// and namespace exist is decided inside the admission statement itself.
    /// </summary>
    private static (ValidCall Call, ProblemHttpResult? Problem) Authorize(string tenant, AdmissionRequest body, Grant grant)
    {
        var ns = body.Namespace ?? throw new RequestValidationException("namespace", "namespace is required.");
        if (CheckGrant(tenant, ns, grant) is { } denied)
        {
            return (default, denied);
        }

        var kind = QuotaKinds.Parse(body.Kind);
        var key = body.Key ?? throw new RequestValidationException("key", "key is required.");
        if (!QuotaSpec.IsValidKey(key))
        {
            throw new RequestValidationException("key", $"key '{key}' must be 1-{QuotaSpec.MaxKeyLength} characters matching ^[a-zA-Z][a-zA-Z0-9-._]*[a-zA-Z0-9]$.");
        }

        var amount = body.Amount ?? throw new RequestValidationException("amount", "amount is required.");
        return (new ValidCall(ns, kind, key, QuotaQuantity.ToMicros(amount, kind, "amount")), null);
    }

    /// <summary>The namespace (or the whole tenant) does not exist: reported as one 404, like another tenant's.</summary>
    private static ProblemHttpResult NotFound(string tenant, string ns) =>
        Problems.NotFound($"Tenant '{tenant}' has no namespace '{ns}'.");

    /// <summary>
    /// What the token allows, without I/O: another tenant → 404, a namespace off the allow-list → 404, a reader or a
    /// token without <c>quota:admit</c> → 403.
    /// </summary>
    private static ProblemHttpResult? CheckGrant(string tenant, string ns, Grant grant) =>
        !grant.CanSeeTenant(tenant) ? TenantScope.TenantNotFound(tenant)
        : !grant.CanAccessNamespace(ns) ? TenantScope.NamespaceNotFound(ns)
        : TenantScope.RequireWrite(grant)
            ?? (grant.HasScope(Scopes.QuotaAdmit) ? null : Problems.Forbidden($"The token lacks the '{Scopes.QuotaAdmit}' scope."));

    private static Dictionary<string, long> Micros(Dictionary<string, double>? counts, QuotaKind kind, string field)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (key, value) in counts ?? [])
        {
            QuotaSpec.RequireKey(key, field);
            result[key] = QuotaQuantity.ToMicros(value, kind, $"{field}.{key}");
        }

        return result;
    }

    private static QuotaCountRow Row(string tenant, string ns, QuotaKind kind, string key, long micros) =>
        new() { TenantId = tenant, Namespace = ns, Kind = kind.ToWire(), Key = key, CurrentMicros = micros };

    private readonly record struct ValidCall(string Namespace, QuotaKind Kind, string Key, long AmountMicros);
}

/// <summary>Admit/release body. <c>amount</c>: whole number for objects, up to 6 decimals for resources.</summary>
public sealed record AdmissionRequest(string? Namespace, string? Kind, string? Key, double? Amount);

/// <summary><c>admitted</c> is present on admit only; <c>limit</c> is -1 when unlimited.</summary>
public sealed record AdmissionResponse(bool? Admitted, double Current, double Limit);

public sealed record CountsRequest(string? Namespace, Dictionary<string, double>? Objects, Dictionary<string, double>? Resources);

public sealed record CountsResponse(string Namespace, Dictionary<string, double> Objects, Dictionary<string, double> Resources);
