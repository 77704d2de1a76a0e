using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Tally.Domain.Payments;
using Tally.Server.Errors;
using Tally.Server.Features.Catalog;
using Tally.Server.Hosting;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Features.PaymentMethods;

/// <summary>
/// A tenant's payment methods: creation through the configured <see cref="IPaymentGateway"/>, the role rules of
/// <see cref="PaymentMethodRoles"/>, deletion. Every method runs inside the caller's transaction with the tenant's lock
/// (<see cref="TenantLock"/>) already held, and saves but does not commit. Never logs, stores or echoes a token.
/// </summary>
public sealed class PaymentMethodService(IPaymentGateway gateway, CatalogService catalog)
{
    /// <summary>Longest accepted token (characters).</summary>
    public const int MaxTokenLength = 256;

    /// <summary>Longest accepted contact field value (characters).</summary>
    public const int MaxContactFieldLength = 256;

    public const string NamePrefix = "payment-method-";

    /// <summary>The string members of F5's <c>contactGlobalSpecType</c>, in its order; plus <c>contact_type</c>.</summary>
    public static readonly IReadOnlyList<string> ContactFields =
        ["address1", "address2", "city", "county", "state", "state_code", "country", "zip_code", "phone_number"];

    public static readonly IReadOnlyList<string> ContactTypes = ["MAILING", "BILLING", "PAYMENT"];

    public string GatewayName => gateway.Name;

    /// <summary>
    /// Creates a payment method from a provider token and gives it <paramref name="role"/> under the role rules (a new
    /// primary or secondary demotes the previous holder to normal; Unknown → primary when the tenant has none, else
    /// normal). Throws <see cref="RequestValidationException"/> (field <c>token</c> or <c>contact.*</c>) for an empty,
    /// over-long or card-number-like token or a bad contact — before the gateway is called — and
    /// <see cref="PaymentDeclinedException"/> when the gateway refuses the token; nothing is saved then.
    /// </summary>
    public async Task<PaymentMethodRow> CreateAsync(
        TallyDbContext db, string tenantId, string token, PaymentMethodRole role, JsonObject? contact, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        RequireToken(token);
        var contactJson = NormaliseContact(contact);
        var rows = await LoadAsync(db, tenantId, ct);
        var created = await gateway.CreatePaymentMethodAsync(token, ct);
        if (created.Card is not { } card)
        {
            throw new PaymentDeclinedException(created.DeclineReason ?? "declined");
        }

        var name = NewName(rows);
        var before = Arrangement(rows);
        var after = PaymentMethodRoles.Create(before, name, role);
        var row = new PaymentMethodRow
        {
            TenantId = tenantId,
            Name = name,
            Role = after.RoleOf(name).ToStorage(),
            Brand = card.Brand,
            Last4 = card.Last4,
            ExpMonth = card.ExpMonth,
            ExpYear = card.ExpYear,
            ContactJson = contactJson,
            Gateway = gateway.Name,
            GatewayReference = card.Reference,
            CreatedAt = now.ToUniversalTime(),
        };
        await ApplyAsync(db, rows, before, after, added: row, ct);
        return row;
    }

    /// <summary>The tenant's methods ordered by name (not tracked).</summary>
    public static async Task<IReadOnlyList<PaymentMethodRow>> ListAsync(TallyDbContext db, string tenantId, CancellationToken ct) =>
        [.. (await db.PaymentMethods.AsNoTracking().Where(p => p.TenantId == tenantId).ToListAsync(ct)).OrderBy(p => p.Name, StringComparer.Ordinal)];

    /// <summary>
    /// Applies a role operation (<see cref="PaymentMethodRoles.MakePrimary"/>, <c>MakeSecondary</c> or <c>SwapPrimary</c>)
    /// to method <paramref name="name"/> and saves. Returns false when the tenant has no such method.
    /// </summary>
    public static async Task<bool> ChangeRoleAsync(
        TallyDbContext db, string tenantId, string name, Func<PaymentMethodArrangement, string, PaymentMethodArrangement> operation, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var rows = await LoadAsync(db, tenantId, ct);
        var before = Arrangement(rows);
        if (!before.Contains(name))
        {
            return false;
        }

        await ApplyAsync(db, rows, before, operation(before, name), added: null, ct);
        return true;
    }

    /// <summary>
    /// Deletes method <paramref name="name"/> (its role is left empty; see <see cref="PaymentMethodRoles.Delete"/>) and saves.
    /// Refuses to delete the tenant's only method while the plan in effect now is paid (non-zero flat price or any
    /// per-metric price): the conflict's reason is returned and nothing changes.
    /// </summary>
    public async Task<DeleteOutcome> DeleteAsync(TallyDbContext db, string tenantId, string name, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        var rows = await LoadAsync(db, tenantId, ct);
        var target = rows.SingleOrDefault(r => r.Name == name);
        if (target is null)
        {
            return DeleteOutcome.NotFound;
        }

        if (rows.Count == 1 && await catalog.GetTenantPlanAsync(tenantId, ct) is { } plan && (plan.Plan.FlatPrice.Minor != 0 || plan.Plan.Prices.Count > 0))
        {
            return new DeleteOutcome(true, $"'{name}' is the tenant's only payment method and plan '{plan.Plan.Name}' is paid: add another payment method first, or move to a free plan.");
        }

        db.PaymentMethods.Remove(target);
        await db.SaveChangesAsync(ct);
        return DeleteOutcome.Deleted;
    }

    /// <summary>Throws <see cref="RequestValidationException"/> (field <c>token</c>) unless the token may be sent to a gateway. Never echoes it.</summary>
    public static void RequireToken(string? token)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new RequestValidationException("token", "token is required: the payment provider's token for the payment method (e.g. tok_visa with the test gateway).");
        }

        if (CardNumbers.LooksLikeCardNumber(token))
        {
            throw new RequestValidationException("token",
                "token looks like a card number. Send the token your payment provider's client returns for the card; a card number is never accepted, stored or logged.");
        }

        if (token.Length > MaxTokenLength || token.Any(c => c < '!' || c > '~'))
        {
            throw new RequestValidationException("token", $"token must be 1-{MaxTokenLength} printable ASCII characters without spaces.");
        }
    }

    /// <summary>
    /// Validates an F5 <c>contactGlobalSpecType</c> and returns its stored JSON (members in F5's order, nulls dropped;
    /// null when absent or empty). Throws <see cref="RequestValidationException"/> naming <c>contact.&lt;member&gt;</c> for an
    /// unknown member, a non-string or over-long value, an unknown <c>contact_type</c>, or a value containing a card number
    /// (never echoed).
    /// </summary>
    public static string? NormaliseContact(JsonObject? contact)
    {
        if (contact is null)
        {
            return null;
        }

        var normalised = new JsonObject();
        foreach (var (key, value) in contact)
        {
            var field = "contact." + key;
            if (key != "contact_type" && !ContactFields.Contains(key))
            {
                throw new RequestValidationException(field, $"'{field}' is not a known field of contactGlobalSpecType.");
            }

            if (value is null)
            {
                continue;
            }

            if (value.GetValueKind() != JsonValueKind.String)
            {
                throw new RequestValidationException(field, $"'{field}' has the wrong type: expected a string.");
            }

            var text = value.GetValue<string>();
            if (CardNumbers.ContainsCardNumber(text))
            {
                throw new RequestValidationException(field, $"'{field}' contains what looks like a card number; card numbers are never accepted.");
            }

            if (text.Length > MaxContactFieldLength)
            {
                throw new RequestValidationException(field, $"'{field}' is longer than {MaxContactFieldLength} characters.");
            }

            if (key == "contact_type" && !ContactTypes.Contains(text))
            {
                throw new RequestValidationException(field, $"'{field}' must be one of {string.Join(", ", ContactTypes)}.");
            }
        }

        foreach (var key in ContactFields.Append("contact_type"))
        {
            if (contact[key] is { } value)
            {
                normalised[key] = value.GetValue<string>();
            }
        }

        return normalised.Count == 0 ? null : normalised.ToJsonString(TallyJson.Options);
    }

    /// <summary>The stored contact JSON as an object, or null.</summary>
    public static JsonObject? ReadContact(string? json) => json is null ? null : JsonNode.Parse(json) as JsonObject;

    public static PaymentMethodArrangement Arrangement(IEnumerable<PaymentMethodRow> rows) =>
        new(rows.ToDictionary(r => r.Name, r => PaymentMethodRoleNames.ParseStorage(r.Role), StringComparer.Ordinal));

    private static Task<List<PaymentMethodRow>> LoadAsync(TallyDbContext db, string tenantId, CancellationToken ct) =>
        db.PaymentMethods.Where(p => p.TenantId == tenantId).ToListAsync(ct);

    /// <summary>
    /// Writes <paramref name="after"/>. Methods that lose a role are saved as normal first, then roles are given (and
    /// <paramref name="added"/> inserted): no intermediate state has two primaries or two secondaries, so the unique
    /// indexes <c>ix_payment_methods_one_primary/secondary</c> hold at every statement.
    /// </summary>
    private static async Task ApplyAsync(
        TallyDbContext db, List<PaymentMethodRow> rows, PaymentMethodArrangement before, PaymentMethodArrangement after, PaymentMethodRow? added, CancellationToken ct)
    {
        var changes = before.ChangesTo(after);
        var byName = rows.ToDictionary(r => r.Name, StringComparer.Ordinal);
        var demoted = false;
        foreach (var change in changes.Where(c => c.From != PaymentMethodRole.Normal))
        {
            byName[change.Name].Role = PaymentMethodRole.Normal.ToStorage();
            demoted = true;
        }

        if (demoted)
        {
            await db.SaveChangesAsync(ct);
        }

        foreach (var change in changes)
        {
            byName[change.Name].Role = change.To.ToStorage();
        }

        if (added is not null)
        {
            db.PaymentMethods.Add(added);
        }

        await db.SaveChangesAsync(ct);
    }

    /// <summary><see cref="NamePrefix"/> + 8 random hex digits, not yet used by the tenant.</summary>
    private static string NewName(List<PaymentMethodRow> rows)
    {
        while (true)
        {
            var name = NamePrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
            if (!rows.Any(r => r.Name == name))
            {
                return name;
            }
        }
    }
}

/// <summary>What <see cref="PaymentMethodService.DeleteAsync"/> did: not found (<see cref="Found"/> false), refused (<see cref="Conflict"/> says why), or deleted.</summary>
public sealed record DeleteOutcome(bool Found, string? Conflict)
{
    public static readonly DeleteOutcome NotFound = new(false, null);

    public static readonly DeleteOutcome Deleted = new(true, null);
}
