using System.Globalization;
using System.Text;
using Tally.Server.Features.Invoices;
using Tally.Storage.Entities;

namespace Tally.Server.Features.ThreeScale;

/// <summary>
/// 3scale's XML (reference §2, <c>porta:app/lib/finance/builder/xml_markup.rb</c>): the <c>&lt;?xml?&gt;</c> prolog, no
/// indentation, exactly 3scale's element names and order (hyphenated <c>line-items</c>/<c>line-item</c>, the rest
/// snake_case), a null value as an empty element written <c>&lt;x&gt;&lt;/x&gt;</c>.
/// </summary>
public static class ThreeScaleXml
{
    public const string Prolog = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

    /// <summary>One invoice: <c>&lt;invoice version="1.0"&gt;…&lt;/invoice&gt;</c> with the prolog.</summary>
    public static string Invoice(InvoiceView view) => Document(x => WriteInvoice(x, view));

    /// <summary><c>&lt;invoices version="1.0"&gt;&lt;pagination …/&gt;&lt;invoice&gt;…&lt;/invoices&gt;</c>.</summary>
    public static string Invoices(IEnumerable<InvoiceView> views, Pagination page) => Document(x =>
    {
        x.Append("<invoices version=\"1.0\"><pagination")
            .Append(Attribute("total_pages", page.TotalPages)).Append(Attribute("current_page", page.CurrentPage))
            .Append(Attribute("per_page", page.PerPage)).Append(Attribute("total_entries", page.TotalEntries)).Append("/>");
        foreach (var view in views)
        {
            WriteInvoice(x, view);
        }

        x.Append("</invoices>");
    });

    /// <summary>A standalone line item: root <c>&lt;line-item&gt;</c>.</summary>
    public static string LineItem(InvoiceLineItemRow line, string currency) => Document(x => WriteLine(x, line, currency));

    /// <summary>An invoice's lines: root <c>&lt;line_items&gt;</c> (underscore, as 3scale) of <c>&lt;line-item&gt;</c>.</summary>
    public static string LineItems(IEnumerable<InvoiceLineItemRow> lines, string currency) => Document(x =>
    {
        x.Append("<line_items>");
        foreach (var line in lines)
        {
            WriteLine(x, line, currency);
        }

        x.Append("</line_items>");
    });

    /// <summary><c>&lt;payment_transactions&gt;&lt;payment_transaction&gt;…</c> (reference §2.3).</summary>
    public static string PaymentTransactions(IEnumerable<PaymentTransactionRow> transactions) => Document(x =>
    {
        x.Append("<payment_transactions>");
        foreach (var t in transactions)
        {
            x.Append("<payment_transaction>");
            Element(x, "id", Number(t.Id));
            Element(x, "created_at", ThreeScaleViews.XmlSchema(t.CreatedAt));
            Element(x, "updated_at", ThreeScaleViews.XmlSchema(t.UpdatedAt));
            Element(x, "invoice_id", Number(t.InvoiceId));
            Element(x, "account_id", t.TenantId);
            Element(x, "reference", t.Reference);
            Element(x, "success", t.Success ? "true" : "false");
            Element(x, "amount", ThreeScaleViews.Money(t.AmountMinor, t.Currency));
            Element(x, "currency", t.Currency);
            Element(x, "action", t.Action);
            Element(x, "message", t.Message);
            x.Append("<gateway_response>");
            foreach (var (key, value) in ThreeScaleViews.GatewayResponse(t))
            {
                Element(x, SafeName(key), value);
            }

            x.Append("</gateway_response>");
            Element(x, "test", t.Gateway == PaymentMethods.TestPaymentGateway.GatewayName ? "true" : "false");
            x.Append("</payment_transaction>");
        }

        x.Append("</payment_transactions>");
    });

    /// <summary><c>&lt;errors&gt;&lt;error&gt;m&lt;/error&gt;…&lt;/errors&gt;</c>.</summary>
    public static string Errors(IEnumerable<string> messages) => Document(x =>
    {
        x.Append("<errors>");
        foreach (var message in messages)
        {
            Element(x, "error", message);
        }

        x.Append("</errors>");
    });

    /// <summary><c>&lt;error&gt;m&lt;/error&gt;</c> (authentication and permission refusals).</summary>
    public static string Error(string message) => Document(x => Element(x, "error", message));

    private static void WriteInvoice(StringBuilder x, InvoiceView view)
    {
        var i = view.Invoice;
        x.Append("<invoice version=\"1.0\">");
        Element(x, "id", Number(i.Id));
        Element(x, "friendly_id", i.FriendlyId);
        Element(x, "creation_type", i.CreationType);
        Element(x, "state", i.State);
        Element(x, "paid_at", ThreeScaleViews.UtcTime(i.PaidAt));
        Element(x, "due_on", ThreeScaleViews.Date(i.DueAt, view.Zone));
        Element(x, "issued_on", ThreeScaleViews.Date(i.IssuedAt, view.Zone));
        Element(x, "currency", i.Currency);
        Element(x, "cost", ThreeScaleViews.Money(i.TotalMinor, i.Currency));
        var rate = ThreeScaleViews.VatRate(i);
        if (rate > 0)
        {
            Element(x, "vat_rate", ThreeScaleViews.Number(rate));
            Element(x, "vat_amount", ThreeScaleViews.Money(i.VatMinor, i.Currency));
        }

        Element(x, "cost_without_vat", ThreeScaleViews.Money(i.SubtotalMinor, i.Currency));
        x.Append("<period>");
        Element(x, "from", ThreeScaleViews.Date(i.PeriodStart, view.Zone));
        Element(x, "to", ThreeScaleViews.LastDate(i.PeriodEnd, view.Zone));
        x.Append("</period>");
        Party(x, "provider", "", view.Provider);
        Party(x, "buyer", i.TenantId, view.Buyer);
        x.Append("<line-items>");
        foreach (var line in view.Lines)
        {
            WriteLine(x, line, i.Currency);
        }

        x.Append("</line-items>");
        Element(x, "payment_transactions_count", Number(view.TransactionCount));
        x.Append("</invoice>");
    }

    private static void Party(StringBuilder x, string name, string id, InvoicePartyBlock block)
    {
        x.Append('<').Append(name).Append('>');
        Element(x, "id", id);
        Element(x, "org_name", block.Name);
        Element(x, "address", block.Address);
        Element(x, "city", block.City);
        Element(x, "state", block.State);
        Element(x, "country", block.Country);
        Element(x, "phone", block.Phone);
        Element(x, "zip", block.Zip);
        x.Append("</").Append(name).Append('>');
    }

    private static void WriteLine(StringBuilder x, InvoiceLineItemRow line, string currency)
    {
        x.Append("<line-item>");
        Element(x, "id", Number(line.Id));
        Element(x, "name", line.Name);
        Element(x, "description", line.Description);
        Element(x, "quantity", line.Quantity);
        Element(x, "type", line.Type);
        Element(x, "metric_id", line.Metric);
        Element(x, "plan_id", line.Plan);
        Element(x, "contract_id", line.ContractId);
        Element(x, "contract_type", line.ContractType);
        Element(x, "cost", ThreeScaleViews.Money(line.AmountMinor, currency));
        x.Append("</line-item>");
    }

    private static string Document(Action<StringBuilder> write)
    {
        var x = new StringBuilder(Prolog, 1024);
        write(x);
        return x.ToString();
    }

    private static void Element(StringBuilder x, string name, string? value) =>
        x.Append('<').Append(name).Append('>').Append(Escape(value ?? "", attribute: false)).Append("</").Append(name).Append('>');

    private static string Attribute(string name, int value) => $" {name}=\"{Number(value)}\"";

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Escapes markup characters and drops characters XML 1.0 cannot carry (control characters other than tab, CR, LF).</summary>
    internal static string Escape(string text, bool attribute)
    {
        var b = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            switch (c)
            {
                case '&': b.Append("&amp;"); break;
                case '<': b.Append("&lt;"); break;
                case '>': b.Append("&gt;"); break;
                case '"' when attribute: b.Append("&quot;"); break;
                case '\t' or '\n' or '\r': b.Append(c); break;
                case < ' ' or '\uFFFE' or '\uFFFF': break;
                default: b.Append(c); break;
            }
        }

        return b.ToString();
    }

    /// <summary>A gateway response key as an element name: letters, digits, '_' and '-' kept, anything else '_'.</summary>
    private static string SafeName(string key)
    {
        var name = new string([.. key.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_')]);
        return name.Length == 0 || !char.IsAsciiLetter(name[0]) && name[0] != '_' ? "_" + name : name;
    }
}

/// <summary>3scale's pagination: will_paginate's figures (total_pages = ⌈entries / per_page⌉, 0 when empty).</summary>
public sealed record Pagination(int CurrentPage, int PerPage, int TotalEntries)
{
    public int TotalPages => (TotalEntries + PerPage - 1) / PerPage;
}
