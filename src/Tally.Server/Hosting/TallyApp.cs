using System.Diagnostics.Tracing;
using Microsoft.AspNetCore.Http.Json;
using Prometheus;
using Scalar.AspNetCore;
using Tally.Server.Auth;
using Tally.Server.Errors;
using Tally.Server.Features.Admin;
using Tally.Server.Features.Billing;
using Tally.Server.Features.Catalog;
using Tally.Server.Features.Health;
using Tally.Server.Features.Invoices;
using Tally.Server.Features.PaymentMethods;
using Tally.Server.Features.PlanTransitions;
using Tally.Server.Features.Quotas;
using Tally.Server.Features.Subscriptions;
using Tally.Server.Features.ThreeScale;
using Tally.Server.Features.Usage;
using Tally.Storage;

namespace Tally.Server.Hosting;

/// <summary>Builds the web host: services, middleware and the route table. Used by <c>tally serve</c> and by the tests.</summary>
public static class TallyApp
{
    /// <summary>Largest JSON body accepted by any route (8 MiB).</summary>
    public const long MaxRequestBodyBytes = 8 * 1024 * 1024;

    public static WebApplicationBuilder CreateBuilder(TallyOptions options, string[]? args = null)
    {
        // The content root is the install directory, not the working directory: the host watches its content root for
        // configuration changes, and the default tally.db (with its WAL) lives in the working directory.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args ?? [], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.UseUrls(options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = MaxRequestBodyBytes;
            k.AddServerHeader = false;
        });
        builder.Host.ConfigureHostOptions(h => h.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(_ => new TallyDatabase(options.Database));
        services.AddSingleton<TokenAuthenticator>();
        services.AddSingleton<ICounterWriterObserver, CounterWriterMetrics>();
        services.AddSingleton<QuotaCounterStore>();
        services.AddSingleton<QuotaLimitsService>();
        services.AddSingleton<ApiRateLimiter>();
        services.AddCatalog();
        services.AddUsageIngestion();
        services.AddPaymentMethods();
        services.AddSingleton<UsageQueries>();
        services.AddPlanTransitions();
        services.AddBilling();
        services.Configure<JsonOptions>(o => TallyJson.Configure(o.SerializerOptions));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails();
        services.AddExceptionHandler<ErrorHandling>();
        services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Tally";
            doc.Info.Description = "Billing, quota and usage metering: the F5 Distributed Cloud Billing and Usage API, the 3scale Billing API and Tally's operator API.";
            return Task.CompletedTask;
        }));
        return builder;
    }

    /// <summary>
    /// .NET meters not exported at <c>/metrics</c>: those that record on every request or buffer (request duration and
    /// active requests, route matching, Kestrel's memory pool). prometheus-net starts exporting meters at the first
    /// scrape, and then each such measurement costs a lease on a labelled series: measurably more CPU per admission
    /// (docs/performance.md). The request histogram per route comes from
    /// prometheus-net's own middleware instead.
    /// </summary>
    private static readonly HashSet<string> UnexportedMeters = new HashSet<string>(StringComparer.Ordinal)
    {
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.MemoryPool",
    };

    /// <summary>
    /// How prometheus-net's EventCounter adapter subscribes to the event sources it reads counters from (runtime, hosting,
    /// Kestrel, sockets). Its default, Informational, also subscribes to the events those sources raise on every request
    /// and connection (hosting's RequestStart/RequestStop), each dispatched to it only to be discarded. Counter payloads
    /// are written at LogAlways, so Critical keeps every counter and drops those events.
    /// </summary>
    private static readonly EventCounterAdapterEventSourceSettings CountersOnly = new() { MinimumLevel = EventLevel.Critical };

    /// <summary>Adds middleware and every feature's routes.</summary>
    public static WebApplication Configure(WebApplication app)
    {
        // Process-wide, and read at the first scrape; every host sets the same filter and level.
        Metrics.ConfigureMeterAdapter(o => o.InstrumentFilterPredicate = instrument => !UnexportedMeters.Contains(instrument.Meter.Name));
        Metrics.ConfigureEventCounterAdapter(o => o.EventSourceSettingsProvider = _ => CountersOnly);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // One histogram per route and status (its _count is the request count); no in-progress gauge, no separate
        // counter: each of those is one more middleware and label lookup on every request (docs/decisions.md).
        app.UseHttpMetrics(o =>
        {
            o.InProgress.Enabled = false;
            o.RequestCount.Enabled = false;
        });
        app.UseMiddleware<TokenAuthenticationMiddleware>();

        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/docs", o => o.WithOpenApiRoutePattern("/openapi/{documentName}.json").WithTitle("Tally API"));
        app.MapMetrics("/metrics");
        app.MapHealth();

        app.MapTenants();
        app.MapNamespaces();
        app.MapTokens();
        app.MapQuotaAdmission();
        app.MapF5Quotas();
        app.MapCatalog();
        app.MapUsageIngestion();
        app.MapF5Usage();
        app.MapPlanTransitions();
        app.MapPaymentMethods();
        app.MapSubscriptions();
        app.MapBillingRuns();
        app.MapF5Invoices();
        app.MapThreeScaleBilling();
        return app;
    }
}
