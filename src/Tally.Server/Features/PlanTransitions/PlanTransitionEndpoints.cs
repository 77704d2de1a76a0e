using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Tally.Domain.Access;
using Tally.Domain.PlanTransitions;
using Tally.Domain.Quotas;
using Tally.Server.Auth;
using Tally.Server.Errors;
using Tally.Server.Features.Catalog;
using Tally.Server.Features.Quotas;
using Tally.Server.Hosting;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Features.PlanTransitions;

/// <summary>
/// F5 <c>ves.io.schema.billing.plan_transition</c> (a tenant admin asks to move plans; anyone holding the id may read its
/// state without a token) and the operator's queue of transitions waiting for approval.
/// </summary>
public static class PlanTransitionEndpoints
{
    public const string InitiateOperation = "ves.io.schema.billing.plan_transition.CustomAPI.InitiatePlanTransition";

    public const string GetStateOperation = "ves.io.schema.billing.plan_transition.CustomAPI.GetPlanTransition";

    /// <summary>Budget of the token-less state lookup per client address: 60 a minute, no burst beyond that.</summary>
    public static readonly RateLimit StateLookupLimit = new(60, 0, "per-minute");

    /// <summary>Most transitions one operator list returns.</summary>
    public const int MaxListLimit = 1000;

    public static IServiceCollection AddPlanTransitions(this IServiceCollection services) =>
        services.AddSingleton<PlanTransitionService>();

    public static IEndpointRouteBuilder MapPlanTransitions(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/web/namespaces/{namespace}/billing/plan_transition", InitiateAsync).WithTags("F5 plan transition")
            .WithF5Operation(InitiateOperation).AcceptsF5Body<InitiatePlanTransitionRequest>(required: true)
            .WithSummary("Ask to move the tenant to another plan (tenant admin with the billing permission): runs at once or waits for approval.");
        routes.MapGet("/no_auth/namespaces/system/billing/plan_transition", GetStateAsync).WithTags("F5 plan transition")
            .WithName(GetStateOperation)
            .WithSummary("The state of a plan transition by its id; no token; rate-limited per client address.");

        var admin = routes.MapGroup("/api/admin/plan_transitions").WithTags("Plan transitions").RequireOperatorToken();
        admin.MapGet("/", ListAsync).WithSummary("Plan transitions, oldest first, filtered by state (e.g. STATE_WAITING_FOR_APPROVAL) and tenant.");
        admin.MapPost("/{id}/approve", ApproveAsync).WithSummary("Approve a transition waiting for approval; it runs at once.");
        admin.MapPost("/{id}/reject", RejectAsync).WithSummary("Reject a transition waiting for approval; it fails with the given reason.");
        return routes;
    }

    public static async Task<Results<Ok<InitiatePlanTransitionResponse>, ProblemHttpResult>> InitiateAsync(
        [FromRoute(Name = "namespace")] string ns, HttpRequest request, Caller caller, TallyDatabase database,
        PlanTransitionService transitions, TimeProvider clock, CancellationToken ct)
    {
        var grant = caller.Grant;
        if (grant.TenantId is not { } tenant)
        {
            return TenantScope.TenantTokenRequired();
        }

        if (ns != NamespaceRow.System)
        {
            throw new RequestValidationException("namespace", $"namespace must be 'system' (plan transitions are tenant-wide), not '{ns}'.");
        }

        await using (var db = database.CreateContext())
        {
            if (await TenantScope.RequireNamespaceAsync(db, grant, tenant, ns, ct) is { } hidden)
            {
                return hidden;
            }
        }

        if ((TenantScope.RequirePermission(grant, Permissions.Billing) ?? RequireAdmin(grant)) is { } denied)
        {
            return denied;
        }

        var body = await F5Body.ReadAsync<InitiatePlanTransitionRequest>(request, ct) ?? throw F5Body.Required();
        var outcome = await transitions.InitiateAsync(tenant, grant.TokenId, body, CatalogAccess.Now(clock), ct);
        return outcome.Row is { } row
            ? TypedResults.Ok(new InitiatePlanTransitionResponse(row.Id, row.RequiresManualApproval))
            : Problems.Conflict(outcome.Conflict!);
    }

    public static async Task<Results<Ok<PlanTransitionStateResponse>, ProblemHttpResult>> GetStateAsync(
        string? id, HttpContext context, PlanTransitionService transitions, ApiRateLimiter limiter, CancellationToken ct)
    {
        var client = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (limiter.TryAcquire("address:" + client, GetStateOperation, StateLookupLimit) is { } wait)
        {
            var seconds = (int)Math.Ceiling(wait.TotalSeconds);
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return Problems.TooManyRequests($"Too many plan transition lookups from this address; retry in {seconds} s.");
        }

        var transitionId = RequireId(id);
        return await transitions.GetStateAsync(transitionId, ct) is { } state
            ? TypedResults.Ok(new PlanTransitionStateResponse(state))
            : Problems.NotFound($"Plan transition '{transitionId}' does not exist.");
    }

    public static async Task<Results<Ok<PlanTransitionList>, ProblemHttpResult>> ListAsync(
        string? state, string? tenant, int? limit, Caller caller, PlanTransitionService transitions, CancellationToken ct)
    {
        if ((TenantScope.RequireOperator(caller.Grant, write: false) ?? TenantScope.RequirePermission(caller.Grant, Permissions.Billing)) is { } denied)
        {
            return denied;
        }

        var filter = state is null ? (PlanTransitionState?)null : PlanTransitionRules.ParseState(state, "state");
        if (tenant is not null)
        {
            Tally.Domain.Names.RequireDns1035Label(tenant, "tenant");
        }

        var take = limit ?? 100;
        if (take is < 1 or > MaxListLimit)
        {
            throw new RequestValidationException("limit", $"limit must be 1 to {MaxListLimit}.");
        }

        var rows = await transitions.ListAsync(filter, tenant, take, ct);
        return TypedResults.Ok(new PlanTransitionList([.. rows.Select(View)]));
    }

    public static async Task<Results<Ok<PlanTransitionView>, ProblemHttpResult>> ApproveAsync(
        string id, Caller caller, PlanTransitionService transitions, TimeProvider clock, CancellationToken ct)
    {
        if (RequireOperatorWrite(caller.Grant) is { } denied)
        {
            return denied;
        }

        return Decided(id, await transitions.ApproveAsync(RequireId(id), caller.Grant.TokenId, CatalogAccess.Now(clock), ct));
    }

    public static async Task<Results<Ok<PlanTransitionView>, ProblemHttpResult>> RejectAsync(
        string id, HttpRequest request, Caller caller, PlanTransitionService transitions, TimeProvider clock, CancellationToken ct)
    {
        if (RequireOperatorWrite(caller.Grant) is { } denied)
        {
            return denied;
        }

        var transitionId = RequireId(id);
        var body = await F5Body.ReadAsync<RejectPlanTransitionRequest>(request, ct);
        return Decided(id, await transitions.RejectAsync(transitionId, caller.Grant.TokenId, body?.Reason, CatalogAccess.Now(clock), ct));
    }

    private static Results<Ok<PlanTransitionView>, ProblemHttpResult> Decided(string id, TransitionOutcome? outcome) =>
        outcome is null ? Problems.NotFound($"Plan transition '{id}' does not exist.")
        : outcome.Row is { } row ? TypedResults.Ok(View(row))
        : Problems.Conflict(outcome.Conflict!);

    private static PlanTransitionView View(PlanTransitionRow row) => new(
        row.Id, row.TenantId, row.FromPlan, row.NewPlan, row.State, row.Reason, row.RequiresManualApproval, row.PaymentMethod,
        PlanTransitionService.PayloadOf(row), row.RequestedBy, row.DecidedBy, row.CreatedAt, row.UpdatedAt);

    /// <summary>Ids are UUIDs (lower case, hyphenated, as issued); anything else is a 400 naming <c>id</c>.</summary>
    private static string RequireId(string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            throw new RequestValidationException("id", "id is required: the id InitiatePlanTransition returned.");
        }

        if (!Guid.TryParseExact(id, "D", out var parsed))
        {
            throw new RequestValidationException("id", "id must be a plan transition id (a UUID such as dec2417d-adb1-4fcc-8dcd-529b1d31a652).");
        }

        return parsed.ToString("D");
    }

    private static ProblemHttpResult? RequireAdmin(Grant grant) =>
        grant.IsAdmin ? null : Problems.Forbidden($"Only a tenant admin token can change the plan; this is a {grant.Role.ToWire()} token.");

    private static ProblemHttpResult? RequireOperatorWrite(Grant grant) =>
        TenantScope.RequireOperator(grant, write: true) ?? TenantScope.RequirePermission(grant, Permissions.Billing);
}
