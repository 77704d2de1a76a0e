using Microsoft.EntityFrameworkCore;
using Tally.Domain.Access;
using Tally.Server.Auth;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Hosting;

/// <summary>Start-up data: the operator admin token on an empty database, and the <c>--demo</c> tenant.</summary>
public static class Bootstrap
{
    public const int MinBootstrapSecretLength = 32;
    public const string DemoTenant = "acme";

    /// <summary>
    /// Creates the operator admin token (every scope) when no operator token exists. Returns the secret to print when it
    /// was generated here, null when a token already existed or the secret came from TALLY_BOOTSTRAP_TOKEN.
    /// Throws <see cref="ArgumentException"/> for a bootstrap secret shorter than 32 characters.
    /// </summary>
    public static async Task<string?> EnsureOperatorTokenAsync(TallyDatabase database, string? configuredSecret, TimeProvider clock, CancellationToken ct)
    {
        if (configuredSecret is not null && configuredSecret.Length < MinBootstrapSecretLength)
        {
            throw new ArgumentException($"TALLY_BOOTSTRAP_TOKEN must be at least {MinBootstrapSecretLength} characters.");
        }

        await using var db = database.CreateContext();
        if (await db.ApiTokens.AnyAsync(t => t.TenantId == ApiTokenRow.OperatorTenant, ct))
        {
            return null;
        }

        var (row, secret) = TokenIssuer.Issue(null, "bootstrap operator admin", Role.Admin, [], Scopes.All, [], null, clock.GetUtcNow(), "bootstrap", configuredSecret);
        db.ApiTokens.Add(row);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Another process bootstrapped the same database at the same moment.
            return null;
        }

        return configuredSecret is null ? secret : null;
    }

    /// <summary>Creates tenant <c>acme</c> with namespaces <c>system</c> and <c>default</c> (if missing) and returns a new tenant admin secret.</summary>
    public static async Task<string> SeedDemoAsync(TallyDatabase database, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        if (!await db.Tenants.AnyAsync(t => t.TenantId == DemoTenant, ct))
        {
            db.Tenants.Add(new TenantRow
            {
                TenantId = DemoTenant,
                DisplayName = "Acme Corporation",
                Currency = "USD",
                TimeZone = "UTC",
                Locale = "en",
                BillingMode = "postpaid",
                VatRate = "0",
                CreatedAt = now,
                UpdatedAt = now,
            });
            db.Namespaces.Add(new NamespaceRow { TenantId = DemoTenant, Name = NamespaceRow.System, CreatedAt = now });
            db.Namespaces.Add(new NamespaceRow { TenantId = DemoTenant, Name = "default", CreatedAt = now });
        }

        var (row, secret) = TokenIssuer.Issue(DemoTenant, "demo tenant admin", Role.Admin, [], Scopes.All, [], null, now, "demo");
        db.ApiTokens.Add(row);
        await db.SaveChangesAsync(ct);
        return secret;
    }
}
