using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Tally.Domain;
using Tally.Domain.Access;
using Tally.Domain.Catalog;
using Tally.Domain.Subscriptions;
using Tally.Domain.Tenants;
using Tally.Server.Auth;
using Tally.Server.Errors;
using Tally.Server.Features.Catalog;
using Tally.Server.Features.Invoices;
using Tally.Server.Features.Quotas;
using Tally.Server.Features.Usage;
using Tally.Server.Hosting;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Features.Subscriptions;

/// <summary>
/// F5's subscription APIs for tenant tokens (the tenant's plan subscriptions with their billing periods; add-on
/// subscribe/unsubscribe) and the operator's view of a tenant's subscriptions. Tenant routes: operator tokens 403, a
/// namespace the tenant lacks (or off the token's allow-list) 404, no <c>billing</c> permission 403, a viewer's write 403.
/// </summary>
public static class SubscriptionEndpoints
{
    public const string ListOperation = "ves.io.schema.usage.subscription.CustomAPI.ListSubscriptions";
    public const string SubscribeOperation = "ves.io.schema.subscription.CustomAPI.Subscribe";
    public const string UnsubscribeOperation = "ves.io.schema.subscription.CustomAPI.Unsubscribe";

    public static IEndpointRouteBuilder MapSubscriptions(this IEndpointRouteBuilder routes)
    {
        var web = routes.MapGroup("/api/web/namespaces").WithTags("F5 subscriptions");
        web.MapGet("/{namespace}/subscriptions/custom_list", ListAsync).WithF5Operation(ListOperation)
            .WithSummary("The tenant's plan subscriptions, oldest first, with their billing periods (current=true: only the one in effect now).");
        web.MapPost("/system/addon/subscribe", SubscribeAsync).WithF5Operation(SubscribeOperation)
            .AcceptsF5Body<F5AddOnChoiceRequest>(required: true)
            .WithSummary("Subscribe to the add-on whose key the body sets to {} (the plan must allow it); repeating changes nothing.");
        web.MapPost("/system/addon/unsubscribe", UnsubscribeAsync).WithF5Operation(UnsubscribeOperation)
            .AcceptsF5Body<F5AddOnChoiceRequest>(required: true)
            .WithSummary("Unsubscribe from the add-on whose key the body sets to {} (not one the plan includes); repeating changes nothing.");
        routes.MapGet("/api/admin/tenants/{tenant}/subscriptions", TenantSubscriptionsAsync).WithTags("Tenants")
            .WithSummary("The tenant's plan and add-on subscriptions with their start and end instants, oldest first.");
        return routes;
    }

    public static async Task<Results<Ok<F5ListSubscriptionsRsp>, ProblemHttpResult>> ListAsync(
        [FromRoute(Name = "namespace")] string ns, [FromQuery(Name = "current")] string? current, HttpContext http, Caller caller,
        TallyDatabase database, CatalogService catalog, TimeProvider clock, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var (allowed, denied) = await TenantScope.RequireF5CallerAsync(db, caller.Grant, ns, Permissions.Billing, ct);
        if (denied is not null)
        {
            return denied;
        }

        var tenantId = allowed!;

        var currentOnly = ParseBool(current, "current");
        http.Response.Headers.Vary = "Accept-Language";

        // Subscriptions are tenant-wide objects of namespace system; every other namespace holds none.
        if (ns != NamespaceRow.System)
        {
            return TypedResults.Ok(new F5ListSubscriptionsRsp([]));
        }

        var now = clock.GetUtcNow().ToUniversalTime();
        var zone = TimeZones.Require(await db.Tenants.AsNoTracking().Where(t => t.TenantId == tenantId).Select(t => t.TimeZone).SingleAsync(ct));
        var rows = await db.PlanSubscriptions.AsNoTracking().Where(s => s.TenantId == tenantId).ToListAsync(ct);
        var invoices = await F5Invoices.OfTenantAsync(db, tenantId, ct);
        var snapshot = await catalog.GetSnapshotAsync(ct);
        var locale = CatalogLocales.Negotiate(http.Request);
        var subscriptions = rows
            .OrderBy(r => r.StartsAt)
            .Select(r => (Row: r, InEffect: r.StartsAt <= now && (r.EndsAt is null || r.EndsAt > now)))
            .Where(x => !currentOnly || x.InEffect)
            .Select(x => ToF5(x.Row, x.InEffect, snapshot.Plans.GetValueOrDefault(x.Row.Plan)?.Definition, locale, now, zone, invoices))
            .ToList();
        return TypedResults.Ok(new F5ListSubscriptionsRsp(subscriptions));
    }

    public static Task<Results<Ok<F5Empty>, ProblemHttpResult>> SubscribeAsync(
        HttpRequest request, Caller caller, TallyDatabase database, CatalogService catalog, TimeProvider clock, CancellationToken ct) =>
        ChangeAddOnAsync(request, caller, database, catalog, clock, AddOnSubscriptions.SubscribeAsync, ct);

    public static Task<Results<Ok<F5Empty>, ProblemHttpResult>> UnsubscribeAsync(
        HttpRequest request, Caller caller, TallyDatabase database, CatalogService catalog, TimeProvider clock, CancellationToken ct) =>
        ChangeAddOnAsync(request, caller, database, catalog, clock, AddOnSubscriptions.UnsubscribeAsync, ct);

    public static async Task<Results<Ok<TenantSubscriptionsResponse>, ProblemHttpResult>> TenantSubscriptionsAsync(
        string tenant, Caller caller, TallyDatabase database, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var (_, problem) = await TenantScope.FindAsync(db, caller.Grant, tenant, ct);
        if ((problem ?? TenantScope.RequirePermission(caller.Grant, Permissions.Billing)) is { } denied)
        {
            return denied;
        }

        var plans = await db.PlanSubscriptions.AsNoTracking().Where(s => s.TenantId == tenant).ToListAsync(ct);
        var addOns = await db.AddOnSubscriptions.AsNoTracking().Where(a => a.TenantId == tenant).ToListAsync(ct);
        return TypedResults.Ok(new TenantSubscriptionsResponse(
            [.. plans.OrderBy(p => p.StartsAt).ThenBy(p => p.Id, StringComparer.Ordinal)
                .Select(p => new TenantPlanSubscription(p.Id, p.Plan, p.StartsAt, p.EndsAt, p.TrialEndsAt))],
            [.. addOns.OrderBy(a => a.StartsAt).ThenBy(a => a.AddOn, StringComparer.Ordinal).ThenBy(a => a.Id, StringComparer.Ordinal)
                .Select(a => new TenantAddOnSubscription(a.Id, a.AddOn, a.StartsAt, a.EndsAt))]));
    }

    private delegate Task<AddOnOutcome> AddOnChange(
        TallyDbContext db, string tenantId, string addOn, PlanDefinition plan, DateTimeOffset at, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// One transaction holding the tenant's lock: the plan in effect now, then the change at now. 409 when the tenant is on
    /// no plan or the change is refused; nothing is written then.
    /// </summary>
    private static async Task<Results<Ok<F5Empty>, ProblemHttpResult>> ChangeAddOnAsync(
        HttpRequest request, Caller caller, TallyDatabase database, CatalogService catalog, TimeProvider clock, AddOnChange change, CancellationToken ct)
    {
        var grant = caller.Grant;
        if (grant.TenantId is not { } tenantId)
        {
            return TenantScope.TenantTokenRequired();
        }

        if (!grant.CanAccessNamespace(NamespaceRow.System))
        {
            return TenantScope.NamespaceNotFound(NamespaceRow.System);
        }

        if ((TenantScope.RequirePermission(grant, Permissions.Billing) ?? TenantScope.RequireWrite(grant)) is { } denied)
        {
            return denied;
        }

        var addOn = AddOnChoice.Read(await F5Body.ReadAsync<JsonDocument>(request, ct));
        if (await catalog.GetAddOnAsync(addOn, ct) is null)
        {
            throw new RequestValidationException(addOn, $"Add-on '{addOn}' is not offered: it is not in the catalog.");
        }

        await using var db = database.CreateContext();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (!await db.LockTenantAsync(tenantId, ct))
        {
            return TenantScope.TenantNotFound(tenantId);
        }

        var now = CatalogAccess.Now(clock);
        if (await PlanSubscriptions.InEffectAsync(db, tenantId, now, ct) is not { } subscription)
        {
            return Problems.Conflict("The tenant is on no plan; add-ons come with a plan.");
        }

        if (await catalog.GetPlanAsync(subscription.Plan, ct) is not { } plan)
        {
            return Problems.Conflict($"The tenant's plan '{subscription.Plan}' is no longer in the catalog.");
        }

        var outcome = await change(db, tenantId, addOn, plan, now, now, ct);
        if (outcome.Refusal is { } refusal)
        {
            return Problems.Conflict(refusal);
        }

        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return TypedResults.Ok(new F5Empty());
    }

    private static F5SubscriptionType ToF5(
        PlanSubscriptionRow row, bool inEffect, PlanDefinition? plan, string locale, DateTimeOffset now, TimeZoneInfo zone, IReadOnlyList<InvoiceRow> invoices)
    {
        var periods = SubscriptionPeriods.Of(row.StartsAt, row.EndsAt, row.TrialEndsAt, now, zone);
        var last = periods.Count > 0 ? periods[^1] : null;
        return new F5SubscriptionType(
            row.Id,
            plan?.TitleFor(locale) ?? row.Plan,
            row.Plan,
            inEffect,
            row.EndsAt is not null,
            row.CancelledAt is { } cancelled ? F5UsageFormat.Instant(cancelled) : null,
            F5UsageFormat.Instant(row.StartsAt),
            last is null ? null : F5UsageFormat.Instant(last.Start),
            last is null ? null : F5UsageFormat.Instant(last.End),
            [.. periods.Take(periods.Count - 1).Select(p => Period(row.Id, p, invoices))]);
    }

    /// <summary>
    /// One listed period with its invoice links: the names (friendly ids, as <c>invoices/custom_list</c> and
    /// <c>invoice_pdf</c> use them) of the tenant's invoices whose billing period overlaps it, oldest first; closed = can no
    /// longer change (issued, paid, cancelled, ...), pending = open or finalized.
    /// </summary>
    private static F5SubscriptionPeriod Period(string subscription, SubscriptionPeriod period, IReadOnlyList<InvoiceRow> invoices)
    {
        var start = F5UsageFormat.Instant(period.Start);
        var end = F5UsageFormat.Instant(period.End);
        var linked = invoices.Where(i => i.PeriodStart < period.End && i.PeriodEnd > period.Start).ToList();
        return new F5SubscriptionPeriod(
            PeriodUid(subscription, period.Start), start, end, start, end, period.Trial,
            [.. linked.Select(i => i.FriendlyId)],
            [.. linked.Where(i => !F5Invoices.IsActive(i)).Select(i => i.FriendlyId)],
            [.. linked.Where(F5Invoices.IsActive).Select(i => i.FriendlyId)]);
    }

    /// <summary>A name-based UUID (version 5 layout over SHA-256) of the subscription and the period's start: stable across calls.</summary>
    private static string PeriodUid(string subscription, DateTimeOffset start)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{subscription}/{start.UtcTicks}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString("D");
    }

    /// <summary>grpc-gateway's boolean query values (Go's strconv.ParseBool); absent or empty = false.</summary>
    private static bool ParseBool(string? text, string field) => text switch
    {
        null or "" => false,
        "true" or "True" or "TRUE" or "t" or "T" or "1" => true,
        "false" or "False" or "FALSE" or "f" or "F" or "0" => false,
        _ => throw new RequestValidationException(field, $"{field} must be true or false, not '{Names.Truncate(text)}'."),
    };
}
