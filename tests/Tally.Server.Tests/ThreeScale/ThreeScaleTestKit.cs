using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Tally.Server.Tests.Infrastructure;

namespace Tally.Server.Tests.ThreeScale;

/// <summary>Clients, seeding through the 3scale API itself, and XML/JSON readers for the 3scale Billing API tests.</summary>
internal static class ThreeScaleTestKit
{
    public const string Prolog = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

    /// <summary>3scale's <c>invoice</c> children without VAT (reference §2.1).</summary>
    public static readonly string[] InvoiceElements =
    [
        "id", "friendly_id", "creation_type", "state", "paid_at", "due_on", "issued_on", "currency", "cost", "cost_without_vat",
        "period", "provider", "buyer", "line-items", "payment_transactions_count",
    ];

    /// <summary>With a VAT rate above 0: vat_rate and vat_amount after cost.</summary>
    public static readonly string[] InvoiceElementsWithVat =
    [
        "id", "friendly_id", "creation_type", "state", "paid_at", "due_on", "issued_on", "currency", "cost", "vat_rate", "vat_amount",
        "cost_without_vat", "period", "provider", "buyer", "line-items", "payment_transactions_count",
    ];

    public static readonly string[] PartyElements = ["id", "org_name", "address", "city", "state", "country", "phone", "zip"];

    public static readonly string[] LineElements = ["id", "name", "description", "quantity", "type", "metric_id", "plan_id", "contract_id", "contract_type", "cost"];

    public static readonly string[] TransactionElements =
    [
        "id", "created_at", "updated_at", "invoice_id", "account_id", "reference", "success", "amount", "currency", "action", "message",
        "gateway_response", "test",
    ];

    /// <summary>An operator admin token with the <c>billing</c> scope.</summary>
    public static async Task<HttpClient> BillingClientAsync(TallyFixture fx)
    {
        var (_, secret) = await fx.CreateTokenAsync(null, "admin", scopes: ["billing"]);
        return fx.Client(secret);
    }

    /// <summary>Creates a tenant through the operator API with the given settings; returns its name.</summary>
    public static async Task<string> CreateTenantAsync(
        TallyFixture fx, string? vatRate = null, string? timeZone = null, string? displayName = null, Dictionary<string, string>? address = null)
    {
        var name = TallyFixture.NewTenantName();
        using var op = fx.Operator();
        var response = await op.PostAsJsonAsync("/api/admin/tenants", new
        {
            name,
            display_name = displayName,
            vat_rate = vatRate,
            time_zone = timeZone,
            address,
        });
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"create tenant: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return name;
    }

    public static FormUrlEncodedContent Form(params (string Key, string Value)[] pairs) =>
        new(pairs.Select(p => new KeyValuePair<string, string>(p.Key, p.Value)));

    /// <summary>Asserts the status, the XML content type, the prolog and a compact one-line body; returns the root element.</summary>
    public static async Task<XElement> XmlAsync(HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.OK)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode} {text}");
        Assert.Equal("application/xml", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith(Prolog + "<", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\n<", text, StringComparison.Ordinal);
        return XDocument.Parse(text).Root!;
    }

    /// <summary>Asserts the status and the JSON content type; returns the object.</summary>
    public static async Task<JsonObject> JsonAsync(HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.OK)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode} {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(text)!.AsObject();
    }

    public static string[] Names(XElement element) => [.. element.Elements().Select(e => e.Name.LocalName)];

    public static string Value(XElement element, string child) => element.Element(child)?.Value ?? throw new Xunit.Sdk.XunitException($"no <{child}> in {element}");

    /// <summary>POST /api/invoices.xml (201 asserted); returns the invoice element.</summary>
    public static async Task<XElement> CreateInvoiceAsync(HttpClient client, string tenant, string? period = null)
    {
        var pairs = new List<(string, string)> { ("account_id", tenant) };
        if (period is not null)
        {
            pairs.Add(("period", period));
        }

        return await XmlAsync(await client.PostAsync("/api/invoices.xml", Form([.. pairs])), HttpStatusCode.Created);
    }

    public static async Task<long> CreateInvoiceIdAsync(HttpClient client, string tenant, string? period = null) =>
        long.Parse(Value(await CreateInvoiceAsync(client, tenant, period), "id"), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>POST a line (201 asserted); returns the line element.</summary>
    public static async Task<XElement> AddLineAsync(HttpClient client, long invoice, string cost, string type = "LineItem::PlanCost", string name = "Fee")
    {
        var response = await client.PostAsync($"/api/invoices/{invoice}/line_items.xml",
            Form(("name", name), ("description", "manual"), ("quantity", "1"), ("cost", cost), ("type", type)));
        return await XmlAsync(response, HttpStatusCode.Created);
    }

    /// <summary>PUT the state (200 asserted); returns the invoice element.</summary>
    public static async Task<XElement> SetStateAsync(HttpClient client, long invoice, string state)
    {
        var root = await XmlAsync(await client.PutAsync($"/api/invoices/{invoice}/state.xml", Form(("state", state))));
        Assert.Equal(state == "cancel" ? "cancelled" : state, Value(root, "state"));
        return root;
    }

    public static async Task<XElement> GetInvoiceAsync(HttpClient client, long invoice) =>
        await XmlAsync(await client.GetAsync($"/api/invoices/{invoice}.xml"));

    /// <summary>The API calls that bring a new invoice to <paramref name="state"/>.</summary>
    public static string[] PathTo(string state) => state switch
    {
        "open" => [],
        "finalized" => ["finalized"],
        "pending" => ["pending"],
        "unpaid" => ["pending", "unpaid"],
        "failed" => ["pending", "unpaid", "failed"],
        "paid" => ["pending", "paid"],
        "cancelled" => ["cancelled"],
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    /// <summary>A new invoice of <paramref name="tenant"/> (with one line costing <paramref name="cost"/> when given) moved to <paramref name="state"/>.</summary>
    public static async Task<long> InvoiceInStateAsync(HttpClient client, string tenant, string state, string? cost = null)
    {
        var id = await CreateInvoiceIdAsync(client, tenant);
        if (cost is not null)
        {
            await AddLineAsync(client, id, cost);
        }

        foreach (var step in PathTo(state))
        {
            await SetStateAsync(client, id, step);
        }

        return id;
    }
}
