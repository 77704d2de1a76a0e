using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Tally.Server.Tests.Infrastructure;
using Tally.Storage;
using static Tally.Server.Tests.Catalog.CatalogTestKit;
using static Tally.Server.Tests.ThreeScale.ThreeScaleTestKit;

namespace Tally.Server.Tests.ThreeScale;

/// <summary>3scale Billing API: the state endpoint (every row of reference §3), line items and their editable rule, charges and payment transactions.</summary>
public abstract class ThreeScaleStateAndLineItemTests(TallyFixture fx)
{
    private static readonly string[] States = ["open", "finalized", "pending", "unpaid", "paid", "failed", "cancelled"];

    /// <summary>Reference §3, "Via PUT /api/invoices/{id}/state.xml".</summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["open"] = ["finalized", "pending", "cancelled"],
        ["finalized"] = ["pending", "cancelled"],
        ["pending"] = ["unpaid", "paid", "cancelled"],
        ["unpaid"] = ["paid", "failed", "cancelled"],
        ["failed"] = ["paid", "cancelled"],
        ["paid"] = [],
        ["cancelled"] = [],
    };

    public static TheoryData<string> FromStates => [.. States];

    [Theory]
    [MemberData(nameof(FromStates))]
    public async Task The_state_endpoint_allows_exactly_3scales_transitions(string from)
    {
        var tenant = await CreateTenantAsync(fx);
        using var client = await BillingClientAsync(fx);

        foreach (var target in States.Append("cancel").Append("wrong_state").Append("refunded"))
        {
            var id = await InvoiceInStateAsync(client, tenant, from);
            var response = await client.PutAsync($"/api/invoices/{id}/state.json", Form(("state", target)));
            var expected = target == "cancel" ? "cancelled" : target;
            if (Allowed[from].Contains(expected))
            {
                var body = await JsonAsync(response);
                Assert.True(expected == (string?)body["invoice"]!["state"], $"{from} → {target}");
            }
            else
            {
                var body = await JsonAsync(response, HttpStatusCode.UnprocessableEntity);
                Assert.True($$$"""{"errors":{"base":["Cannot transition to {{{target}}}"]}}""" == body.ToJsonString(), $"{from} → {target}: {body.ToJsonString()}");
                Assert.Equal(from, Value(await GetInvoiceAsync(client, id), "state"));
            }
        }
    }

    [Fact]
    public async Task A_refused_transition_in_XML_is_an_errors_document_and_a_missing_state_is_refused_too()
    {
        var tenant = await CreateTenantAsync(fx);
        using var client = await BillingClientAsync(fx);
        var id = await CreateInvoiceIdAsync(client, tenant);

        var refused = await XmlAsync(await client.PutAsync($"/api/invoices/{id}/state.xml", Form(("state", "paid"))), HttpStatusCode.UnprocessableEntity);
        var missing = await XmlAsync(await client.PutAsync($"/api/invoices/{id}/state.xml", Form()), HttpStatusCode.UnprocessableEntity);

        Assert.Equal("errors", refused.Name.LocalName);
        Assert.Equal(["Cannot transition to paid"], refused.Elements("error").Select(e => e.Value));
        Assert.Equal("Cannot transition to ", Value(missing, "error"));
        Assert.Equal(HttpStatusCode.NotFound, (await client.PutAsync("/api/invoices/999999999/state.xml", Form(("state", "paid")))).StatusCode);
    }

    [Fact]
    public async Task Party_blocks_follow_the_tenant_until_issue_and_are_frozen_after()
    {
        var tenant = await CreateTenantAsync(fx, displayName: "Before Inc");
        using var client = await BillingClientAsync(fx);
        using var op = fx.Operator();
        var open = await CreateInvoiceIdAsync(client, tenant);
        var issued = await InvoiceInStateAsync(client, tenant, "pending", cost: "5");

        (await op.PatchAsJsonAsync($"/api/admin/tenants/{tenant}", new { display_name = "After Inc" })).EnsureSuccessStatusCode();

        Assert.Equal("After Inc", Value((await GetInvoiceAsync(client, open)).Element("buyer")!, "org_name"));
        Assert.Equal("Before Inc", Value((await GetInvoiceAsync(client, issued)).Element("buyer")!, "org_name"));
        Assert.Equal("Tally", Value((await GetInvoiceAsync(client, issued)).Element("provider")!, "org_name"));
    }

    [Theory]
    [InlineData("open", true)]
    [InlineData("finalized", true)]
    [InlineData("pending", false)]
    [InlineData("unpaid", false)]
    [InlineData("paid", false)]
    [InlineData("failed", false)]
    [InlineData("cancelled", false)]
    public async Task Lines_can_be_added_and_deleted_only_on_open_and_finalized_invoices(string state, bool editable)
    {
        var tenant = await CreateTenantAsync(fx);
        using var client = await BillingClientAsync(fx);
        var id = await CreateInvoiceIdAsync(client, tenant);
        var line = Value(await AddLineAsync(client, id, "7.25"), "id");
        foreach (var step in PathTo(state))
        {
            await SetStateAsync(client, id, step);
        }

        var add = await client.PostAsync($"/api/invoices/{id}/line_items.json", Form(("name", "Extra"), ("cost", "1")));
        var delete = await client.DeleteAsync($"/api/invoices/{id}/line_items/{line}.xml");

        if (editable)
        {
            Assert.Equal("Extra", (string?)(await JsonAsync(add, HttpStatusCode.Created))["line_item"]!["name"]);
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
            Assert.Equal("", await delete.Content.ReadAsStringAsync());
            var invoice = await GetInvoiceAsync(client, id);
            Assert.Equal("1.0", Value(invoice, "cost"));
            Assert.Equal(["Extra"], invoice.Element("line-items")!.Elements().Select(l => Value(l, "name")));
        }
        else
        {
            Assert.Equal("""{"errors":{"base":["Invalid invoice state"]}}""", (await JsonAsync(add, HttpStatusCode.UnprocessableEntity)).ToJsonString());
            var refused = await XmlAsync(delete, HttpStatusCode.Forbidden);
            Assert.Equal(["Invalid invoice state"], refused.Elements("error").Select(e => e.Value));
            var json = await JsonAsync(await client.DeleteAsync($"/api/invoices/{id}/line_items/{line}.json"), HttpStatusCode.Forbidden);
            Assert.Equal("""{"errors":{"base":["Invalid invoice state"]}}""", json.ToJsonString());
            var invoice = await GetInvoiceAsync(client, id);
            Assert.Equal("7.25", Value(invoice, "cost"));
            Assert.Single(invoice.Element("line-items")!.Elements());
        }
    }

    [Fact]
    public async Task Line_item_lists_and_created_lines_have_3scales_shapes()
    {
        var tenant = await CreateTenantAsync(fx);
        using var client = await BillingClientAsync(fx);
        var id = await CreateInvoiceIdAsync(client, tenant);
        await AddLineAsync(client, id, "3", "LineItem::VariableCost", "Hits");
        await client.PostAsync($"/api/invoices/{id}/line_items.xml", Form(("line_item[name]", "Wrapped"), ("line_item[cost]", "2.5"), ("line_item[quantity]", "4")));

        var list = await XmlAsync(await client.GetAsync($"/api/invoices/{id}/line_items.xml"));
        Assert.Equal("line_items", list.Name.LocalName);
        Assert.Equal(["line-item", "line-item"], Names(list));
        var first = list.Elements().First();
        Assert.Equal(LineElements, Names(first));
        Assert.Equal("Hits", Value(first, "name"));
        Assert.Equal("LineItem::VariableCost", Value(first, "type"));
        Assert.Equal("3.0", Value(first, "cost"));
        var second = list.Elements().Last();
        Assert.Equal(["Wrapped", "4", "2.5", "LineItem::PlanCost"], new[] { "name", "quantity", "cost", "type" }.Select(n => Value(second, n)));

        var json = await JsonAsync(await client.GetAsync($"/api/invoices/{id}/line_items.json"));
        var items = json["line_items"]!.AsArray();
        Assert.Equal(2, items.Count);
        var item = items[0]!["line_item"]!.AsObject();
        Assert.Equal(
            ["id", "name", "description", "quantity", "type", "metric_id", "plan_id", "contract_id", "contract_type", "cost", "created_at", "updated_at", "links"],
            item.Select(kv => kv.Key));
        Assert.Equal(3m, (decimal)item["cost"]!);
        Assert.Equal(1m, (decimal)item["quantity"]!);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/invoices/999999999/line_items.xml")).StatusCode);
    }

    [Theory]
    [InlineData("type", "LineItem::Bogus", "Invalid Line item type")]
    [InlineData("cost", "$5.50", "cost")]
    [InlineData("cost", "5,50", "cost")]
    [InlineData("cost", "1e3", "cost")]
    [InlineData("quantity", "abc", "quantity")]
    [InlineData("quantity", "-1", "quantity")]
    [InlineData("name", "", "name")]
    public async Task A_bad_line_value_is_a_422_naming_it_and_adds_nothing(string field, string value, string message)
    {
        var tenant = await CreateTenantAsync(fx);
        using var client = await BillingClientAsync(fx);
        var id = await CreateInvoiceIdAsync(client, tenant);
        var pairs = new Dictionary<string, string> { ["name"] = "Fee", ["cost"] = "1", ["type"] = "LineItem::PlanCost", [field] = value };

        var json = await JsonAsync(await client.PostAsync($"/api/invoices/{id}/line_items.json", Form([.. pairs.Select(kv => (kv.Key, kv.Value))])),
            HttpStatusCode.UnprocessableEntity);

        Assert.Contains(message, (string?)json["errors"]![field]![0], StringComparison.Ordinal);
        Assert.Empty((await XmlAsync(await client.GetAsync($"/api/invoices/{id}/line_items.xml"))).Elements());
        Assert.Equal("0.0", Value(await GetInvoiceAsync(client, id), "cost"));
    }

    [Fact]
    public async Task Metric_plan_and_contract_must_exist_and_a_known_contract_fills_plan_and_contract_type()
    {
        var tenant = await CreateTenantAsync(fx);
        using var client = await BillingClientAsync(fx);
        using var op = fx.Operator();
        var metric = await NewMetricAsync(op);
        var plan = await NewPlanAsync(op, metric);
        await AssignAsync(op, tenant, plan);
        string subscription;
        await using (var db = fx.Services.GetRequiredService<TallyDatabase>().CreateContext())
        {
            subscription = await db.PlanSubscriptions.Where(s => s.TenantId == tenant).Select(s => s.Id).FirstAsync();
        }

        var id = await CreateInvoiceIdAsync(client, tenant);

        foreach (var (key, value) in new[] { ("metric_id", "no-such-metric"), ("plan_id", "no-such-plan"), ("contract_id", "sub-unknown") })
        {
            var response = await client.PostAsync($"/api/invoices/{id}/line_items.json", Form(("name", "X"), ("cost", "1"), (key, value)));
            Assert.Equal("Not found", (string?)(await JsonAsync(response, HttpStatusCode.NotFound))["status"]);
        }

        var line = await XmlAsync(await client.PostAsync($"/api/invoices/{id}/line_items.xml",
            Form(("name", "Usage"), ("cost", "4.20"), ("type", "LineItem::VariableCost"), ("metric_id", metric), ("contract_id", subscription))), HttpStatusCode.Created);
        Assert.Equal(metric, Value(line, "metric_id"));
        Assert.Equal(plan, Value(line, "plan_id"));
        Assert.Equal(subscription, Value(line, "contract_id"));
        Assert.Equal("PlanSubscription", Value(line, "contract_type"));
        Assert.Equal("4.2", Value(line, "cost"));
        await using (var db = fx.Services.GetRequiredService<TallyDatabase>().CreateContext())
        {
            var lineId = long.Parse(Value(line, "id"), CultureInfo.InvariantCulture);
            Assert.Equal($"manual:{lineId}", await db.InvoiceLineItems.Where(l => l.Id == lineId).Select(l => l.SourceKey).SingleAsync());
        }
    }

    [Fact]
    public async Task Deleting_an_unknown_line_or_a_line_of_another_invoice_is_404()
    {
        var tenant = await CreateTenantAsync(fx);
        using var client = await BillingClientAsync(fx);
        var a = await CreateInvoiceIdAsync(client, tenant);
        var b = await CreateInvoiceIdAsync(client, tenant);
        var line = Value(await AddLineAsync(client, a, "1"), "id");

        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync($"/api/invoices/{b}/line_items/{line}.xml")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync($"/api/invoices/{a}/line_items/999999999.xml")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync($"/api/invoices/999999999/line_items/{line}.xml")).StatusCode);
        Assert.Single((await XmlAsync(await client.GetAsync($"/api/invoices/{a}/line_items.xml"))).Elements());
    }

    [Fact]
    public async Task Charging_with_an_approving_primary_card_pays_the_invoice_and_records_a_transaction()
    {
        var tenant = await CreateTenantAsync(fx);
        var (_, tenantSecret) = await fx.CreateTokenAsync(tenant);
        using (var tenantClient = fx.Client(tenantSecret))
        {
            await PaymentMethods.PaymentMethodTestKit.CreateAsync(tenantClient, "tok_visa", "PRIMARY");
        }

        using var client = await BillingClientAsync(fx);
        var id = await InvoiceInStateAsync(client, tenant, "pending", cost: "10");

        var paid = await XmlAsync(await client.PostAsync($"/api/invoices/{id}/charge.xml", null));

        Assert.Equal("paid", Value(paid, "state"));
        Assert.Equal("2026-11-24 12:00:00 UTC", Value(paid, "paid_at"));
        Assert.Equal("1", Value(paid, "payment_transactions_count"));
        var transactions = await XmlAsync(await client.GetAsync($"/api/invoices/{id}/payment_transactions.xml"));
        Assert.Equal("payment_transactions", transactions.Name.LocalName);
        var transaction = Assert.Single(transactions.Elements("payment_transaction"));
        Assert.Equal(TransactionElements, Names(transaction));
        Assert.Equal("true", Value(transaction, "success"));
        Assert.Equal("10.0", Value(transaction, "amount"));
        Assert.Equal(tenant, Value(transaction, "account_id"));
        Assert.Equal(id.ToString(CultureInfo.InvariantCulture), Value(transaction, "invoice_id"));
        Assert.Equal("true", Value(transaction, "test"));
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$", Value(transaction, "created_at"));

        var json = await JsonAsync(await client.GetAsync($"/api/invoices/{id}/payment_transactions.json"));
        var item = json["payment_transactions"]!.AsArray().Single()!["payment_transaction"]!;
        Assert.True((bool)item["success"]!);
        Assert.Equal(10m, (decimal)item["amount"]!);
    }

    [Fact]
    public async Task A_declined_charge_is_a_422_and_leaves_a_failed_transaction_and_the_invoice_pending()
    {
        var tenant = await CreateTenantAsync(fx);
        var (_, tenantSecret) = await fx.CreateTokenAsync(tenant);
        using (var tenantClient = fx.Client(tenantSecret))
        {
            await PaymentMethods.PaymentMethodTestKit.CreateAsync(tenantClient, "tok_chargeCustomerFail", "PRIMARY");
        }

        using var client = await BillingClientAsync(fx);
        var id = await InvoiceInStateAsync(client, tenant, "pending", cost: "10");

        var xml = await XmlAsync(await client.PostAsync($"/api/invoices/{id}/charge.xml", null), HttpStatusCode.UnprocessableEntity);
        var json = await JsonAsync(await client.PostAsync($"/api/invoices/{id}/charge.json", null), HttpStatusCode.UnprocessableEntity);

        Assert.Equal(["Failed to charge the credit card."], xml.Elements("error").Select(e => e.Value));
        Assert.Equal("""{"errors":{"base":["Failed to charge the credit card."]}}""", json.ToJsonString());
        Assert.Equal("pending", Value(await GetInvoiceAsync(client, id), "state"));
        var transactions = (await XmlAsync(await client.GetAsync($"/api/invoices/{id}/payment_transactions.xml"))).Elements("payment_transaction").ToList();
        Assert.Equal(2, transactions.Count);
        Assert.All(transactions, t => Assert.Equal("false", Value(t, "success")));
    }

    [Fact]
    public async Task An_invoice_that_is_not_chargeable_is_a_422_and_an_unknown_one_404()
    {
        var tenant = await CreateTenantAsync(fx);
        using var client = await BillingClientAsync(fx);
        var open = await InvoiceInStateAsync(client, tenant, "open", cost: "10");
        var free = await InvoiceInStateAsync(client, tenant, "pending");
        var noCard = await InvoiceInStateAsync(client, tenant, "pending", cost: "10");

        foreach (var id in new[] { open, free, noCard })
        {
            var xml = await XmlAsync(await client.PostAsync($"/api/invoices/{id}/charge.xml", null), HttpStatusCode.UnprocessableEntity);
            Assert.Equal("Failed to charge the credit card.", Value(xml, "error"));
        }

        Assert.Equal("open", Value(await GetInvoiceAsync(client, open), "state"));
        Assert.Equal("pending", Value(await GetInvoiceAsync(client, noCard), "state"));
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync("/api/invoices/999999999/charge.xml", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/invoices/999999999/payment_transactions.xml")).StatusCode);
    }
}

public sealed class ThreeScaleStateAndLineItemTestsOnSqlite(SqliteFixture fx) : ThreeScaleStateAndLineItemTests(fx), IClassFixture<SqliteFixture>;

public sealed class ThreeScaleStateAndLineItemTestsOnPostgres(PostgresFixture fx) : ThreeScaleStateAndLineItemTests(fx), IClassFixture<PostgresFixture>;
