using System.Text.Json.Nodes;
using Tally.Storage.Entities;

namespace Tally.Server.Features.ThreeScale;

/// <summary>
/// 3scale's JSON (reference §2.5, <c>porta:app/representers/*</c>): each object wrapped in its name
/// (<c>{"invoice":{…}}</c>), collections as <c>{"invoices":[{"invoice":{…}}…],"metadata":{…}}</c> (metadata on the paginated
/// invoice lists only), money and quantities as JSON numbers, links to related resources.
/// </summary>
public static class ThreeScaleJson
{
    public static string Invoice(InvoiceView view, string baseUrl) => new JsonObject { ["invoice"] = InvoiceObject(view, baseUrl) }.ToJsonString();

    public static string Invoices(IEnumerable<InvoiceView> views, Pagination page, string baseUrl) => new JsonObject
    {
        ["invoices"] = new JsonArray([.. views.Select(v => (JsonNode)new JsonObject { ["invoice"] = InvoiceObject(v, baseUrl) })]),
        ["metadata"] = new JsonObject
        {
            ["per_page"] = page.PerPage,
            ["total_entries"] = page.TotalEntries,
            ["total_pages"] = page.TotalPages,
            ["current_page"] = page.CurrentPage,
        },
    }.ToJsonString();

    public static string LineItem(InvoiceLineItemRow line, string currency, string baseUrl) =>
        new JsonObject { ["line_item"] = LineObject(line, currency, baseUrl) }.ToJsonString();

    public static string LineItems(IEnumerable<InvoiceLineItemRow> lines, string currency, string baseUrl) => new JsonObject
    {
        ["line_items"] = new JsonArray([.. lines.Select(l => (JsonNode)new JsonObject { ["line_item"] = LineObject(l, currency, baseUrl) })]),
    }.ToJsonString();

    public static string PaymentTransactions(IEnumerable<PaymentTransactionRow> transactions) => new JsonObject
    {
        ["payment_transactions"] = new JsonArray([.. transactions.Select(t => (JsonNode)new JsonObject { ["payment_transaction"] = TransactionObject(t) })]),
    }.ToJsonString();

    /// <summary><c>{"errors":{"base":["m"]}}</c>, or keyed by field.</summary>
    public static string Errors(string field, IEnumerable<string> messages) =>
        new JsonObject { ["errors"] = new JsonObject { [field] = new JsonArray([.. messages.Select(m => (JsonNode)JsonValue.Create(m))]) } }.ToJsonString();

    /// <summary><c>{"error":"m"}</c>.</summary>
    public static string Error(string message) => new JsonObject { ["error"] = message }.ToJsonString();

    /// <summary><c>{"status":"Not found"}</c> and the like.</summary>
    public static string Status(string status) => new JsonObject { ["status"] = status }.ToJsonString();

    private static JsonObject InvoiceObject(InvoiceView view, string baseUrl)
    {
        var i = view.Invoice;
        var rate = ThreeScaleViews.VatRate(i);
        var self = $"{baseUrl}/api/invoices/{i.Id}";
        return new JsonObject
        {
            ["id"] = i.Id,
            ["friendly_id"] = i.FriendlyId,
            ["created_at"] = ThreeScaleViews.XmlSchema(i.CreatedAt),
            ["updated_at"] = ThreeScaleViews.XmlSchema(i.UpdatedAt),
            ["state"] = i.State,
            ["paid_at"] = ThreeScaleViews.UtcTime(i.PaidAt),
            ["due_on"] = ThreeScaleViews.Date(i.DueAt, view.Zone),
            ["issued_on"] = ThreeScaleViews.Date(i.IssuedAt, view.Zone),
            ["currency"] = i.Currency,
            ["cost"] = ThreeScaleViews.Units(i.TotalMinor, i.Currency),
            ["vat_rate"] = rate > 0 ? rate : null,
            ["vat_amount"] = ThreeScaleViews.Units(i.VatMinor, i.Currency),
            ["cost_without_vat"] = ThreeScaleViews.Units(i.SubtotalMinor, i.Currency),
            ["period"] = new JsonObject
            {
                ["from"] = ThreeScaleViews.Date(i.PeriodStart, view.Zone),
                ["to"] = ThreeScaleViews.LastDate(i.PeriodEnd, view.Zone),
            },
            ["creation_type"] = i.CreationType,
            ["links"] = new JsonArray(
                Link("account", $"{baseUrl}/api/accounts/{i.TenantId}"),
                Link("self", self),
                Link("payment_transactions", $"{self}/payment_transactions"),
                Link("line_items", $"{self}/line_items")),
        };
    }

    private static JsonObject LineObject(InvoiceLineItemRow line, string currency, string baseUrl) => new()
    {
        ["id"] = line.Id,
        ["name"] = line.Name,
        ["description"] = line.Description,
        ["quantity"] = ThreeScaleViews.Quantity(line.Quantity),
        ["type"] = line.Type,
        ["metric_id"] = line.Metric,
        ["plan_id"] = line.Plan,
        ["contract_id"] = line.ContractId,
        ["contract_type"] = line.ContractType,
        ["cost"] = ThreeScaleViews.Units(line.AmountMinor, currency),
        ["created_at"] = ThreeScaleViews.XmlSchema(line.CreatedAt),
        ["updated_at"] = ThreeScaleViews.XmlSchema(line.CreatedAt),
        ["links"] = new JsonArray(Link("invoice", $"{baseUrl}/api/invoices/{line.InvoiceId}")),
    };

    private static JsonObject TransactionObject(PaymentTransactionRow t)
    {
        var response = new JsonObject();
        foreach (var (key, value) in ThreeScaleViews.GatewayResponse(t))
        {
            response[key] = value;
        }

        return new JsonObject
        {
            ["id"] = t.Id,
            ["created_at"] = ThreeScaleViews.XmlSchema(t.CreatedAt),
            ["updated_at"] = ThreeScaleViews.XmlSchema(t.UpdatedAt),
            ["invoice_id"] = t.InvoiceId,
            ["account_id"] = t.TenantId,
            ["reference"] = t.Reference,
            ["success"] = t.Success,
            ["amount"] = ThreeScaleViews.Units(t.AmountMinor, t.Currency),
            ["currency"] = t.Currency,
            ["action"] = t.Action,
            ["message"] = t.Message,
            ["gateway_response"] = response,
            ["test"] = t.Gateway == PaymentMethods.TestPaymentGateway.GatewayName,
        };
    }

    private static JsonObject Link(string rel, string href) => new() { ["rel"] = rel, ["href"] = href };
}
