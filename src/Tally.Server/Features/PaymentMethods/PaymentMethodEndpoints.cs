using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Tally.Domain.Access;
using Tally.Domain.Payments;
using Tally.Server.Auth;
using Tally.Server.Errors;
using Tally.Server.Features.Quotas;
using Tally.Server.Hosting;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Features.PaymentMethods;

/// <summary>
/// F5's payment method API (ves.io.schema.billing.payment_method.CustomAPI: create, delete, primary, secondary,
/// swap-primary) for tenant tokens, and the operator/tenant list <c>GET /api/admin/tenants/{tenant}/payment_methods</c>.
/// The tenant is the token's; <c>namespace</c> must be <c>system</c> (400); writes need a member or admin token with the
/// <c>billing</c> permission (403); an operator token on the F5 routes gets 403; another tenant's or an unknown method
/// is 404. Each write is one transaction that takes the tenant's lock first. Request bodies and tokens are never logged.
/// </summary>
public static class PaymentMethodEndpoints
{
    private const string Operations = "ves.io.schema.billing.payment_method.CustomAPI.";

    public static IServiceCollection AddPaymentMethods(this IServiceCollection services)
    {
        services.AddSingleton(sp => PaymentGateways.Create(sp.GetRequiredService<TallyOptions>().PaymentGateway, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<PaymentMethodService>();
        return services;
    }

    public static IEndpointRouteBuilder MapPaymentMethods(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/web/namespaces/{namespace}/billing").WithTags("F5 payment methods");
        group.MapPost("/payment_methods", CreateAsync).WithF5Operation(Operations + "Create")
            .AcceptsF5Body<F5CreatePaymentMethodRequest>(required: true)
            .WithSummary("Create a payment method from a payment provider token, with a role (402 when the gateway declines the token).");
        group.MapDelete("/payment_methods/{name}", DeleteAsync).WithF5Operation(Operations + "Delete")
            .AcceptsF5Body<F5PaymentMethodNameRequest>(required: false)
            .WithSummary("Delete a payment method (409 for the only method of a tenant on a paid plan).");
        group.MapPost("/payment_method/{name}/primary", MakePrimaryAsync).WithF5Operation(Operations + "MakePaymentMethodPrimary")
            .AcceptsF5Body<F5PaymentMethodNameRequest>(required: true)
            .WithSummary("Make a payment method primary; a secondary made primary leaves no secondary.");
        group.MapPost("/payment_method/{name}/secondary", MakeSecondaryAsync).WithF5Operation(Operations + "MakePaymentMethodSecondary")
            .AcceptsF5Body<F5PaymentMethodNameRequest>(required: true)
            .WithSummary("Make a payment method secondary; a primary made secondary leaves no primary.");
        group.MapPost("/payment_method/{name}/swap-primary", SwapPrimaryAsync).WithF5Operation(Operations + "SwapPaymentMethodRole")
            .AcceptsF5Body<F5PaymentMethodNameRequest>(required: true)
            .WithSummary("Make a payment method primary and the previous primary secondary.");

        routes.MapGet("/api/admin/tenants/{tenant}/payment_methods", ListAsync).WithTags("Tenants")
            .WithSummary("A tenant's payment methods, masked (brand, last 4, expiry, contact), with F5's role names.");
        return routes;
    }

    public static async Task<Results<Ok<F5CreatePaymentMethodResponse>, ProblemHttpResult>> CreateAsync(
        [FromRoute(Name = "namespace")] string ns, HttpRequest request, Caller caller,
        TallyDatabase database, PaymentMethodService service, TimeProvider clock, CancellationToken ct)
    {
        if (Authorize(caller.Grant, ns) is { } denied)
        {
            return denied;
        }

        var tenant = caller.Grant.TenantId!;
        var body = await F5Body.ReadAsync<F5CreatePaymentMethodRequest>(request, ct) ?? throw F5Body.Required();
        RequireSystem(body.Namespace);
        var role = PaymentMethodRoleNames.ParseWire(body.Role);
        PaymentMethodService.RequireToken(body.Token);
        _ = PaymentMethodService.NormaliseContact(body.Contact);

        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (!await db.LockTenantAsync(tenant, ct))
        {
            return TenantScope.TenantNotFound(tenant);
        }

        PaymentMethodRow row;
        try
        {
            row = await service.CreateAsync(db, tenant, body.Token!, role, body.Contact, clock.GetUtcNow(), ct);
        }
        catch (PaymentDeclinedException declined)
        {
            return Declined(declined.Reason);
        }

        await tx.CommitAsync(ct);
        return TypedResults.Ok(new F5CreatePaymentMethodResponse(row.Name));
    }

    /// <summary>The JSON body is optional: absent, empty or <c>null</c> is accepted; when present its fields must match the path.</summary>
    public static async Task<Results<Ok<F5Empty>, ProblemHttpResult>> DeleteAsync(
        [FromRoute(Name = "namespace")] string ns, string name, HttpRequest request, Caller caller,
        TallyDatabase database, PaymentMethodService service, CancellationToken ct)
    {
        if (Authorize(caller.Grant, ns) is { } denied)
        {
            return denied;
        }

        await ReadNameBodyAsync(request, name, ct);
        return await WriteAsync(database, caller.Grant.TenantId!, async db =>
        {
            var outcome = await service.DeleteAsync(db, caller.Grant.TenantId!, name, ct);
            return !outcome.Found ? MethodNotFound(name)
                : outcome.Conflict is { } reason ? Problems.Conflict(reason, new Dictionary<string, object?> { ["reason"] = "only_payment_method_on_paid_plan" })
                : null;
        }, ct);
    }

    public static Task<Results<Ok<F5Empty>, ProblemHttpResult>> MakePrimaryAsync(
        [FromRoute(Name = "namespace")] string ns, string name, HttpRequest request, Caller caller, TallyDatabase database, CancellationToken ct) =>
        ChangeRoleAsync(ns, name, request, caller, database, PaymentMethodRoles.MakePrimary, ct);

    public static Task<Results<Ok<F5Empty>, ProblemHttpResult>> MakeSecondaryAsync(
        [FromRoute(Name = "namespace")] string ns, string name, HttpRequest request, Caller caller, TallyDatabase database, CancellationToken ct) =>
        ChangeRoleAsync(ns, name, request, caller, database, PaymentMethodRoles.MakeSecondary, ct);

    public static Task<Results<Ok<F5Empty>, ProblemHttpResult>> SwapPrimaryAsync(
        [FromRoute(Name = "namespace")] string ns, string name, HttpRequest request, Caller caller, TallyDatabase database, CancellationToken ct) =>
        ChangeRoleAsync(ns, name, request, caller, database, PaymentMethodRoles.SwapPrimary, ct);

    /// <summary>Operator tokens see every tenant; tenant tokens only their own (another → 404). Needs the <c>billing</c> permission.</summary>
    public static async Task<Results<Ok<PaymentMethodListResponse>, ProblemHttpResult>> ListAsync(
        string tenant, Caller caller, TallyDatabase database, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var (_, problem) = await TenantScope.FindAsync(db, caller.Grant, tenant, ct);
        if (problem is not null)
        {
            return problem;
        }

        if (!caller.Grant.CanAccessNamespace(NamespaceRow.System))
        {
            return TenantScope.NamespaceNotFound(NamespaceRow.System);
        }

        if (TenantScope.RequirePermission(caller.Grant, Permissions.Billing) is { } denied)
        {
            return denied;
        }

        if (!caller.Grant.IsOperator && !caller.Grant.IsAdmin)
        {
            return Problems.Forbidden($"Only operator tokens and tenant admin tokens may list payment methods; this is a tenant {caller.Grant.Role.ToWire()} token.");
        }

        var rows = await PaymentMethodService.ListAsync(db, tenant, ct);
        return TypedResults.Ok(new PaymentMethodListResponse([.. rows.Select(r => new PaymentMethodItem(
            r.Name, PaymentMethodRoleNames.ParseStorage(r.Role).ToWire(), r.Brand, r.Last4, r.ExpMonth, r.ExpYear, PaymentMethodService.ReadContact(r.ContactJson)))]));
    }

    private static async Task<Results<Ok<F5Empty>, ProblemHttpResult>> ChangeRoleAsync(
        string ns, string name, HttpRequest request, Caller caller, TallyDatabase database,
        Func<PaymentMethodArrangement, string, PaymentMethodArrangement> operation, CancellationToken ct)
    {
        if (Authorize(caller.Grant, ns) is { } denied)
        {
            return denied;
        }

        await ReadNameBodyAsync(request, name, ct);
        var tenant = caller.Grant.TenantId!;
        return await WriteAsync(database, tenant, async db =>
            await PaymentMethodService.ChangeRoleAsync(db, tenant, name, operation, ct) ? null : MethodNotFound(name), ct);
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction holding the tenant's lock; commits when it returns null. A unique
    /// index violation (which the lock should make impossible) is retried, up to 3 attempts, instead of becoming a 500.
    /// </summary>
    private static async Task<Results<Ok<F5Empty>, ProblemHttpResult>> WriteAsync(
        TallyDatabase database, string tenant, Func<TallyDbContext, Task<ProblemHttpResult?>> work, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var db = database.CreateContext();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            if (!await db.LockTenantAsync(tenant, ct))
            {
                return TenantScope.TenantNotFound(tenant);
            }

            try
            {
                if (await work(db) is { } problem)
                {
                    return problem;
                }

                await tx.CommitAsync(ct);
                return TypedResults.Ok(new F5Empty());
            }
            catch (DbUpdateException) when (attempt < 3)
            {
                // Rolled back when the transaction is disposed; try again from a fresh read.
            }
        }
    }

    private static ProblemHttpResult? Authorize(Grant grant, string ns)
    {
        if (grant.TenantId is null)
        {
            return TenantScope.TenantTokenRequired();
        }

        if (!grant.CanAccessNamespace(NamespaceRow.System))
        {
            return TenantScope.NamespaceNotFound(NamespaceRow.System);
        }

        var denied = TenantScope.RequirePermission(grant, Permissions.Billing) ?? TenantScope.RequireWrite(grant);
        if (denied is null && ns != NamespaceRow.System)
        {
            throw new RequestValidationException("namespace", "namespace must be 'system': payment methods belong to the tenant, not to one of its namespaces.");
        }

        return denied;
    }

    /// <summary>A body <c>namespace</c>, when given, must be <c>system</c> (F5's <c>string.const</c> rule).</summary>
    private static void RequireSystem(string? bodyNamespace)
    {
        if (!string.IsNullOrEmpty(bodyNamespace) && bodyNamespace != NamespaceRow.System)
        {
            throw new RequestValidationException("namespace", "namespace must be 'system' (or absent): payment methods belong to the tenant.");
        }
    }

    /// <summary>Reads the optional <c>{namespace, name}</c> body; a <c>name</c> that differs from the path is 400.</summary>
    private static async Task ReadNameBodyAsync(HttpRequest request, string name, CancellationToken ct)
    {
        var body = await F5Body.ReadAsync<F5PaymentMethodNameRequest>(request, ct);
        RequireSystem(body?.Namespace);
        if (!string.IsNullOrEmpty(body?.Name) && body.Name != name)
        {
            throw new RequestValidationException("name", "name in the body differs from the payment method name in the path.");
        }
    }

    private static ProblemHttpResult MethodNotFound(string name) =>
        Problems.NotFound($"Payment method '{(name.Length <= 80 ? name : name[..80] + "…")}' does not exist.");

    /// <summary>402 naming <c>token</c>, with the gateway's decline code in <c>reason</c>.</summary>
    private static ProblemHttpResult Declined(string reason) =>
        TypedResults.Problem(
            $"The payment gateway declined the token: {reason}.",
            statusCode: StatusCodes.Status402PaymentRequired,
            title: "Payment Required",
            extensions: new Dictionary<string, object?>
            {
                ["field"] = "token",
                ["reason"] = reason,
                ["errors"] = new Dictionary<string, string[]> { ["token"] = [$"declined: {reason}"] },
            });
}
