using System.Net;
using System.Text.Json.Nodes;
using Tally.Server.Tests.Infrastructure;
using static Tally.Server.Tests.Catalog.CatalogTestKit;

namespace Tally.Server.Tests.Catalog;

/// <summary>The F5 usage plan API: the tenant's plan and the plans it may move to, localized, valid against F5's schema.</summary>
public abstract class UsagePlansApiTests(TallyFixture fx)
{
    private const string CurrentUrl = "/api/web/namespaces/system/usage_plans/current";
    private const string ListUrl = "/api/web/namespaces/system/usage_plans/custom_list";

    public static F5Schema Schema { get; } = new("docs-cloud-f5-com.0250.public.ves.io.schema.usage.plan.ves-swagger.json");

    /// <summary>A tenant on a fresh team plan (with an add-on), and a hidden plan and a EUR plan it must not be offered.</summary>
    private async Task<(string Tenant, string Plan, string AddOn, string Hidden, string Euro, HttpClient Client)> SetUpAsync()
    {
        using var op = fx.Operator();
        var metric = await NewMetricAsync(op);
        var addOn = await NewAddOnAsync(op, metric);
        var plan = await NewPlanAsync(op, metric, addOn);
        var hidden = NewName("hidden");
        await PutAsync(op, $"/api/admin/plans/{hidden}", PlanJson(metric).Replace("\"title\":\"Team\",", "\"title\":\"Legacy\",\"hidden\":true,", StringComparison.Ordinal));
        var euro = await NewPlanAsync(op, metric, currency: "EUR");
        var tenant = await fx.CreateTenantAsync("default");
        await AssignAsync(op, tenant, plan);
        var (_, secret) = await fx.CreateTokenAsync(tenant, role: "viewer");
        return (tenant, plan, addOn, hidden, euro, fx.Client(secret));
    }

    private static async Task<(string Text, JsonObject Json, HttpResponseMessage Response)> GetAsync(HttpClient client, string url, string? language = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (language is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept-Language", language);
        }

        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url}: {(int)response.StatusCode} {text}");
        return (text, JsonNode.Parse(text)!.AsObject(), response);
    }

    private static JsonNode Plan(JsonNode localized, string name) =>
        localized["plans"]!.AsArray().Single(p => (string?)p!["name"] == name)!;

    [Fact]
    public async Task The_current_plan_is_marked_current_and_is_valid_against_F5s_schema()
    {
        var (_, plan, addOn, _, _, client) = await SetUpAsync();
        using var _ = client;

        var (text, json, _) = await GetAsync(client, CurrentUrl);

        await Schema.AssertValidAsync("planLocalizedPlan", text);
        Assert.Equal("en-us", (string?)json["locale"]);
        var mine = Plan(json, plan);
        Assert.True((bool)mine["current"]!);
        Assert.Equal(9900, (int)mine["flat_price"]!);
        Assert.Equal("Team", (string?)mine["title"]);
        Assert.Equal("TEAM", (string?)mine["usage_plan_type"]);
        Assert.Equal("STATE_READY", (string?)mine["state"]);
        Assert.Equal("PERIOD_MONTH", (string?)mine["renewal_period_unit"]);
        Assert.Equal(14, (int)mine["trial_period"]!);
        Assert.Equal("TRANSITION_REQUIRED_FIELD_PAYMENT_TOKEN", (string?)mine["transition_flow"]!["required_fields"]![0]);
        Assert.Equal(10, (int)mine["default_quota"]!["object_limits"]!["http_loadbalancer"]!["maximum"]!);
        Assert.Equal(addOn, (string?)mine["included_addon_services"]![0]!["name"]);
        Assert.Equal("WAAP Standard", (string?)mine["included_addon_services"]![0]!["display_name"]);
        Assert.Single(json["plans"]!.AsArray(), p => (bool)p!["current"]!);
    }

    [Fact]
    public async Task The_plans_offered_exclude_hidden_plans_and_plans_in_another_currency()
    {
        var (_, _, _, hidden, euro, client) = await SetUpAsync();
        using var _ = client;

        var (_, json, _) = await GetAsync(client, CurrentUrl);
        var names = json["plans"]!.AsArray().Select(p => (string)p!["name"]!).ToList();

        Assert.DoesNotContain(hidden, names);
        Assert.DoesNotContain(euro, names);
        Assert.True(names.Count > 1);
        var prices = json["plans"]!.AsArray().Select(p => (int)p!["flat_price"]!).ToList();
        Assert.Equal(prices.Order(), prices);
    }

    [Fact]
    public async Task A_hidden_plan_is_still_shown_to_the_tenant_on_it()
    {
        var (tenant, _, _, hidden, _, client) = await SetUpAsync();
        using var _ = client;
        using var op = fx.Operator();
        await AssignAsync(op, tenant, hidden);

        var (_, json, _) = await GetAsync(client, CurrentUrl);

        Assert.True((bool)Plan(json, hidden)["current"]!);
        Assert.Equal("Legacy", (string?)Plan(json, hidden)["title"]);
    }

    [Theory]
    [InlineData("ja-JP,ja;q=0.9,en;q=0.8", "ja-jp", "チーム")]
    [InlineData("zh-TW", "zh-tw", "團隊")]
    [InlineData("zh-Hant-HK", "zh-tw", "團隊")]
    [InlineData("de-AT, en;q=0.5", "de-de", "Team-Tarif")]
    [InlineData("ko", "ko-kr", "팀")]
    [InlineData("fr-FR, ko;q=0.3", "ko-kr", "팀")]
    [InlineData("fr-FR", "en-us", "Team")]
    [InlineData("en;q=0.1, ja;q=0.9", "ja-jp", "チーム")]
    [InlineData("ja;q=0, de", "de-de", "Team-Tarif")]
    [InlineData("*", "en-us", "Team")]
    public async Task Plans_are_localized_by_Accept_Language_with_English_as_fallback(string language, string locale, string title)
    {
        var (_, plan, _, _, _, client) = await SetUpAsync();
        using var _ = client;

        var (text, json, response) = await GetAsync(client, CurrentUrl, language);

        await Schema.AssertValidAsync("planLocalizedPlan", text);
        Assert.Equal(locale, (string?)json["locale"]);
        Assert.Equal(title, (string?)Plan(json, plan)["title"]);
        Assert.Contains("Accept-Language", response.Headers.Vary);
    }

    [Fact]
    public async Task Untranslated_texts_fall_back_to_the_base_text()
    {
        var (_, plan, _, _, _, client) = await SetUpAsync();
        using var _ = client;

        var (_, json, _) = await GetAsync(client, CurrentUrl, "ko-KR");

        Assert.Equal("For teams", (string?)Plan(json, plan)["subtitle"]);
        Assert.Equal("### Team", (string?)Plan(json, plan)["description"]);
        Assert.Equal("WAAP 스탠다드", (string?)Plan(json, plan)["included_addon_services"]![0]!["display_name"]);
    }

    [Fact]
    public async Task The_list_has_one_localized_plan_set_per_locale_the_requested_one_first()
    {
        var (_, plan, _, _, _, client) = await SetUpAsync();
        using var _ = client;

        var (text, json, _) = await GetAsync(client, ListUrl, "de-DE");

        await Schema.AssertValidAsync("planListUsagePlansRsp", text);
        var sets = json["usage_plans"]!.AsArray();
        Assert.Equal(["de-de", "en-us", "ja-jp", "zh-tw", "ko-kr"], sets.Select(s => (string)s!["locale"]!));
        Assert.Equal("Team-Tarif", (string?)Plan(sets[0]!, plan)["title"]);
        Assert.Equal("チーム", (string?)Plan(sets[2]!, plan)["title"]);
        Assert.All(sets, s => Assert.True((bool)Plan(s!, plan)["current"]!));
    }

    [Fact]
    public async Task Another_tenants_token_sees_its_own_plan_as_current_never_this_ones()
    {
        var (_, plan, _, _, _, client) = await SetUpAsync();
        using var _ = client;
        var (_, otherPlan, _, _, _, other) = await SetUpAsync();
        using var __ = other;

        var (_, mine, _) = await GetAsync(client, CurrentUrl);
        var (_, theirs, _) = await GetAsync(other, CurrentUrl);

        Assert.Equal(plan, (string?)mine["plans"]!.AsArray().Single(p => (bool)p!["current"]!)!["name"]);
        Assert.Equal(otherPlan, (string?)theirs["plans"]!.AsArray().Single(p => (bool)p!["current"]!)!["name"]);
        Assert.False((bool)Plan(theirs, plan)["current"]!);
    }

    [Fact]
    public async Task A_tenant_without_a_plan_gets_404_for_current_and_a_list_without_a_current_plan()
    {
        using var op = fx.Operator();
        await NewPlanAsync(op, await NewMetricAsync(op));
        var tenant = await fx.CreateTenantAsync();
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(CurrentUrl)).StatusCode);
        var (_, list, _) = await GetAsync(client, ListUrl);
        Assert.All(list["usage_plans"]![0]!["plans"]!.AsArray(), p => Assert.False((bool)p!["current"]!));
    }

    [Theory]
    [InlineData("/api/web/namespaces/default/usage_plans/current")]
    [InlineData("/api/web/namespaces/default/usage_plans/custom_list")]
    [InlineData("/api/web/namespaces/nope/usage_plans/current")]
    public async Task A_namespace_other_than_system_is_404(string url)
    {
        var (_, _, _, _, _, client) = await SetUpAsync();
        using var _ = client;

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(url)).StatusCode);
    }

    [Fact]
    public async Task Operator_tokens_get_403_tokens_without_billing_403_and_no_token_401()
    {
        var (tenant, _, _, _, _, client) = await SetUpAsync();
        client.Dispose();
        var (_, quotaOnly) = await fx.CreateTokenAsync(tenant, permissions: ["quota"]);
        var (_, defaultOnly) = await fx.CreateTokenAsync(tenant, namespaces: ["default"]);

        foreach (var url in new[] { CurrentUrl, ListUrl })
        {
            using var op = fx.Operator();
            using var limited = fx.Client(quotaOnly);
            using var scoped = fx.Client(defaultOnly);
            using var anonymous = fx.Client(null);
            Assert.Equal(HttpStatusCode.Forbidden, (await op.GetAsync(url)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await limited.GetAsync(url)).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await scoped.GetAsync(url)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(url)).StatusCode);
        }
    }

    [Fact]
    public async Task The_schema_check_fails_on_a_member_F5_does_not_define()
    {
        Assert.NotEmpty(await Schema.ValidateAsync("planLocalizedPlan", """{"locale":"en-us","plans":[{"name":"p","price":1}]}"""));
        Assert.NotEmpty(await Schema.ValidateAsync("planLocalizedPlan", """{"locale":"en-us","plans":[{"name":"p","flat_price":"100"}]}"""));
    }
}

public sealed class UsagePlansApiTestsOnSqlite(SqliteFixture fx) : UsagePlansApiTests(fx), IClassFixture<SqliteFixture>;

public sealed class UsagePlansApiTestsOnPostgres(PostgresFixture fx) : UsagePlansApiTests(fx), IClassFixture<PostgresFixture>;
