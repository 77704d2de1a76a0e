using System.CommandLine;
using Tally.Domain.Access;
using Tally.Server.Auth;
using Tally.Server.Hosting;
using Tally.Storage;

// The `tally` executable: `tally serve`, `tally migrate`, `tally token create`.
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

var serve = new Command("serve", "Run the HTTP server (applies migrations first).") { urlsOption, databaseOption, catalogOption, demoOption, gatewayOption };
serve.SetAction(async (parse, ct) =>
{
    var options = new TallyOptions
    {
        Urls = parse.GetValue(urlsOption)!,
        Database = parse.GetValue(databaseOption)!,
        CatalogFile = parse.GetValue(catalogOption),
        Demo = parse.GetValue(demoOption),
        PaymentGateway = parse.GetValue(gatewayOption)!,
        BootstrapToken = Environment.GetEnvironmentVariable("TALLY_BOOTSTRAP_TOKEN") is { Length: > 0 } b ? b : null,
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

var root = new RootCommand("Tally: billing, quota and usage metering.") { serve, migrate, token };
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });

/// <summary>Entry point marker for tests and tools.</summary>
public partial class Program;
