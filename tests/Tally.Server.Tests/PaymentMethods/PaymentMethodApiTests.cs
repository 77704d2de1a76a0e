using System.Net;
using System.Text.Json.Nodes;
using Tally.Server.Tests.Infrastructure;
using static Tally.Server.Tests.Catalog.CatalogTestKit;
using static Tally.Server.Tests.PaymentMethods.PaymentMethodTestKit;

namespace Tally.Server.Tests.PaymentMethods;

public abstract class PaymentMethodApiTests(TallyFixture fx)
{
    private const string Contact = """
        {"address1":"1234 Main road","city":"Sunnyvale","state":"California","state_code":"CA","country":"US","zip_code":"95054",
         "phone_number":"+11234567890","contact_type":"PAYMENT"}
        """;

    /// <summary>A tenant and a tenant admin token (every permission).</summary>
    private async Task<(string Tenant, HttpClient Client)> NewTenantAsync()
    {
        var tenant = await fx.CreateTenantAsync();
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        return (tenant, fx.Client(secret));
    }

    [Theory]
    [InlineData("tok_visa", "visa", "4242")]
    [InlineData("tok_mastercard", "mastercard", "4444")]
    [InlineData("tok_amex", "amex", "8431")]
    [InlineData("tok_chargeCustomerFail", "visa", "0341")]
    public async Task An_approving_test_token_stores_the_masked_card_expiring_three_years_ahead(string token, string brand, string last4)
    {
        var (tenant, client) = await NewTenantAsync();

        var name = await CreateAsync(client, token, contactJson: Contact);
        var item = Assert.Single(await ItemsAsync(client, tenant))!;

        Assert.Matches("^payment-method-[0-9a-f]{8}$", name);
        Assert.Equal(name, (string?)item["name"]);
        Assert.Equal(brand, (string?)item["brand"]);
        Assert.Equal(last4, (string?)item["last4"]);
        Assert.Equal(fx.Clock.GetUtcNow().Month, (int)item["exp_month"]!);
        Assert.Equal(fx.Clock.GetUtcNow().Year + 3, (int)item["exp_year"]!);
        Assert.Equal("PAYMENT_METHOD_ROLE_PRIMARY", (string?)item["role"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Contact), item["contact"]));
        Assert.Equal(["brand", "contact", "exp_month", "exp_year", "last4", "name", "role"], item.AsObject().Select(kv => kv.Key).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("tok_chargeDeclined", "card_declined")]
    [InlineData("tok_chargeDeclinedInsufficientFunds", "insufficient_funds")]
    [InlineData("tok_chargeDeclinedExpiredCard", "expired_card")]
    [InlineData("tok_unheard_of", "invalid_token")]
    [InlineData("tok-123456", "invalid_token")]
    public async Task A_refused_test_token_is_a_402_naming_the_token_and_the_reason_and_stores_nothing(string token, string reason)
    {
        var (tenant, client) = await NewTenantAsync();

        var text = await AssertProblemAsync(await PostCreateAsync(client, CreateBody(token, "PRIMARY")), HttpStatusCode.PaymentRequired, "token");

        Assert.Equal(reason, (string?)JsonNode.Parse(text)!["reason"]);
        Assert.Contains(reason, text, StringComparison.Ordinal);
        Assert.DoesNotContain(token, text, StringComparison.Ordinal);
        Assert.Empty(await ItemsAsync(client, tenant));
    }

    [Fact]
    public async Task Responses_and_the_requests_sent_validate_against_F5s_schemas()
    {
        var (tenant, client) = await NewTenantAsync();
        var createBody = CreateBody("tok_visa", "PRIMARY", Contact);
        await Schema.AssertValidAsync("payment_methodCreatePaymentMethodRequest", createBody);

        var response = await PostCreateAsync(client, createBody);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Schema.AssertValidAsync("payment_methodCreatePaymentMethodResponse", text);
        var name = (string)JsonNode.Parse(text)!["name"]!;

        await Schema.AssertValidAsync("payment_methodPaymentMethodPrimaryReq", NameBody(name));
        await Schema.AssertValidAsync("payment_methodPaymentMethodSecondaryReq", NameBody(name));
        await Schema.AssertValidAsync("payment_methodPaymentMethodRoleSwapReq", NameBody(name));
        await ChangeAsync(client, name, "secondary");
        await ChangeAsync(client, name, "swap-primary");
        await ChangeAsync(client, name, "primary");
        var item = Assert.Single(await ItemsAsync(client, tenant))!;
        await Schema.AssertValidAsync("payment_methodPaymentMethodRole", item["role"]!.ToJsonString());
        await Schema.AssertValidAsync("contactGlobalSpecType", item["contact"]!.ToJsonString());
        await CreateAsync(client, "tok_amex", "NORMAL");

        var deleted = await client.DeleteAsync(MethodUrl(name));
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal("{}", await deleted.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Bad_create_input_is_a_400_naming_the_field_and_nothing_is_stored()
    {
        var (tenant, client) = await NewTenantAsync();
        var cases = new (string Field, string Body, string Namespace)[]
        {
            ("namespace", CreateBody(), "default"),
            ("namespace", """{"namespace":"default","token":"tok_visa"}""", "system"),
            ("token", """{"namespace":"system"}""", "system"),
            ("token", """{"namespace":"system","token":""}""", "system"),
            ("token", """{"namespace":"system","token":"   "}""", "system"),
            ("token", """{"namespace":"system","token":"tok visa"}""", "system"),
            ("token", $$"""{"namespace":"system","token":"{{new string('t', 257)}}"}""", "system"),
            ("token", """{"namespace":"system","token":7}""", "system"),
            ("role", """{"token":"tok_visa","role":"PRIMARY"}""", "system"),
            ("role", """{"token":"tok_visa","role":"PAYMENT_METHOD_ROLE_BACKUP"}""", "system"),
            ("role", """{"token":"tok_visa","role":1}""", "system"),
            ("contact", """{"token":"tok_visa","contact":"1234 Main road"}""", "system"),
            ("contact.contact_type", """{"token":"tok_visa","contact":{"contact_type":"HOME"}}""", "system"),
            ("contact.street", """{"token":"tok_visa","contact":{"street":"Main"}}""", "system"),
            ("contact.city", """{"token":"tok_visa","contact":{"city":5}}""", "system"),
            ("card", """{"token":"tok_visa","card":"x"}""", "system"),
            ("body", "", "system"),
            ("body", "null", "system"),
            ("body", "{", "system"),
            ("token", "{\"token\":", "system"),
        };

        foreach (var (field, body, ns) in cases)
        {
            var response = await client.PostAsync(MethodsUrl(ns), TallyFixture.Json(body));
            await AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
        }

        Assert.Empty(await ItemsAsync(client, tenant));
    }

    [Theory]
    [InlineData("4242424242424242")]
    [InlineData("4242 4242 4242 4242")]
    [InlineData("4000-0566-5566-5556")]
    [InlineData("378282246310005")]
    public async Task A_card_number_as_token_or_in_the_contact_is_a_400_that_does_not_echo_it(string card)
    {
        var (tenant, client) = await NewTenantAsync();
        var digits = card.Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);

        var asToken = await AssertProblemAsync(await PostCreateAsync(client, CreateBody(card)), HttpStatusCode.BadRequest, "token");
        var inContact = await AssertProblemAsync(
            await PostCreateAsync(client, CreateBody("tok_visa", contactJson: new JsonObject { ["address2"] = $"card {card}" }.ToJsonString())),
            HttpStatusCode.BadRequest, "contact.address2");

        // The random trace_id every problem carries may contain the last four digits by chance.
        foreach (var text in new[] { asToken, inContact }.Select(WithoutTraceId))
        {
            Assert.DoesNotContain(card, text, StringComparison.Ordinal);
            Assert.DoesNotContain(digits, text, StringComparison.Ordinal);
            Assert.DoesNotContain(digits[^4..], text, StringComparison.Ordinal);
        }

        Assert.Empty(await ItemsAsync(client, tenant));
    }

    private static string WithoutTraceId(string problem)
    {
        var body = JsonNode.Parse(problem)!.AsObject();
        Assert.True(body.Remove("trace_id"), "the problem has no trace_id");
        return body.ToJsonString();
    }

    [Fact]
    public async Task Bad_input_on_delete_and_the_role_routes_is_a_400_naming_the_field_and_an_unknown_method_a_404()
    {
        var (tenant, client) = await NewTenantAsync();
        var name = await CreateAsync(client);
        var other = await CreateAsync(client, "tok_amex", "SECONDARY");
        var before = await RolesAsync(client, tenant, new Dictionary<string, string>());

        foreach (var operation in RoleOperations)
        {
            await AssertProblemAsync(await client.PostAsync(RoleUrl(name, operation, "default"), TallyFixture.Json(NameBody(name))), HttpStatusCode.BadRequest, "namespace");
            await AssertProblemAsync(await client.PostAsync(RoleUrl(other, operation), TallyFixture.Json($$"""{"namespace":"shared","name":"{{other}}"}""")), HttpStatusCode.BadRequest, "namespace");
            await AssertProblemAsync(await client.PostAsync(RoleUrl(other, operation), TallyFixture.Json(NameBody(name))), HttpStatusCode.BadRequest, "name");
            await AssertProblemAsync(await client.PostAsync(RoleUrl(other, operation), TallyFixture.Json($$"""{"name":"{{other}}","role":"x"}""")), HttpStatusCode.BadRequest, "role");
            await AssertProblemAsync(await client.PostAsync(RoleUrl("payment-method-00000000", operation), TallyFixture.Json(NameBody("payment-method-00000000"))), HttpStatusCode.NotFound);
            await AssertProblemAsync(await client.PostAsync(RoleUrl("payment-method-00000000", operation), TallyFixture.Json("")), HttpStatusCode.NotFound);
        }

        using var deleteWrongName = new HttpRequestMessage(HttpMethod.Delete, MethodUrl(other)) { Content = TallyFixture.Json(NameBody(name)) };
        await AssertProblemAsync(await client.SendAsync(deleteWrongName), HttpStatusCode.BadRequest, "name");
        using var deleteWrongNamespace = new HttpRequestMessage(HttpMethod.Delete, MethodUrl(other)) { Content = TallyFixture.Json("""{"namespace":"default"}""") };
        await AssertProblemAsync(await client.SendAsync(deleteWrongNamespace), HttpStatusCode.BadRequest, "namespace");
        await AssertProblemAsync(await client.DeleteAsync(MethodUrl(other, "default")), HttpStatusCode.BadRequest, "namespace");
        await AssertProblemAsync(await client.DeleteAsync(MethodUrl("payment-method-00000000")), HttpStatusCode.NotFound);

        Assert.Equal(before, await RolesAsync(client, tenant, new Dictionary<string, string>()));
        Assert.Equal(2, (await ItemsAsync(client, tenant)).Count);
    }

    [Fact]
    public async Task Another_tenants_token_gets_404_on_every_route_and_nothing_changes()
    {
        var (mine, owner) = await NewTenantAsync();
        var primary = await CreateAsync(owner, "tok_visa", "PRIMARY", Contact);
        var secondary = await CreateAsync(owner, "tok_amex", "SECONDARY");
        var before = await RolesAsync(owner, mine, new Dictionary<string, string>());
        var (theirs, intruder) = await NewTenantAsync();

        foreach (var name in new[] { primary, secondary })
        {
            foreach (var operation in RoleOperations)
            {
                await AssertProblemAsync(await intruder.PostAsync(RoleUrl(name, operation), TallyFixture.Json(NameBody(name))), HttpStatusCode.NotFound);
            }

            await AssertProblemAsync(await intruder.DeleteAsync(MethodUrl(name)), HttpStatusCode.NotFound);
        }

        var list = await AssertProblemAsync(await intruder.GetAsync(ListUrl(mine)), HttpStatusCode.NotFound);
        Assert.DoesNotContain(primary, list, StringComparison.Ordinal);
        Assert.DoesNotContain("Sunnyvale", list, StringComparison.Ordinal);
        Assert.Empty(await ItemsAsync(intruder, theirs));
        Assert.Equal(before, await RolesAsync(owner, mine, new Dictionary<string, string>()));
        Assert.Equal(2, (await ItemsAsync(owner, mine)).Count);
        owner.Dispose();
        intruder.Dispose();
    }

    [Fact]
    public async Task Viewers_members_without_billing_and_operator_tokens_cannot_change_payment_methods()
    {
        var (tenant, admin) = await NewTenantAsync();
        var name = await CreateAsync(admin, "tok_visa", "PRIMARY");
        var other = await CreateAsync(admin, "tok_amex", "SECONDARY");
        var before = await RolesAsync(admin, tenant, new Dictionary<string, string>());
        var (_, viewer) = await fx.CreateTokenAsync(tenant, role: "viewer");
        var (_, member) = await fx.CreateTokenAsync(tenant, role: "member", permissions: ["quota", "usage"]);
        var (_, billingMember) = await fx.CreateTokenAsync(tenant, role: "member", permissions: ["billing"]);

        foreach (var secret in new[] { viewer, member, TallyFixture.OperatorSecret })
        {
            using var client = fx.Client(secret);
            await AssertProblemAsync(await PostCreateAsync(client, CreateBody()), HttpStatusCode.Forbidden);
            await AssertProblemAsync(await client.DeleteAsync(MethodUrl(other)), HttpStatusCode.Forbidden);
            foreach (var operation in RoleOperations)
            {
                await AssertProblemAsync(await client.PostAsync(RoleUrl(other, operation), TallyFixture.Json(NameBody(other))), HttpStatusCode.Forbidden);
            }
        }

        using (var withoutBilling = fx.Client(member))
        {
            await AssertProblemAsync(await withoutBilling.GetAsync(ListUrl(tenant)), HttpStatusCode.Forbidden);
        }

        Assert.Equal(before, await RolesAsync(admin, tenant, new Dictionary<string, string>()));
        Assert.Equal(2, (await ItemsAsync(admin, tenant)).Count);

        using var viewing = fx.Client(viewer);
        await AssertProblemAsync(await viewing.GetAsync(ListUrl(tenant)), HttpStatusCode.Forbidden);
        using var op = fx.Operator();
        Assert.Equal(2, (await ItemsAsync(op, tenant)).Count);
        using var billing = fx.Client(billingMember);
        await ChangeAsync(billing, other, "swap-primary");
        await CreateAsync(billing, "tok_mastercard");
        await AssertProblemAsync(await billing.GetAsync(ListUrl(tenant)), HttpStatusCode.Forbidden);
        Assert.Equal(3, (await ItemsAsync(admin, tenant)).Count);
        Assert.NotEqual(before, await RolesAsync(admin, tenant, new Dictionary<string, string>()));
    }

    [Fact]
    public async Task Creating_without_a_role_makes_the_first_method_primary_and_later_ones_normal_and_a_new_primary_demotes_the_old()
    {
        var (tenant, client) = await NewTenantAsync();
        var names = new Dictionary<string, string>
        {
            [await CreateAsync(client)] = "a",
            [await CreateAsync(client, "tok_amex")] = "b",
        };
        Assert.Equal("a=P b=N", await RolesAsync(client, tenant, names));

        names[await CreateAsync(client, "tok_mastercard", "SECONDARY")] = "c";
        names[await CreateAsync(client, "tok_visa", "PRIMARY")] = "d";
        Assert.Equal("a=N b=N c=S d=P", await RolesAsync(client, tenant, names));

        names[await CreateAsync(client, "tok_visa", "UNKNOWN")] = "e";
        names[await CreateAsync(client, "tok_visa", "NORMAL")] = "f";
        Assert.Equal("a=N b=N c=S d=P e=N f=N", await RolesAsync(client, tenant, names));
    }

    [Fact]
    public async Task Making_the_secondary_primary_over_http_leaves_no_secondary()
    {
        var (tenant, client, names) = await ThreeMethodsAsync();

        await ChangeAsync(client, names["b"], "primary");
        Assert.Equal("a=N b=P c=N", await RolesAsync(client, tenant, Short(names)));
        await ChangeAsync(client, names["b"], "primary");
        Assert.Equal("a=N b=P c=N", await RolesAsync(client, tenant, Short(names)));
        await ChangeAsync(client, names["c"], "primary");
        Assert.Equal("a=N b=N c=P", await RolesAsync(client, tenant, Short(names)));
    }

    [Fact]
    public async Task Making_the_primary_secondary_over_http_leaves_no_primary()
    {
        var (tenant, client, names) = await ThreeMethodsAsync();

        await ChangeAsync(client, names["a"], "secondary");
        Assert.Equal("a=S b=N c=N", await RolesAsync(client, tenant, Short(names)));
        await ChangeAsync(client, names["c"], "secondary");
        Assert.Equal("a=N b=N c=S", await RolesAsync(client, tenant, Short(names)));
    }

    [Fact]
    public async Task Swap_primary_over_http_makes_the_old_primary_secondary_and_the_old_secondary_normal()
    {
        var (tenant, client, names) = await ThreeMethodsAsync();

        await ChangeAsync(client, names["c"], "swap-primary");
        Assert.Equal("a=S b=N c=P", await RolesAsync(client, tenant, Short(names)));
        await ChangeAsync(client, names["c"], "swap-primary");
        Assert.Equal("a=S b=N c=P", await RolesAsync(client, tenant, Short(names)));
        await ChangeAsync(client, names["a"], "swap-primary");
        Assert.Equal("a=P b=N c=S", await RolesAsync(client, tenant, Short(names)));
    }

    [Fact]
    public async Task Deleting_the_primary_over_http_leaves_no_primary_and_keeps_the_secondary()
    {
        var (tenant, client, names) = await ThreeMethodsAsync();

        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync(MethodUrl(names["a"]))).StatusCode);
        Assert.Equal("b=S c=N", await RolesAsync(client, tenant, Short(names)));
        using var withBody = new HttpRequestMessage(HttpMethod.Delete, MethodUrl(names["b"])) { Content = TallyFixture.Json(NameBody(names["b"])) };
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(withBody)).StatusCode);
        Assert.Equal("c=N", await RolesAsync(client, tenant, Short(names)));
        await AssertProblemAsync(await client.DeleteAsync(MethodUrl(names["a"])), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Deleting_the_only_method_of_a_tenant_on_a_paid_plan_is_a_409_and_keeps_it()
    {
        using var op = fx.Operator();
        var metric = await NewMetricAsync(op);
        var paid = await NewPlanAsync(op, metric);
        var flatOnly = NewName("p");
        await PutAsync(op, $"/api/admin/plans/{flatOnly}", FreeOf(PlanJson(metric), flat: "5.00"));
        var usageOnly = await NewPlanAsync(op, metric, flat: "0.00");
        var free = NewName("p");
        await PutAsync(op, $"/api/admin/plans/{free}", FreeOf(PlanJson(metric), flat: "0.00"));

        foreach (var plan in new[] { paid, flatOnly, usageOnly })
        {
            var (tenant, client) = await NewTenantAsync();
            await AssignAsync(op, tenant, plan);
            var first = await CreateAsync(client);
            var second = await CreateAsync(client, "tok_amex");

            Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync(MethodUrl(first))).StatusCode);
            var text = await AssertProblemAsync(await client.DeleteAsync(MethodUrl(second)), HttpStatusCode.Conflict);

            Assert.Contains(plan, text, StringComparison.Ordinal);
            Assert.Equal("only_payment_method_on_paid_plan", (string?)JsonNode.Parse(text)!["reason"]);
            Assert.Equal(second, (string?)Assert.Single(await ItemsAsync(client, tenant))!["name"]);
        }

        foreach (var plan in new[] { free, null })
        {
            var (tenant, client) = await NewTenantAsync();
            if (plan is not null)
            {
                await AssignAsync(op, tenant, plan);
            }

            var only = await CreateAsync(client);
            Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync(MethodUrl(only))).StatusCode);
            Assert.Empty(await ItemsAsync(client, tenant));
        }
    }

    [Fact]
    public async Task Thirty_two_concurrent_role_changes_leave_at_most_one_primary_and_one_secondary()
    {
        var (tenant, client, names) = await ThreeMethodsAsync();
        var fourth = await CreateAsync(client, "tok_amex", "NORMAL");
        var all = names.Values.Append(fourth).ToArray();
        var random = new Random(4242);
        var calls = Enumerable.Range(0, 32)
            .Select(_ => (Name: all[random.Next(all.Length)], Operation: RoleOperations[random.Next(RoleOperations.Length)]))
            .ToList();

        var responses = await Task.WhenAll(calls.Select(async c =>
        {
            var response = await client.PostAsync(RoleUrl(c.Name, c.Operation), TallyFixture.Json(NameBody(c.Name)));
            return (response.StatusCode, Text: await response.Content.ReadAsStringAsync());
        }));

        Assert.All(responses, r => Assert.True(r.StatusCode == HttpStatusCode.OK, $"{(int)r.StatusCode} {r.Text}"));
        var roles = (await ItemsAsync(client, tenant)).Select(i => (string)i!["role"]!).ToList();
        Assert.Equal(4, roles.Count);
        Assert.True(roles.Count(r => r == "PAYMENT_METHOD_ROLE_PRIMARY") <= 1, string.Join(",", roles));
        Assert.True(roles.Count(r => r == "PAYMENT_METHOD_ROLE_SECONDARY") <= 1, string.Join(",", roles));
    }

    [Fact]
    public async Task Concurrent_creates_asking_for_primary_and_secondary_leave_one_of_each()
    {
        var (tenant, client) = await NewTenantAsync();

        var created = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => CreateAsync(client, "tok_visa", i % 2 == 0 ? "PRIMARY" : "SECONDARY")));

        var roles = (await ItemsAsync(client, tenant)).Select(i => (string)i!["role"]!).ToList();
        Assert.Equal(16, created.Distinct().Count());
        Assert.Equal(16, roles.Count);
        Assert.Equal(1, roles.Count(r => r == "PAYMENT_METHOD_ROLE_PRIMARY"));
        Assert.Equal(1, roles.Count(r => r == "PAYMENT_METHOD_ROLE_SECONDARY"));
    }

    /// <summary>A tenant with methods a (primary), b (secondary) and c (normal); names maps a/b/c to the real names.</summary>
    private async Task<(string Tenant, HttpClient Client, Dictionary<string, string> Names)> ThreeMethodsAsync()
    {
        var (tenant, client) = await NewTenantAsync();
        var names = new Dictionary<string, string>
        {
            ["a"] = await CreateAsync(client, "tok_visa", "PRIMARY"),
            ["b"] = await CreateAsync(client, "tok_mastercard", "SECONDARY"),
            ["c"] = await CreateAsync(client, "tok_amex", "NORMAL"),
        };
        Assert.Equal("a=P b=S c=N", await RolesAsync(client, tenant, Short(names)));
        return (tenant, client, names);
    }

    private static Dictionary<string, string> Short(Dictionary<string, string> names) => names.ToDictionary(kv => kv.Value, kv => kv.Key);

    /// <summary>The plan JSON with no per-metric prices and the given flat price.</summary>
    private static string FreeOf(string planJson, string flat)
    {
        var plan = JsonNode.Parse(planJson)!.AsObject();
        plan["prices"] = new JsonArray();
        plan["flat_price"] = flat;
        plan["setup_fee"] = "0.00";
        return plan.ToJsonString();
    }
}

public sealed class PaymentMethodApiTestsOnSqlite(SqliteFixture fx) : PaymentMethodApiTests(fx), IClassFixture<SqliteFixture>;

public sealed class PaymentMethodApiTestsOnPostgres(PostgresFixture fx) : PaymentMethodApiTests(fx), IClassFixture<PostgresFixture>;
