namespace Tally.Server.Hosting;

/// <summary>How one <c>tally serve</c> process runs. Filled from the command line and environment.</summary>
public sealed record TallyOptions
{
    public const string DefaultUrls = "http://127.0.0.1:8080";
    public const string DefaultDatabase = "tally.db";
    public const string DefaultPaymentGateway = Features.PaymentMethods.PaymentGateways.Default;

    /// <summary>Listen addresses (semicolon-separated).</summary>
    public string Urls { get; init; } = DefaultUrls;

    /// <summary>SQLite path or PostgreSQL connection string.</summary>
    public string Database { get; init; } = DefaultDatabase;

    /// <summary>Catalog file to load at start (used from the catalog issue on).</summary>
    public string? CatalogFile { get; init; }

    /// <summary>Seed the demo tenant <c>acme</c>.</summary>
    public bool Demo { get; init; }

    /// <summary>Operator admin secret to create on an empty database (TALLY_BOOTSTRAP_TOKEN); generated when null.</summary>
    public string? BootstrapToken { get; init; }

    /// <summary>Oldest usage event accepted, measured back from now. Events may also be up to 5 minutes in the future.</summary>
    public TimeSpan UsageMaxAge { get; init; } = TimeSpan.FromDays(90);

    /// <summary>How long resolved quota limits may be served from this process's cache (tokens: <see cref="Auth.TokenAuthenticator.CacheFor"/>).</summary>
    public TimeSpan LimitCacheFor { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Payment gateway by name (<c>--payment-gateway</c> / <c>TALLY_PAYMENT_GATEWAY</c>); see <see cref="Features.PaymentMethods.PaymentGateways.Known"/>.</summary>
    public string PaymentGateway { get; init; } = DefaultPaymentGateway;

    /// <summary>Billing runs, charging, the seller block on invoices.</summary>
    public Features.Billing.BillingOptions Billing { get; init; } = new();
}
