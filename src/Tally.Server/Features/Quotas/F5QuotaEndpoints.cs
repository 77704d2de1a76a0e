using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Tally.Domain.Access;
using Tally.Domain.Quotas;
using Tally.Server.Auth;
using Tally.Server.Errors;
using Tally.Server.Hosting;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Features.Quotas;

/// <summary>
/// The F5 quota API (ves.io.schema.quota): seven operations for tenant tokens. The tenant is always the token's;
/// an operator token gets 403, a namespace that the tenant lacks (or the token may not see) 404, a token without the
/// <c>quota</c> permission 403, and a viewer's write 403. Every route counts against the tenant's <c>api_limits</c>.
/// </summary>
public static class F5QuotaEndpoints
{
    /// <summary><c>system_metadata.creator_class</c> of objects created through Tally.</summary>
    public const string CreatorClass = "tally";

    public static IEndpointRouteBuilder MapF5Quotas(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/web/namespaces/{namespace}").WithTags("F5 quota");
        group.MapPost("/quotas", CreateAsync).WithF5Operation("ves.io.schema.quota.API.Create").AcceptsF5Body<F5QuotaCreateRequest>(required: true)
            .WithSummary("Create a quota object (limits overriding the plan's, key by key).");
        group.MapPut("/quotas/{name}", ReplaceAsync).WithF5Operation("ves.io.schema.quota.API.Replace").AcceptsF5Body<F5QuotaReplaceRequest>(required: true)
            .WithSummary("Replace a quota object's metadata and spec.");
        group.MapGet("/quotas", ListAsync).WithF5Operation("ves.io.schema.quota.API.List")
            .WithSummary("List the namespace's quota objects, optionally filtered by a label selector.");
        group.MapGet("/quotas/{name}", GetAsync).WithF5Operation("ves.io.schema.quota.API.Get")
            .WithSummary("Get a quota object in the form named by response_format.");
        group.MapDelete("/quotas/{name}", DeleteAsync).WithF5Operation("ves.io.schema.quota.API.Delete").AcceptsF5Body<F5QuotaDeleteRequest>(required: false)
            .WithSummary("Delete a quota object.");
        group.MapGet("/quota/limits", GetLimitsAsync).WithF5Operation("ves.io.schema.quota.CustomAPI.CustomGetQuotaLimits")
            .WithSummary("The limits in force for the namespace (plan default, then system, then namespace objects).");
        group.MapGet("/quota/usage", GetUsageAsync).WithF5Operation("ves.io.schema.quota.CustomAPI.GetQuotaUsage")
            .WithSummary("The limits in force for the namespace and its current admission counts.");
        return routes;
    }

    public static async Task<Results<Ok<F5QuotaCreateResponse>, ProblemHttpResult>> CreateAsync(
        [FromRoute(Name = "namespace")] string ns, HttpRequest request, Caller caller,
        TallyDatabase database, QuotaLimitsService limits, TimeProvider clock, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        if (await AuthorizeAsync(db, caller.Grant, ns, write: true, ct) is { } denied)
        {
            return denied;
        }

        var tenant = caller.Grant.TenantId!;
        var body = await F5Body.ReadAsync<F5QuotaCreateRequest>(request, ct) ?? throw F5Body.Required();
        var meta = F5QuotaRules.Metadata(body.Metadata, ns, pathName: null);
        var spec = Canonical(body.Spec ?? new F5QuotaSpec(null, null, null));
        if (await db.QuotaObjects.AnyAsync(q => q.TenantId == tenant && q.Namespace == ns && q.Name == meta.Name, ct))
        {
            return AlreadyExists(ns, meta.Name);
        }

        var now = Now(clock);
        var row = new QuotaObjectRow
        {
            TenantId = tenant,
            Namespace = ns,
            Name = meta.Name,
            Uid = Guid.NewGuid().ToString(),
            CreatorId = caller.Grant.TokenId,
            CreatedAt = now,
        };
        Apply(row, meta, spec, now);
        db.QuotaObjects.Add(row);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            return AlreadyExists(ns, meta.Name);
        }

        limits.Invalidate(tenant);
        return TypedResults.Ok(new F5QuotaCreateResponse(Meta(row), SystemMeta(row), spec));
    }

    public static async Task<Results<Ok<F5Empty>, ProblemHttpResult>> ReplaceAsync(
        [FromRoute(Name = "namespace")] string ns, string name, HttpRequest request, Caller caller,
        TallyDatabase database, QuotaLimitsService limits, TimeProvider clock, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        if (await AuthorizeAsync(db, caller.Grant, ns, write: true, ct) is { } denied)
        {
            return denied;
        }

        var tenant = caller.Grant.TenantId!;
        var body = await F5Body.ReadAsync<F5QuotaReplaceRequest>(request, ct) ?? throw F5Body.Required();
        var meta = F5QuotaRules.Metadata(body.Metadata, ns, name);
        var spec = Canonical(body.Spec ?? throw new RequestValidationException("spec", "spec is required in a replace request."));
        var row = await db.QuotaObjects.SingleOrDefaultAsync(q => q.TenantId == tenant && q.Namespace == ns && q.Name == name, ct);
        if (row is null)
        {
            return NotFound(ns, name);
        }

        Apply(row, meta, spec, Now(clock));
        await db.SaveChangesAsync(ct);
        limits.Invalidate(tenant);
        return TypedResults.Ok(new F5Empty());
    }

    public static async Task<Results<Ok<F5QuotaListResponse>, ProblemHttpResult>> ListAsync(
        [FromRoute(Name = "namespace")] string ns,
        [FromQuery(Name = "label_filter")] string? labelFilter,
        [FromQuery(Name = "report_fields")] string[]? reportFields,
        [FromQuery(Name = "report_status_fields")] string[]? reportStatusFields,
        Caller caller, TallyDatabase database, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        if (await AuthorizeAsync(db, caller.Grant, ns, write: false, ct) is { } denied)
        {
            return denied;
        }

        var tenant = caller.Grant.TenantId!;
        var selector = LabelSelector.Parse(labelFilter);
        var full = reportFields is { Length: > 0 };
        var withStatus = reportStatusFields is { Length: > 0 };
        var rows = await db.QuotaObjects.AsNoTracking()
            .Where(q => q.TenantId == tenant && q.Namespace == ns)
            .ToListAsync(ct);
        var items = new List<F5QuotaListItem>();
        foreach (var row in rows.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            var labels = ReadMap(row.LabelsJson);
            if (!selector.Matches(labels))
            {
                continue;
            }

            items.Add(new F5QuotaListItem(row.TenantId, row.Namespace, row.Name, row.Uid, row.Description, row.Disabled, labels, ReadMap(row.AnnotationsJson))
            {
                Metadata = full ? Meta(row) : null,
                SystemMetadata = full ? SystemMeta(row) : null,
                GetSpec = full ? ReadSpec(row) : null,
                StatusSet = withStatus ? [] : null,
            });
        }

        return TypedResults.Ok(new F5QuotaListResponse(items, []));
    }

    public static async Task<Results<Ok<F5QuotaGetResponse>, ProblemHttpResult>> GetAsync(
        [FromRoute(Name = "namespace")] string ns, string name,
        [FromQuery(Name = "response_format")] string? responseFormat,
        Caller caller, TallyDatabase database, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        if (await AuthorizeAsync(db, caller.Grant, ns, write: false, ct) is { } denied)
        {
            return denied;
        }

        var tenant = caller.Grant.TenantId!;
        var format = F5QuotaRules.ParseGetFormat(responseFormat);
        var row = await db.QuotaObjects.AsNoTracking().SingleOrDefaultAsync(q => q.TenantId == tenant && q.Namespace == ns && q.Name == name, ct);
        if (row is null)
        {
            return NotFound(ns, name);
        }

        var response = format switch
        {
            F5GetFormat.ForCreate => new F5QuotaGetResponse { CreateForm = new F5QuotaCreateRequest(Meta(row) with { Name = "" }, ReadSpec(row)) },
            F5GetFormat.ForReplace => new F5QuotaGetResponse { ReplaceForm = new F5QuotaReplaceRequest(Meta(row), ReadSpec(row)) },
            F5GetFormat.Status => new F5QuotaGetResponse { Status = [] },
            F5GetFormat.Read => new F5QuotaGetResponse { Metadata = Meta(row), SystemMetadata = SystemMeta(row), Spec = ReadSpec(row) },
            F5GetFormat.ReferringObjects => new F5QuotaGetResponse { ReferringObjects = [] },
            F5GetFormat.BrokenReferences => new F5QuotaGetResponse { DeletedReferredObjects = [], DisabledReferredObjects = [] },
            _ => new F5QuotaGetResponse { Metadata = Meta(row), SystemMetadata = SystemMeta(row), Spec = ReadSpec(row), Status = [] },
        };
        return TypedResults.Ok(response);
    }

    /// <summary>The JSON body (<see cref="F5QuotaDeleteRequest"/>) is optional: an absent, empty or <c>null</c> body is accepted.</summary>
    public static async Task<Results<Ok<F5Empty>, ProblemHttpResult>> DeleteAsync(
        [FromRoute(Name = "namespace")] string ns, string name, HttpRequest request, Caller caller,
        TallyDatabase database, QuotaLimitsService limits, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        if (await AuthorizeAsync(db, caller.Grant, ns, write: true, ct) is { } denied)
        {
            return denied;
        }

        var tenant = caller.Grant.TenantId!;
        var body = await F5Body.ReadAsync<F5QuotaDeleteRequest>(request, ct);
        if (!string.IsNullOrEmpty(body?.Namespace) && body.Namespace != ns)
        {
            throw new RequestValidationException("namespace", $"namespace '{body.Namespace}' differs from the namespace in the path ('{ns}').");
        }

        if (!string.IsNullOrEmpty(body?.Name) && body.Name != name)
        {
            throw new RequestValidationException("name", $"name '{body.Name}' differs from the name in the path ('{name}').");
        }

        var deleted = await db.QuotaObjects.Where(q => q.TenantId == tenant && q.Namespace == ns && q.Name == name).ExecuteDeleteAsync(ct);
        if (deleted == 0)
        {
            return NotFound(ns, name);
        }

        limits.Invalidate(tenant);
        return TypedResults.Ok(new F5Empty());
    }

    public static async Task<Results<Ok<F5QuotaLimitsResponse>, ProblemHttpResult>> GetLimitsAsync(
        [FromRoute(Name = "namespace")] string ns, Caller caller, TallyDatabase database, QuotaLimitsService limits, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        if (await AuthorizeAsync(db, caller.Grant, ns, write: false, ct) is { } denied)
        {
            return denied;
        }

        var effective = await limits.GetAsync(caller.Grant.TenantId!, ns, ct);
        var objects = Sorted(effective.Objects.Keys).ToDictionary(k => k, k => new F5QuotaLimitsItem(new F5FloatLimitType(effective.Objects[k]), null, k, ""));
        var resources = Sorted(effective.Resources.Keys).ToDictionary(k => k, k => new F5QuotaLimitsItem(new F5FloatLimitType(effective.Resources[k]), null, k, ""));
        var apis = Sorted(effective.Apis.Keys).ToDictionary(k => k, k => new F5QuotaLimitsItem(null, Rate(effective.Apis[k]), k, ""));
        return TypedResults.Ok(new F5QuotaLimitsResponse(
            objects,
            resources,
            apis,
            objects.ToDictionary(kv => kv.Key, kv => new F5QuotaLimits(new F5LimitType(ToInt32(kv.Value.Limit!.Maximum)), kv.Key, "")),
            resources,
            apis.ToDictionary(kv => kv.Key, kv => kv.Value.ApiLimit!)));
    }

    public static async Task<Results<Ok<F5QuotaUsageResponse>, ProblemHttpResult>> GetUsageAsync(
        [FromRoute(Name = "namespace")] string ns, Caller caller, TallyDatabase database, QuotaLimitsService limits, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        if (await AuthorizeAsync(db, caller.Grant, ns, write: false, ct) is { } denied)
        {
            return denied;
        }

        var tenant = caller.Grant.TenantId!;
        var effective = await limits.GetAsync(tenant, ns, ct);
        var counts = await db.QuotaCounts.AsNoTracking()
            .Where(c => c.TenantId == tenant && c.Namespace == ns)
            .Select(c => new { c.Kind, c.Key, c.CurrentMicros })
            .ToListAsync(ct);
        var objectCounts = counts.Where(c => c.Kind == QuotaKind.Objects.ToWire()).ToDictionary(c => c.Key, c => QuotaQuantity.ToUnits(c.CurrentMicros), StringComparer.Ordinal);
        var resourceCounts = counts.Where(c => c.Kind == QuotaKind.Resources.ToWire()).ToDictionary(c => c.Key, c => QuotaQuantity.ToUnits(c.CurrentMicros), StringComparer.Ordinal);

        var objects = UsageItems(effective.Objects, objectCounts);
        var resources = UsageItems(effective.Resources, resourceCounts);
        var apis = Sorted(effective.Apis.Keys).ToDictionary(k => k, k => new F5QuotaUsageItem(null, null, Rate(effective.Apis[k]), k, ""));
        return TypedResults.Ok(new F5QuotaUsageResponse(
            objects,
            resources,
            apis,
            objects.ToDictionary(kv => kv.Key, kv => new F5QuotaUsage(
                new F5LimitType(ToInt32(kv.Value.Limit!.Maximum)), new F5UsageType(ToInt32(kv.Value.Usage!.Current)), kv.Key, "")),
            resources,
            apis.ToDictionary(kv => kv.Key, kv => kv.Value.ApiLimit!)));
    }

    /// <summary>Operator tokens → 403; unknown or hidden namespace → 404; no <c>quota</c> permission → 403; a viewer's write → 403.</summary>
    private static async Task<ProblemHttpResult?> AuthorizeAsync(TallyDbContext db, Grant grant, string ns, bool write, CancellationToken ct)
    {
        return (await TenantScope.RequireF5CallerAsync(db, grant, ns, Permissions.Quota, ct)).Problem
            ?? (write ? TenantScope.RequireWrite(grant) : null);
    }

    /// <summary>Validates the spec (throws <see cref="Tally.Domain.DomainValidationException"/>) and returns its stored form.</summary>
    private static F5QuotaSpec Canonical(F5QuotaSpec spec)
    {
        _ = spec.ToDomain();
        return spec.Normalised();
    }

    private static void Apply(QuotaObjectRow row, F5ValidMeta meta, F5QuotaSpec spec, DateTimeOffset now)
    {
        row.Description = meta.Description;
        row.Disabled = meta.Disabled;
        row.LabelsJson = JsonSerializer.Serialize(meta.Labels, TallyJson.Options);
        row.AnnotationsJson = JsonSerializer.Serialize(meta.Annotations, TallyJson.Options);
        row.SpecJson = JsonSerializer.Serialize(spec, TallyJson.Options);
        row.ModifiedAt = now;
    }

    private static F5ObjectMeta Meta(QuotaObjectRow row) =>
        new(row.Name, row.Namespace, ReadMap(row.LabelsJson), ReadMap(row.AnnotationsJson), row.Description, row.Disabled);

    private static F5SystemObjectMeta SystemMeta(QuotaObjectRow row) =>
        new(row.Uid, row.CreatedAt.UtcDateTime, row.ModifiedAt.UtcDateTime, CreatorClass, row.CreatorId, row.TenantId);

    private static F5QuotaSpec ReadSpec(QuotaObjectRow row) =>
        (JsonSerializer.Deserialize<F5QuotaSpec>(row.SpecJson, TallyJson.Options) ?? new F5QuotaSpec(null, null, null)).Normalised();

    private static Dictionary<string, string> ReadMap(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(json, TallyJson.Options) ?? [];

    private static Dictionary<string, F5QuotaUsageItem> UsageItems(IReadOnlyDictionary<string, double> limits, Dictionary<string, double> counts) =>
        Sorted(limits.Keys.Union(counts.Keys, StringComparer.Ordinal)).ToDictionary(
            k => k,
            k => new F5QuotaUsageItem(
                new F5FloatLimitType(limits.TryGetValue(k, out var limit) ? limit : EffectiveLimits.Unlimited),
                new F5FloatUsageType(counts.GetValueOrDefault(k)),
                null,
                k,
                ""));

    private static IEnumerable<string> Sorted(IEnumerable<string> keys) => keys.Order(StringComparer.Ordinal);

    private static F5RateLimitType Rate(RateLimit limit) => new(limit.Rate, limit.Burst, limit.Unit);

    /// <summary>The deprecated integer maps are int32: values are floored and clamped to its range.</summary>
    private static int ToInt32(double value) => (int)Math.Clamp(Math.Floor(value), int.MinValue, int.MaxValue);

    /// <summary>Now, truncated to whole microseconds (what PostgreSQL keeps), so a read returns what the write returned.</summary>
    private static DateTimeOffset Now(TimeProvider clock)
    {
        var now = clock.GetUtcNow().ToUniversalTime();
        return now.AddTicks(-(now.Ticks % 10));
    }

    private static ProblemHttpResult NotFound(string ns, string name) =>
        Problems.NotFound($"Quota object '{name}' does not exist in namespace '{ns}'.");

    private static ProblemHttpResult AlreadyExists(string ns, string name) =>
        Problems.Conflict($"Quota object '{name}' already exists in namespace '{ns}'.");
}
