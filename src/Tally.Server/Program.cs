using System.CommandLine;
using Tally.Domain.Access;
using Tally.Server.Auth;
using Tally.Server.Features.Billing;
using Tally.Server.Hosting;
using Tally.Storage;

// The `tally` executable: `tally serve`, `tally migrate`, `tally token create`, `tally billing run`.
var databaseOption = new Option<string>("--database")
{
    Description = "SQLite file path or PostgreSQL connection string (default: $TALLY_DATABASE, else tally.db).",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("TALLY_DATABASE") is { Length: > 0 } env ? env : TallyOptions.DefaultDatabase,
};
var urlsOption = new Option<string>("--urls") { Description = "Listen addresses, ';'-separated.", DefaultValueFactory = _ => TallyOptions.DefaultUrls };
var catalogOption = new Option<string?>("--catalog") { Description = "Catalog file to load at start." };
var demoOption = new Option<bool>("--demo") { Description = "Seed the demo tenant 'acme' and print a tenant admin token." };
var gatewayOption = new Option<string>("--payment-gateway")
{
    Description = "Payment gateway: test (default: $TALLY_PAYMENT_GATEWAY, else test).",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("TALLY_PAYMENT_GATEWAY") is { Length: > 0 } env ? env : TallyOptions.DefaultPaymentGateway,
};

var billingHourOption = new Option<string?>("--billing-hour") { Description = "UTC hour (0-23) of the daily billing run; a run for day D bills as of D at this hour (default: $TALLY_BILLING_HOUR, else 8)." };
var noScheduleOption = new Option<bool>("--no-billing-schedule") { Description = "Do not start the daily billing run in this process (also: TALLY_BILLING_SCHEDULE=false)." };
var operatorNameOption = new Option<string?>("--operator-name") { Description = "Seller name printed on invoices (default: $TALLY_OPERATOR_NAME, else Tally)." };
var operatorAddressOption = new Option<string?>("--operator-address") { Description = "Seller address printed on invoices, lines separated by ';' (default: $TALLY_OPERATOR_ADDRESS)." };
var noPdfsOption = new Option<bool>("--no-invoice-pdfs") { Description = "Do not render invoice PDFs when invoices are issued (they are rendered on first request)." };

(BillingOptions? Options, string? Error) Billing(ParseResult parse) => BillingCommandLine.Resolve(
    new BillingOptions(),
    new BillingCommandLine.Flags(
        parse.GetValue(billingHourOption), parse.GetValue(noScheduleOption),
        parse.GetValue(operatorNameOption), parse.GetValue(operatorAddressOption), parse.GetValue(noPdfsOption)),
    Environment.GetEnvironmentVariable);

var serve = new Command("serve", "Run the HTTP server (applies migrations first).")
{
    urlsOption, databaseOption, catalogOption, demoOption, gatewayOption, billingHourOption, noScheduleOption, operatorNameOption, operatorAddressOption, noPdfsOption,
};
serve.SetAction(async (parse, ct) =>
{
    var (billing, billingError) = Billing(parse);
    if (billing is null)
    {
        await Console.Error.WriteLineAsync($"Cannot start: {billingError}");
        return 2;
    }

    var options = new TallyOptions
    {
        Urls = parse.GetValue(urlsOption)!,
        Database = parse.GetValue(databaseOption)!,
        CatalogFile = parse.GetValue(catalogOption),
        Demo = parse.GetValue(demoOption),
        PaymentGateway = parse.GetValue(gatewayOption)!,
        BootstrapToken = Environment.GetEnvironmentVariable("TALLY_BOOTSTRAP_TOKEN") is { Length: > 0 } b ? b : null,
        Billing = billing,
    };
    return await Cli.ServeAsync(options);
});

var migrate = new Command("migrate", "Apply database migrations and exit.") { databaseOption };
migrate.SetAction(async (parse, ct) =>
{
    await using var database = new TallyDatabase(parse.GetValue(databaseOption)!);
    await database.MigrateAsync(ct);
    Console.WriteLine($"Migrated {database.Describe()}.");
    return 0;
});

var tenantOption = new Option<string?>("--tenant") { Description = "Tenant name; omit for an operator token." };
var roleOption = new Option<string>("--role") { Description = "admin, member or viewer.", DefaultValueFactory = _ => "admin" };
var nameOption = new Option<string>("--name") { Description = "Label for the token.", DefaultValueFactory = _ => "cli" };
var scopeOption = new Option<string[]>("--scope") { Description = "Scope to grant (repeatable). Admin tokens get every scope when none is given.", AllowMultipleArgumentsPerToken = true };
var tokenCreate = new Command("create", "Create a token and print its secret (shown once).") { tenantOption, roleOption, nameOption, scopeOption, databaseOption };
tokenCreate.SetAction(async (parse, ct) =>
{
    await using var database = new TallyDatabase(parse.GetValue(databaseOption)!);
    await database.MigrateAsync(ct);
    var role = Roles.Parse(parse.GetValue(roleOption));
    var scopes = parse.GetValue(scopeOption) is { Length: > 0 } s ? s : role == Role.Admin ? [.. Scopes.All] : [];
    return await Cli.CreateTokenAsync(database, parse.GetValue(tenantOption), parse.GetValue(nameOption)!, role, scopes, ct);
});
var token = new Command("token", "Manage API tokens.") { tokenCreate };

var dateOption = new Option<string?>("--date") { Description = "Day to bill, YYYY-MM-DD (UTC, not in the future; default today). The run bills as of that day at the billing hour." };
var billTenantOption = new Option<string[]>("--tenant") { Description = "Tenant to bill (repeatable; default every tenant)." };
var dryRunOption = new Option<bool>("--dry-run") { Description = "Report what would be invoiced; write and charge nothing." };
var billingRun = new Command("run", "Run a billing run in the foreground (applies migrations first); exits 1 when any tenant failed.")
{
    dateOption, billTenantOption, dryRunOption, databaseOption, gatewayOption, billingHourOption, operatorNameOption, operatorAddressOption, noPdfsOption,
};
billingRun.SetAction(async (parse, ct) =>
{
    var (billing, billingError) = Billing(parse);
    if (billing is null)
    {
        await Console.Error.WriteLineAsync(billingError);
        return 2;
    }

    var options = new TallyOptions
    {
        Database = parse.GetValue(databaseOption)!,
        PaymentGateway = parse.GetValue(gatewayOption)!,
        Billing = billing with { Schedule = false },
    };
    return await Cli.BillingRunAsync(options, parse.GetValue(dateOption), parse.GetValue(billTenantOption) ?? [], parse.GetValue(dryRunOption), ct);
});
var billingCommand = new Command("billing", "Billing runs.") { billingRun };

var root = new RootCommand("Tally: billing, quota and usage metering.") { serve, migrate, token, billingCommand };
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });

/// <summary>Entry point marker for tests and tools.</summary>
public partial class Program;
