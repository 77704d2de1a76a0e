using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Tally.Domain;
using Tally.Domain.Access;
using Tally.Domain.Tenants;
using Tally.Server.Auth;
using Tally.Server.Errors;
using Tally.Server.Features.Catalog;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Features.Admin;

/// <summary>Operator API: tenants. Create, list and patch are operator-only; a tenant token may read its own tenant.</summary>
public static class TenantsEndpoints
{
    public static IEndpointRouteBuilder MapTenants(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/admin/tenants").WithTags("Tenants");
        group.MapPost("/", CreateAsync).WithSummary("Create a tenant and its system namespace.");
        group.MapGet("/", ListAsync).WithSummary("List tenants.");
        group.MapGet("/{tenant}", GetAsync).WithSummary("Get one tenant.");
        group.MapPatch("/{tenant}", PatchAsync).WithSummary("Change a tenant's settings; absent fields stay as they are.");
        return routes;
    }

    public static async Task<Results<Created<TenantResponse>, ProblemHttpResult>> CreateAsync(
        TenantCreateRequest body, Caller caller, TallyDatabase database, TimeProvider clock, CancellationToken ct)
    {
        if (TenantScope.RequireOperator(caller.Grant, write: true) is { } denied)
        {
            return denied;
        }

        var name = Names.RequireDns1035Label(body.Name, "name");
        var now = clock.GetUtcNow();
        var row = new TenantRow
        {
            TenantId = name,
            DisplayName = Text(body.DisplayName, "display_name", 256) ?? name,
            Currency = Currency.Of(body.Currency ?? "USD").Code,
            TimeZone = TimeZones.Require(body.TimeZone ?? "UTC").Id,
            Locale = Locales.Require(body.Locale ?? "en"),
            BillingMode = BillingMode.Require(body.BillingMode ?? BillingMode.Postpaid),
            VatRate = VatRate(body.VatRate ?? "0"),
            VatCode = Text(body.VatCode, "vat_code", 64),
            AddressJson = Address(body.Address),
            CreatedAt = now,
            UpdatedAt = now,
        };

        await using var db = database.CreateContext();
        if (await db.Tenants.AnyAsync(t => t.TenantId == name, ct))
        {
            return Problems.Conflict($"Tenant '{name}' already exists.");
        }

        db.Tenants.Add(row);
        db.Namespaces.Add(new NamespaceRow { TenantId = name, Name = NamespaceRow.System, CreatedAt = now });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            return Problems.Conflict($"Tenant '{name}' already exists.");
        }

        return TypedResults.Created($"/api/admin/tenants/{name}", TenantResponse.From(row));
    }

    public static async Task<Results<Ok<TenantListResponse>, ProblemHttpResult>> ListAsync(Caller caller, TallyDatabase database, CancellationToken ct)
    {
        if (TenantScope.RequireOperator(caller.Grant, write: false) is { } denied)
        {
            return denied;
        }

        await using var db = database.CreateContext();
        var rows = await db.Tenants.AsNoTracking().OrderBy(t => t.TenantId).ToListAsync(ct);
        return TypedResults.Ok(new TenantListResponse([.. rows.Select(TenantResponse.From)]));
    }

    public static async Task<Results<Ok<TenantResponse>, ProblemHttpResult>> GetAsync(string tenant, Caller caller, TallyDatabase database, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var (row, problem) = await TenantScope.FindAsync(db, caller.Grant, tenant, ct);
        if (problem is not null)
        {
            return problem;
        }

        return TypedResults.Ok(TenantResponse.From(row!));
    }

    public static async Task<Results<Ok<TenantResponse>, ProblemHttpResult>> PatchAsync(
        string tenant, TenantPatchRequest body, Caller caller, TallyDatabase database, CatalogService catalog, TimeProvider clock, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var (found, problem) = await TenantScope.FindAsync(db, caller.Grant, tenant, ct);
        if (problem is not null)
        {
            return problem;
        }

        if (TenantScope.RequireOperator(caller.Grant, write: true) is { } denied)
        {
            return denied;
        }

        if (body.Name is not null && body.Name != tenant)
        {
            throw new RequestValidationException("name", $"name cannot change (path says '{tenant}', body says '{body.Name}').");
        }

        var row = found!;
        if (body.Currency is not null && Currency.Of(body.Currency).Code != row.Currency
            && await catalog.GetTenantPlanAsync(tenant, ct) is { Plan: var plan } && plan.Currency.Code != body.Currency)
        {
            return Problems.Conflict(
                $"Tenant '{tenant}' is on plan '{plan.Name}', priced in {plan.Currency.Code}: put it on a plan priced in {body.Currency} before changing its currency.");
        }

        row.DisplayName = Text(body.DisplayName, "display_name", 256) ?? row.DisplayName;
        row.Currency = body.Currency is null ? row.Currency : Currency.Of(body.Currency).Code;
        row.TimeZone = body.TimeZone is null ? row.TimeZone : TimeZones.Require(body.TimeZone).Id;
        row.Locale = body.Locale is null ? row.Locale : Locales.Require(body.Locale);
        row.BillingMode = body.BillingMode is null ? row.BillingMode : BillingMode.Require(body.BillingMode);
        row.VatRate = body.VatRate is null ? row.VatRate : VatRate(body.VatRate);
        row.VatCode = Text(body.VatCode, "vat_code", 64) ?? row.VatCode;
        row.AddressJson = body.Address is null ? row.AddressJson : Address(body.Address);
        row.UpdatedAt = clock.GetUtcNow();
        db.Tenants.Update(row);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(TenantResponse.From(row));
    }

    private static string? Text(string? value, string field, int max) =>
        value is null ? null
        : value.Length > max ? throw new RequestValidationException(field, $"{field} is longer than {max} characters.")
        : value;

    /// <summary>VAT rate: a decimal string, percent, 0..100, at most 4 decimal places. Stored normalised ("10.0" → "10.0").</summary>
    private static string VatRate(string value)
    {
        if (!decimal.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var rate)
            || rate < 0 || rate > 100 || rate.Scale > 4)
        {
            throw new RequestValidationException("vat_rate", $"vat_rate must be a decimal string from \"0\" to \"100\" (percent, up to 4 decimal places), not '{value}'.");
        }

        return rate.ToString(CultureInfo.InvariantCulture);
    }

    private static string? Address(Dictionary<string, string>? address)
    {
        if (address is null)
        {
            return null;
        }

        if (address.Count > 16)
        {
            throw new RequestValidationException("address", "address has more than 16 fields.");
        }

        foreach (var (key, value) in address)
        {
            if (key.Length is 0 or > 64 || value.Length > 256)
            {
                throw new RequestValidationException($"address.{key}", $"address.{key}: keys are 1-64 characters and values at most 256.");
            }
        }

        return System.Text.Json.JsonSerializer.Serialize(address);
    }
}

/// <summary>POST body. <c>vat_rate</c> is a decimal string in percent.</summary>
public sealed record TenantCreateRequest(
    string? Name,
    string? DisplayName,
    string? Currency,
    string? TimeZone,
    string? Locale,
    string? BillingMode,
    string? VatRate,
    string? VatCode,
    Dictionary<string, string>? Address);

/// <summary>PATCH body: every field optional; <c>name</c>, when given, must equal the path.</summary>
public sealed record TenantPatchRequest(
    string? Name,
    string? DisplayName,
    string? Currency,
    string? TimeZone,
    string? Locale,
    string? BillingMode,
    string? VatRate,
    string? VatCode,
    Dictionary<string, string>? Address);

public sealed record TenantResponse(
    string Name,
    string DisplayName,
    string Currency,
    string TimeZone,
    string Locale,
    string BillingMode,
    string VatRate,
    string? VatCode,
    Dictionary<string, string>? Address,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static TenantResponse From(TenantRow row) => new(
        row.TenantId,
        row.DisplayName,
        row.Currency,
        row.TimeZone,
        row.Locale,
        row.BillingMode,
        row.VatRate,
        row.VatCode,
        row.AddressJson is null ? null : System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(row.AddressJson),
        row.CreatedAt,
        row.UpdatedAt);
}

public sealed record TenantListResponse(IReadOnlyList<TenantResponse> Items);
