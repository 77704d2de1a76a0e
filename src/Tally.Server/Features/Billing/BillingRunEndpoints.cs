using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Tally.Domain.Access;
using Tally.Server.Auth;
using Tally.Server.Errors;
using Tally.Server.Hosting;
using Tally.Storage.Entities;

namespace Tally.Server.Features.Billing;

/// <summary>Body of <c>POST /api/admin/billing/runs</c>; every field optional (date: today UTC, tenants: all, dry_run: false).</summary>
public sealed record BillingRunRequest(string? Date, IReadOnlyList<string?>? Tenants, bool? DryRun);

/// <summary>A run just accepted: its id and state (queued).</summary>
public sealed record BillingRunAccepted(string Id, string State);

/// <summary>A billing run as the operator API shows it.</summary>
public sealed record BillingRunView(
    string Id,
    string State,
    string Date,
    bool DryRun,
    IReadOnlyList<string> Tenants,
    int TenantsTotal,
    int TenantsDone,
    int InvoicesIssued,
    int ChargesMade,
    IReadOnlyList<BillingRunError> Errors,
    string RequestedBy,
    DateTimeOffset CreatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? StartedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? FinishedAt)
{
    public static BillingRunView Of(BillingRunRow row) => new(
        row.Id, row.State, row.Date, row.DryRun, BillingRuns.TenantsOf(row), row.TenantsTotal, row.TenantsDone, row.InvoicesIssued,
        row.ChargesMade, BillingRuns.ErrorsOf(row), row.RequestedBy, row.CreatedAt, row.StartedAt, row.FinishedAt);
}

public sealed record BillingRunList(IReadOnlyList<BillingRunView> Items);

/// <summary>The operator's billing runs: start one (it runs in the background in this process), follow it, list them.</summary>
public static class BillingRunEndpoints
{
    public const int DefaultListLimit = 20;

    public const int MaxListLimit = 1000;

    public static IEndpointRouteBuilder MapBillingRuns(this IEndpointRouteBuilder routes)
    {
        var admin = routes.MapGroup("/api/admin/billing/runs").WithTags("Billing runs").RequireOperatorToken();
        admin.MapPost("/", StartAsync).AcceptsF5Body<BillingRunRequest>(required: false)
            .WithSummary("Start a billing run for a date (default today, UTC) over some tenants (default all); 202 with the run's id.");
        admin.MapGet("/{id}", GetAsync).WithSummary("A billing run: state, progress, per-tenant errors.");
        admin.MapGet("/", ListAsync).WithSummary("Billing runs, newest first.");
        return routes;
    }

    public static async Task<Results<Accepted<BillingRunAccepted>, ProblemHttpResult>> StartAsync(
        HttpRequest request, Caller caller, BillingRuns runs, BillingRunQueue queue, TimeProvider clock, CancellationToken ct)
    {
        if (Require(caller.Grant, write: true) is { } denied)
        {
            return denied;
        }

        var body = await F5Body.ReadAsync<BillingRunRequest>(request, ct) ?? new BillingRunRequest(null, null, null);
        var date = ParseDate(body.Date, clock.GetUtcNow());
        var tenants = await ValidateTenantsAsync(body.Tenants ?? [], runs, ct);
        var row = await runs.TryCreateAsync(BillingRuns.NewId(), date, tenants, body.DryRun ?? false, caller.Grant.TokenId, ct)
            ?? throw new InvalidOperationException("A new billing run id already exists.");
        queue.Enqueue(row.Id);
        return TypedResults.Accepted($"/api/admin/billing/runs/{row.Id}", new BillingRunAccepted(row.Id, row.State));
    }

    public static async Task<Results<Ok<BillingRunView>, ProblemHttpResult>> GetAsync(string id, Caller caller, BillingRuns runs, CancellationToken ct)
    {
        if (Require(caller.Grant, write: false) is { } denied)
        {
            return denied;
        }

        return await runs.FindAsync(id, ct) is { } row
            ? TypedResults.Ok(BillingRunView.Of(row))
            : Problems.NotFound($"Billing run '{id}' does not exist.");
    }

    public static async Task<Results<Ok<BillingRunList>, ProblemHttpResult>> ListAsync(int? limit, Caller caller, BillingRuns runs, CancellationToken ct)
    {
        if (Require(caller.Grant, write: false) is { } denied)
        {
            return denied;
        }

        var take = limit ?? DefaultListLimit;
        if (take is < 1 or > MaxListLimit)
        {
            throw new RequestValidationException("limit", $"limit must be 1 to {MaxListLimit}.");
        }

        var rows = await runs.ListAsync(take, ct);
        return TypedResults.Ok(new BillingRunList([.. rows.Select(BillingRunView.Of)]));
    }

    /// <summary>The run's date: omitted → today (UTC); else YYYY-MM-DD, not after today (UTC). 400 naming <c>date</c> otherwise.</summary>
    public static DateOnly ParseDate(string? text, DateTimeOffset now)
    {
        var today = BillingRuns.Today(now);
        if (text is null)
        {
            return today;
        }

        if (!BillingRuns.TryParseDate(text, out var date))
        {
            throw new RequestValidationException("date", $"date must be a calendar date YYYY-MM-DD (UTC), not '{Truncate(text)}'.");
        }

        if (date > today)
        {
            throw new RequestValidationException("date", $"date {BillingRuns.Format(date)} is in the future; today (UTC) is {BillingRuns.Format(today)}.");
        }

        return date;
    }

    private static async Task<IReadOnlyList<string>> ValidateTenantsAsync(IReadOnlyList<string?> tenants, BillingRuns runs, CancellationToken ct)
    {
        if (tenants.Count > BillingRuns.MaxTenants)
        {
            throw new RequestValidationException("tenants", $"tenants names at most {BillingRuns.MaxTenants:N0} tenants; this names {tenants.Count:N0}. Omit it to bill every tenant.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < tenants.Count; i++)
        {
            if (string.IsNullOrEmpty(tenants[i]))
            {
                throw new RequestValidationException($"tenants[{i}]", $"tenants[{i}] must be a tenant name.");
            }

            if (!seen.Add(tenants[i]!))
            {
                throw new RequestValidationException($"tenants[{i}]", $"tenants[{i}] '{Truncate(tenants[i]!)}' is named twice.");
            }
        }

        var names = tenants.Select(t => t!).ToList();
        if ((await runs.UnknownTenantsAsync(names, ct)) is [var first, ..])
        {
            throw new RequestValidationException($"tenants[{first}]", $"tenants[{first}]: tenant '{Truncate(names[first])}' does not exist.");
        }

        return names;
    }

    private static string Truncate(string text) => text.Length > 64 ? text[..64] + "…" : text;

    private static ProblemHttpResult? Require(Grant grant, bool write) =>
        TenantScope.RequireOperator(grant, write)
        ?? TenantScope.RequirePermission(grant, Permissions.Billing)
        ?? (grant.HasScope(Scopes.Billing) ? null : Problems.Forbidden($"The token lacks the '{Scopes.Billing}' scope."));
}
