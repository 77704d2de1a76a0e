using Microsoft.EntityFrameworkCore;
using Tally.Domain.Payments;
using Tally.Server.Features.Catalog;
using Tally.Server.Features.PaymentMethods;
using Tally.Storage;

namespace Tally.Server.Features.Subscriptions;

/// <summary>
/// What <c>tally serve --demo</c> adds for the demo tenant besides its plan and usage: a primary payment method from the
/// test gateway's <c>tok_visa</c> and a subscription to <see cref="DemoAddOn"/> since <see cref="AddOnDays"/> days ago,
/// so the payment-method list, <c>subscriptions/custom_list</c> and the add-on fee line of <c>current_usage</c> show data.
/// Seeds only a tenant that has neither payment methods nor add-on subscriptions; does nothing when the tenant's plan
/// does not offer the add-on or the configured gateway does not know the token.
/// </summary>
public static class DemoSubscriptions
{
    public const string DemoAddOn = "f5xc_content_delivery_network_standard";

    public const int AddOnDays = 10;

    /// <summary>Returns true when it seeded something.</summary>
    public static async Task<bool> SeedAsync(
        TallyDatabase database, CatalogService catalog, PaymentMethodService paymentMethods, string tenant, DateTimeOffset now, CancellationToken ct)
    {
        if (await catalog.GetTenantPlanAsync(tenant, ct) is not { } assigned)
        {
            return false;
        }

        await using var db = database.CreateContext();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (!await db.LockTenantAsync(tenant, ct)
            || await db.PaymentMethods.AnyAsync(p => p.TenantId == tenant, ct)
            || await db.AddOnSubscriptions.AnyAsync(a => a.TenantId == tenant, ct))
        {
            return false;
        }

        try
        {
            await paymentMethods.CreateAsync(db, tenant, "tok_visa", PaymentMethodRole.Primary, contact: null, now, ct);
        }
        catch (PaymentDeclinedException)
        {
            return false;
        }

        if (assigned.Plan.AllowedAddOns.Contains(DemoAddOn) && await catalog.GetAddOnAsync(DemoAddOn, ct) is not null)
        {
            var since = now.AddDays(-AddOnDays);
            await AddOnSubscriptions.SubscribeAsync(db, tenant, DemoAddOn, assigned.Plan, since, since, ct);
        }

        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return true;
    }
}
