using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Tally.Server.Tests.Infrastructure;
using static Tally.Server.Tests.ThreeScale.ThreeScaleTestKit;

namespace Tally.Server.Tests.ThreeScale;

/// <summary>3scale Billing API: invoice create, read, list, update and the PDF route, in XML and JSON.</summary>
public abstract class ThreeScaleInvoiceApiTests(TallyFixture fx)
{
    [Fact]
    public async Task Create_answers_201_with_a_manual_open_invoice_in_3scales_element_order()
    {
        var tenant = await CreateTenantAsync(fx, displayName: "Zoidberg Ltd", address: new() { ["line1"] = "1 Main St", ["line2"] = "Floor 2", ["city"] = "Barcelona", ["zip"] = "08001", ["country"] = "Spain" });
        using var client = await BillingClientAsync(fx);

        var response = await client.PostAsync("/api/invoices.xml", Form(("account_id", tenant)));
        var invoice = await XmlAsync(response, HttpStatusCode.Created);

        Assert.Equal("invoice", invoice.Name.LocalName);
        Assert.Equal("1.0", invoice.Attribute("version")?.Value);
        Assert.Equal(InvoiceElements, Names(invoice));
        Assert.Matches(@"^2026-11-\d{8}$", Value(invoice, "friendly_id"));
        Assert.Equal("manual", Value(invoice, "creation_type"));
        Assert.Equal("open", Value(invoice, "state"));
        Assert.Equal("", Value(invoice, "paid_at"));
        Assert.Equal("", Value(invoice, "issued_on"));
        Assert.Equal("USD", Value(invoice, "currency"));
        Assert.Equal("0.0", Value(invoice, "cost"));
        Assert.Equal("0.0", Value(invoice, "cost_without_vat"));
        Assert.Equal(["from", "to"], Names(invoice.Element("period")!));
        Assert.Equal("2026-11-01", Value(invoice.Element("period")!, "from"));
        Assert.Equal("2026-11-30", Value(invoice.Element("period")!, "to"));
        Assert.Equal(PartyElements, Names(invoice.Element("provider")!));
        var buyer = invoice.Element("buyer")!;
        Assert.Equal(PartyElements, Names(buyer));
        Assert.Equal(tenant, Value(buyer, "id"));
        Assert.Equal("Zoidberg Ltd", Value(buyer, "org_name"));
        Assert.Equal("1 Main St\nFloor 2", Value(buyer, "address"));
        Assert.Equal("Barcelona", Value(buyer, "city"));
        Assert.Equal("08001", Value(buyer, "zip"));
        Assert.Empty(invoice.Element("line-items")!.Elements());
        Assert.Equal("0", Value(invoice, "payment_transactions_count"));
    }

    [Fact]
    public async Task Create_in_JSON_answers_the_wrapped_invoice_with_numbers_and_links()
    {
        var tenant = await CreateTenantAsync(fx);
        using var client = await BillingClientAsync(fx);

        var body = await JsonAsync(await client.PostAsync("/api/invoices.json", Form(("account_id", tenant), ("period", "2026-12"))), HttpStatusCode.Created);

        var invoice = body["invoice"]!.AsObject();
        Assert.Equal(
            ["id", "friendly_id", "created_at", "updated_at", "state", "paid_at", "due_on", "issued_on", "currency", "cost", "vat_rate", "vat_amount",
             "cost_without_vat", "period", "creation_type", "links"],
            invoice.Select(kv => kv.Key));
        Assert.Equal(JsonValueKindNumber, invoice["id"]!.GetValueKind());
        Assert.Equal(JsonValueKindNumber, invoice["cost"]!.GetValueKind());
        Assert.Equal(0m, (decimal)invoice["cost"]!);
        Assert.Null(invoice["vat_rate"]);
        Assert.Equal("open", (string?)invoice["state"]);
        Assert.Equal("2026-12-01", (string?)invoice["period"]!["from"]);
        Assert.Equal("2026-12-31", (string?)invoice["period"]!["to"]);
        Assert.Matches(@"^2026-12-\d{8}$", (string?)invoice["friendly_id"]);
        var links = invoice["links"]!.AsArray().Select(l => (string)l!["rel"]!).ToArray();
        Assert.Equal(["account", "self", "payment_transactions", "line_items"], links);
        Assert.EndsWith($"/api/invoices/{(long)invoice["id"]!}", (string?)invoice["links"]![1]!["href"], StringComparison.Ordinal);
    }

    private const System.Text.Json.JsonValueKind JsonValueKindNumber = System.Text.Json.JsonValueKind.Number;

    [Fact]
    public async Task Money_is_printed_with_at_least_one_decimal_and_cost_is_subtotal_plus_VAT_exactly()
    {
        var tenant = await CreateTenantAsync(fx, vatRate: "10");
        using var client = await BillingClientAsync(fx);
        var id = await CreateInvoiceIdAsync(client, tenant);

        var line = await AddLineAsync(client, id, "20");
        await AddLineAsync(client, id, "0.5");
        var invoice = await GetInvoiceAsync(client, id);

        Assert.Equal(LineElements, Names(line));
        Assert.Equal("20.0", Value(line, "cost"));
        Assert.Equal(InvoiceElementsWithVat, Names(invoice));
        Assert.Equal("10.0", Value(invoice, "vat_rate"));
        Assert.Equal("20.5", Value(invoice, "cost_without_vat"));
        Assert.Equal("2.05", Value(invoice, "vat_amount"));
        Assert.Equal("22.55", Value(invoice, "cost"));
        Assert.Equal(2, invoice.Element("line-items")!.Elements("line-item").Count());

        var json = (await JsonAsync(await client.GetAsync($"/api/invoices/{id}.json")))["invoice"]!;
        Assert.Equal(22.55m, (decimal)json["cost"]!);
        Assert.Equal(10m, (decimal)json["vat_rate"]!);
        Assert.Equal(2.05m, (decimal)json["vat_amount"]!);
        Assert.Equal(20.5m, (decimal)json["cost_without_vat"]!);
    }

    [Fact]
    public async Task Dates_are_calendar_dates_in_the_tenants_zone_and_issue_sets_issued_and_due_dates()
    {
        // 2026-11-24 12:00 UTC is 2026-11-25 02:00 in Kiritimati (UTC+14).
        var tenant = await CreateTenantAsync(fx, timeZone: "Pacific/Kiritimati");
        using var client = await BillingClientAsync(fx);
        var id = await CreateInvoiceIdAsync(client, tenant, "2026-12");

        var issued = await SetStateAsync(client, id, "pending");

        Assert.Equal("2026-12-01", Value(issued.Element("period")!, "from"));
        Assert.Equal("2026-12-31", Value(issued.Element("period")!, "to"));
        Assert.Equal("2026-11-25", Value(issued, "issued_on"));
        Assert.Equal("2026-11-27", Value(issued, "due_on"));

        var paid = await SetStateAsync(client, id, "paid");
        Assert.Equal("2026-11-24 12:00:00 UTC", Value(paid, "paid_at"));
    }

    [Fact]
    public async Task Lists_paginate_filter_and_report_pagination_in_XML_attributes_and_JSON_metadata()
    {
        var tenant = await CreateTenantAsync(fx);
        using var client = await BillingClientAsync(fx);
        var first = await CreateInvoiceIdAsync(client, tenant);
        var second = await CreateInvoiceIdAsync(client, tenant);
        var third = await CreateInvoiceIdAsync(client, tenant, "2027-01");
        await SetStateAsync(client, second, "finalized");

        var page2 = await XmlAsync(await client.GetAsync($"/api/accounts/{tenant}/invoices.xml?per_page=2&page=2"));
        Assert.Equal("invoices", page2.Name.LocalName);
        Assert.Equal(["pagination", "invoice"], Names(page2));
        var pagination = page2.Element("pagination")!;
        Assert.Equal("2", pagination.Attribute("total_pages")?.Value);
        Assert.Equal("2", pagination.Attribute("current_page")?.Value);
        Assert.Equal("2", pagination.Attribute("per_page")?.Value);
        Assert.Equal("3", pagination.Attribute("total_entries")?.Value);
        Assert.Equal(third.ToString(CultureInfo.InvariantCulture), Value(page2.Element("invoice")!, "id"));

        var page1 = await JsonAsync(await client.GetAsync($"/api/accounts/{tenant}/invoices.json?per_page=2"));
        Assert.Equal([first, second], page1["invoices"]!.AsArray().Select(i => (long)i!["invoice"]!["id"]!));
        Assert.Equal(2, (int)page1["metadata"]!["per_page"]!);
        Assert.Equal(3, (int)page1["metadata"]!["total_entries"]!);
        Assert.Equal(2, (int)page1["metadata"]!["total_pages"]!);
        Assert.Equal(1, (int)page1["metadata"]!["current_page"]!);

        var finalized = await XmlAsync(await client.GetAsync($"/api/accounts/{tenant}/invoices.xml?state=finalized"));
        Assert.Equal([second.ToString(CultureInfo.InvariantCulture)], finalized.Elements("invoice").Select(i => Value(i, "id")));
        var january = await XmlAsync(await client.GetAsync($"/api/accounts/{tenant}/invoices.xml?month=2027-01"));
        Assert.Equal([third.ToString(CultureInfo.InvariantCulture)], january.Elements("invoice").Select(i => Value(i, "id")));

        var all = await JsonAsync(await client.GetAsync("/api/invoices.json?per_page=500"));
        var ids = all["invoices"]!.AsArray().Select(i => (long)i!["invoice"]!["id"]!).ToList();
        Assert.Contains(first, ids);
        Assert.Contains(third, ids);
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(500, (int)all["metadata"]!["per_page"]!);
    }

    [Theory]
    [InlineData("state=bogus", "state")]
    [InlineData("month=2026-13", "month")]
    [InlineData("month=abc", "month")]
    [InlineData("page=0", "page")]
    [InlineData("page=x", "page")]
    [InlineData("page=99999999999", "page")]
    [InlineData("per_page=0", "per_page")]
    [InlineData("per_page=501", "per_page")]
    [InlineData("per_page=-3", "per_page")]
    public async Task A_bad_list_filter_is_a_422_naming_the_field(string query, string field)
    {
        using var client = await BillingClientAsync(fx);

        var json = await JsonAsync(await client.GetAsync($"/api/invoices.json?{query}"), HttpStatusCode.UnprocessableEntity);
        var xml = await XmlAsync(await client.GetAsync($"/api/invoices.xml?{query}"), HttpStatusCode.UnprocessableEntity);

        Assert.Equal([field], json["errors"]!.AsObject().Select(kv => kv.Key));
        Assert.Contains(field, (string?)json["errors"]![field]![0], StringComparison.Ordinal);
        Assert.Equal("errors", xml.Name.LocalName);
        Assert.Contains(field, Value(xml, "error"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_without_account_id_is_400_text_and_an_unknown_tenant_is_404()
    {
        using var client = await BillingClientAsync(fx);

        var missing = await client.PostAsync("/api/invoices.xml", Form(("period", "2026-11")));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal("text/plain", missing.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Required parameter missing: account_id", await missing.Content.ReadAsStringAsync());

        var unknownXml = await client.PostAsync("/api/invoices.xml", Form(("account_id", TallyFixture.NewTenantName())));
        Assert.Equal(HttpStatusCode.NotFound, unknownXml.StatusCode);
        Assert.Equal("", await unknownXml.Content.ReadAsStringAsync());
        var unknownJson = await JsonAsync(await client.PostAsync("/api/invoices.json", Form(("account_id", TallyFixture.NewTenantName()))), HttpStatusCode.NotFound);
        Assert.Equal("""{"status":"Not found"}""", unknownJson.ToJsonString());
    }

    [Theory]
    [InlineData("2026-5")]
    [InlineData("abcd")]
    [InlineData("0007")]
    [InlineData("2026-11xxx")]
    [InlineData("2026-13")]
    [InlineData("99999-01")]
    public async Task A_malformed_period_is_a_422_with_3scales_message(string period)
    {
        var tenant = await CreateTenantAsync(fx);
        using var client = await BillingClientAsync(fx);

        var xml = await XmlAsync(await client.PostAsync("/api/invoices.xml", Form(("account_id", tenant), ("period", period))), HttpStatusCode.UnprocessableEntity);
        var json = await JsonAsync(await client.PostAsync("/api/invoices.json", Form(("account_id", tenant), ("period", period))), HttpStatusCode.UnprocessableEntity);

        Assert.Equal("Billing period format should be YYYY-MM", Value(xml, "error"));
        Assert.Equal("Billing period format should be YYYY-MM", (string?)json["errors"]!["period"]![0]);
        Assert.Empty((await XmlAsync(await client.GetAsync($"/api/accounts/{tenant}/invoices.xml"))).Elements("invoice"));
    }

    [Theory]
    [InlineData("2026-10", false)]
    [InlineData("1999-01", false)]
    [InlineData("2027-12", false)]
    [InlineData("2026-11", true)]
    [InlineData("2027-11", true)]
    public async Task The_period_must_lie_between_the_tenants_creation_month_and_12_months_ahead(string period, bool accepted)
    {
        var tenant = await CreateTenantAsync(fx);
        using var client = await BillingClientAsync(fx);

        var response = await client.PostAsync("/api/invoices.json", Form(("account_id", tenant), ("period", period)));

        if (accepted)
        {
            var invoice = (await JsonAsync(response, HttpStatusCode.Created))["invoice"]!;
            Assert.StartsWith(period + "-", (string?)invoice["friendly_id"], StringComparison.Ordinal);
        }
        else
        {
            var errors = await JsonAsync(response, HttpStatusCode.UnprocessableEntity);
            Assert.Contains("between", (string?)errors["errors"]!["period"]![0], StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Read_by_id_and_by_account_and_another_accounts_invoice_or_a_bad_id_is_404()
    {
        var owner = await CreateTenantAsync(fx);
        var other = await CreateTenantAsync(fx);
        using var client = await BillingClientAsync(fx);
        var id = await CreateInvoiceIdAsync(client, owner);

        Assert.Equal(id.ToString(CultureInfo.InvariantCulture), Value(await XmlAsync(await client.GetAsync($"/api/accounts/{owner}/invoices/{id}.xml")), "id"));
        Assert.Equal(id, (long)(await JsonAsync(await client.GetAsync($"/api/accounts/{owner}/invoices/{id}.json")))["invoice"]!["id"]!);

        foreach (var path in new[] { $"/api/accounts/{other}/invoices/{id}", $"/api/accounts/{TallyFixture.NewTenantName()}/invoices/{id}", "/api/invoices/999999999", "/api/invoices/abc", "/api/invoices/0" })
        {
            var xml = await client.GetAsync(path + ".xml");
            Assert.True(xml.StatusCode == HttpStatusCode.NotFound, $"{path}.xml: {(int)xml.StatusCode}");
            Assert.Equal("", await xml.Content.ReadAsStringAsync());
            var json = await JsonAsync(await client.GetAsync(path + ".json"), HttpStatusCode.NotFound);
            Assert.Equal("Not found", (string?)json["status"]);
        }

        Assert.Empty((await XmlAsync(await client.GetAsync($"/api/accounts/{other}/invoices.xml"))).Elements("invoice"));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/accounts/{TallyFixture.NewTenantName()}/invoices.xml")).StatusCode);
    }

    [Theory]
    [InlineData("/api/invoices/{id}.html")]
    [InlineData("/api/invoices.yaml")]
    [InlineData("/api/invoices/{id}/line_items.pdf")]
    [InlineData("/api/accounts/{tenant}/invoices/{id}.pdf")]
    public async Task An_unknown_format_is_406(string path)
    {
        var tenant = await CreateTenantAsync(fx);
        using var client = await BillingClientAsync(fx);
        var id = await CreateInvoiceIdAsync(client, tenant);

        var response = await client.GetAsync(path.Replace("{id}", id.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal).Replace("{tenant}", tenant, StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Update_changes_period_and_friendly_id_and_raising_the_suffix_raises_the_counter()
    {
        var tenant = await CreateTenantAsync(fx);
        using var client = await BillingClientAsync(fx);
        var id = await CreateInvoiceIdAsync(client, tenant, "2027-06");

        var moved = await XmlAsync(await client.PutAsync($"/api/invoices/{id}.xml", Form(("period", "2027-05"))));
        Assert.Equal("2027-05-01", Value(moved.Element("period")!, "from"));
        Assert.Equal("2027-05-31", Value(moved.Element("period")!, "to"));
        Assert.Single((await XmlAsync(await client.GetAsync($"/api/accounts/{tenant}/invoices.xml?month=2027-05"))).Elements("invoice"));

        var renamed = await JsonAsync(await client.PutAsync($"/api/invoices/{id}.json", Form(("friendly_id", "2027-06-00000500"))));
        Assert.Equal("2027-06-00000500", (string?)renamed["invoice"]!["friendly_id"]);
        Assert.Equal("2027-06-00000501", Value(await CreateInvoiceAsync(client, tenant, "2027-06"), "friendly_id"));

        var yearly = await XmlAsync(await client.PutAsync($"/api/invoices/{id}.xml", Form(("invoice[friendly_id]", "2027-00000042"))));
        Assert.Equal("2027-00000042", Value(yearly, "friendly_id"));
    }

    [Fact]
    public async Task Parameters_may_come_as_a_JSON_body_flat_or_wrapped_and_a_blank_period_on_update_is_refused()
    {
        var tenant = await CreateTenantAsync(fx);
        using var client = await BillingClientAsync(fx);

        var created = await JsonAsync(await client.PostAsync("/api/invoices.json", TallyFixture.Json($$"""{"account_id":"{{tenant}}","period":"2027-02"}""")), HttpStatusCode.Created);
        var id = (long)created["invoice"]!["id"]!;
        Assert.Equal("2027-02-01", (string?)created["invoice"]!["period"]!["from"]);

        var moved = await JsonAsync(await client.PutAsync($"/api/invoices/{id}.json", TallyFixture.Json("""{"invoice":{"period":"2027-04"}}""")));
        Assert.Equal("2027-04-01", (string?)moved["invoice"]!["period"]!["from"]);

        var blank = await JsonAsync(await client.PutAsync($"/api/invoices/{id}.json", Form(("period", " "))), HttpStatusCode.UnprocessableEntity);
        Assert.Equal("Billing period format should be YYYY-MM", (string?)blank["errors"]!["period"]![0]);
        Assert.Equal("2027-04-01", Value((await GetInvoiceAsync(client, id)).Element("period")!, "from"));
    }

    [Theory]
    [InlineData("2027-6-00000001")]
    [InlineData("2027-06-0000001")]
    [InlineData("abc")]
    [InlineData("2027-06-00000001\n")]
    [InlineData("")]
    public async Task A_malformed_friendly_id_is_a_422_with_3scales_message(string friendlyId)
    {
        var tenant = await CreateTenantAsync(fx);
        using var client = await BillingClientAsync(fx);
        var id = await CreateInvoiceIdAsync(client, tenant);

        var xml = await XmlAsync(await client.PutAsync($"/api/invoices/{id}.xml", Form(("friendly_id", friendlyId))), HttpStatusCode.UnprocessableEntity);
        var json = await JsonAsync(await client.PutAsync($"/api/invoices/{id}.json", Form(("friendly_id", friendlyId))), HttpStatusCode.UnprocessableEntity);

        Assert.Equal("format should be YYYY-MM-XXXXXXXX or YYYY-XXXXXXXX", Value(xml, "error"));
        Assert.Equal("format should be YYYY-MM-XXXXXXXX or YYYY-XXXXXXXX", (string?)json["errors"]!["friendly_id"]![0]);
    }

    [Fact]
    public async Task A_friendly_id_used_by_another_invoice_is_refused_and_an_issued_invoice_cannot_be_updated()
    {
        var tenant = await CreateTenantAsync(fx);
        var other = await CreateTenantAsync(fx);
        using var client = await BillingClientAsync(fx);
        var id = await CreateInvoiceIdAsync(client, tenant);
        var taken = Value(await CreateInvoiceAsync(client, other), "friendly_id");

        var json = await JsonAsync(await client.PutAsync($"/api/invoices/{id}.json", Form(("friendly_id", taken))), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("already been taken", (string?)json["errors"]!["friendly_id"]![0], StringComparison.Ordinal);
        Assert.NotEqual(taken, Value(await GetInvoiceAsync(client, id), "friendly_id"));

        await SetStateAsync(client, id, "pending");
        var refused = await XmlAsync(await client.PutAsync($"/api/invoices/{id}.xml", Form(("period", "2026-12"))), HttpStatusCode.UnprocessableEntity);
        Assert.Equal("Invalid invoice state", Value(refused, "error"));
        Assert.Equal("2026-11-01", Value((await GetInvoiceAsync(client, id)).Element("period")!, "from"));
        Assert.Equal(HttpStatusCode.NotFound, (await client.PutAsync("/api/invoices/999999999.xml", Form(("period", "2026-12")))).StatusCode);
    }

    [Fact]
    public async Task Sixteen_concurrent_creates_get_unique_gap_free_friendly_ids()
    {
        var tenants = new[] { await CreateTenantAsync(fx), await CreateTenantAsync(fx) };
        using var client = await BillingClientAsync(fx);

        var created = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => CreateInvoiceAsync(client, tenants[i % 2], "2027-03")));

        var ids = created.Select(c => Value(c, "friendly_id")).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(Enumerable.Range(1, 16).Select(n => $"2027-03-{n:D8}"), ids);
        Assert.Equal(16, created.Select(c => Value(c, "id")).Distinct().Count());
    }

    [Fact]
    public async Task The_PDF_of_an_open_invoice_is_a_409_saying_it_is_not_issued()
    {
        var tenant = await CreateTenantAsync(fx);
        using var client = await BillingClientAsync(fx);
        var id = await CreateInvoiceIdAsync(client, tenant);

        var refused = await XmlAsync(await client.GetAsync($"/api/invoices/{id}.pdf"), HttpStatusCode.Conflict);

        Assert.Equal("errors", refused.Name.LocalName);
        Assert.Equal($"Invoice {id} is open: its PDF exists once it is issued (state pending or later)", Value(refused, "error"));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/invoices/999999999.pdf")).StatusCode);
    }

    // PENDING InvoicePdfs: InvoicePdfs.EnsureAsync is written by another engineer and throws NotImplementedException until
    // then. Remove the Skip once it exists; the test then checks Tally's 200 application/pdf answer (3scale redirects).
    [Fact]
    public async Task The_PDF_of_an_issued_invoice_is_answered_as_application_pdf()
    {
        var tenant = await CreateTenantAsync(fx);
        using var client = await BillingClientAsync(fx);
        var id = await InvoiceInStateAsync(client, tenant, "pending", cost: "12.5");

        var response = await client.GetAsync($"/api/invoices/{id}.pdf");
        var bytes = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/pdf", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("%PDF-"u8.ToArray(), bytes.Take(5));
    }
}

public sealed class ThreeScaleInvoiceApiTestsOnSqlite(SqliteFixture fx) : ThreeScaleInvoiceApiTests(fx), IClassFixture<SqliteFixture>;

public sealed class ThreeScaleInvoiceApiTestsOnPostgres(PostgresFixture fx) : ThreeScaleInvoiceApiTests(fx), IClassFixture<PostgresFixture>;
