using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tally.Server.Tests.Infrastructure;
using static Tally.Server.Tests.Quotas.F5QuotaTestKit;

namespace Tally.Server.Tests.Quotas;

public abstract class F5QuotaLimitsTests(TallyFixture fx)
{
    private const string GetOp = "ves.io.schema.quota.API.Get";

    /// <summary>
    /// system: "base" (lb 10, pool 5, dns unlimited; cpu 4.5, memory 8; Get 100/s burst 10), "tighter" (pool 3),
    /// "off" (disabled: lb 1); default: "team" (lb 20, pool unlimited; cpu 2).
    /// </summary>
    private async Task<(string Tenant, HttpClient Client)> SetUpAsync()
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        var client = fx.Client(secret);
        await CreateAsync(client, "system", "base", """
            {"object_limits":{"http_loadbalancer":{"maximum":10},"origin_pool":{"maximum":5},"dns_zone":{"maximum":-1}},
             "resource_limits":{"cpu":{"maximum":4.5},"memory":{"maximum":8}},
             "api_limits":{"ves.io.schema.quota.API.Get":{"rate":100,"burst":10,"unit":"per-second"}}}
            """);
        await CreateAsync(client, "system", "tighter", """{"object_limits":{"origin_pool":{"maximum":3}}}""");
        await CreateAsync(client, "system", "off", """{"object_limits":{"http_loadbalancer":{"maximum":1}}}""", "\"disable\":true");
        await CreateAsync(client, "default", "team", """{"object_limits":{"http_loadbalancer":{"maximum":20},"origin_pool":{"maximum":-1}},"resource_limits":{"cpu":{"maximum":2}}}""");
        return (tenant, client);
    }

    [Fact]
    public async Task Limits_resolve_system_then_namespace_key_by_key_ignoring_disabled_objects()
    {
        var (_, client) = await SetUpAsync();
        using var _ = client;

        var text = await client.GetStringAsync(LimitsUrl("default"));

        await F5Schema.Quota.AssertValidAsync("quotaGetQuotaLimitsResponse", text);
        await F5Schema.Quota.AssertValidAsync("GO.quotaGetQuotaLimitsResponse", text);
        var limits = JsonNode.Parse(text)!;
        Assert.Equal("dns_zone=-1,http_loadbalancer=20,origin_pool=-1", Maxima(limits["objects"]));
        Assert.Equal("cpu=2,memory=8", Maxima(limits["resources"]));
        Assert.Equal("dns_zone=-1,http_loadbalancer=20,origin_pool=-1", Maxima(limits["quota_usage"]));
        Assert.Equal("cpu=2,memory=8", Maxima(limits["float_quota_usage"]));
        var api = limits["apis"]![GetOp]!;
        Assert.Null(api["limit"]);
        Assert.Equal(100, (int)api["api_limit"]!["rate"]!);
        Assert.Equal(10, (int)api["api_limit"]!["burst"]!);
        Assert.Equal("per-second", (string?)api["api_limit"]!["unit"]);
        Assert.Equal(GetOp, (string?)api["display_name"]);
        Assert.True(JsonNode.DeepEquals(api["api_limit"], limits["api_limits"]![GetOp]));
        Assert.Equal("http_loadbalancer", (string?)limits["objects"]!["http_loadbalancer"]!["display_name"]);

        var system = JsonNode.Parse(await client.GetStringAsync(LimitsUrl("system")))!;
        Assert.Equal("dns_zone=-1,http_loadbalancer=10,origin_pool=3", Maxima(system["objects"]));
        Assert.Equal("cpu=4.5,memory=8", Maxima(system["resources"]));
    }

    [Fact]
    public async Task Replacing_disabling_and_deleting_quota_objects_changes_the_limits_at_once()
    {
        var (_, client) = await SetUpAsync();
        using var _ = client;

        (await client.PutAsync(QuotaUrl("default", "team"), TallyFixture.Json(Body("default", "team", """{"object_limits":{"http_loadbalancer":{"maximum":20}}}""", "\"disable\":true")))).EnsureSuccessStatusCode();
        Assert.Equal("dns_zone=-1,http_loadbalancer=10,origin_pool=3", Maxima((await GetJsonAsync(client, LimitsUrl("default")))["objects"]));

        (await client.PutAsync(QuotaUrl("system", "off"), TallyFixture.Json(Body("system", "off", """{"object_limits":{"http_loadbalancer":{"maximum":1}}}""")))).EnsureSuccessStatusCode();
        Assert.Equal("dns_zone=-1,http_loadbalancer=1,origin_pool=3", Maxima((await GetJsonAsync(client, LimitsUrl("default")))["objects"]));

        (await client.DeleteAsync(QuotaUrl("system", "off"))).EnsureSuccessStatusCode();
        (await client.DeleteAsync(QuotaUrl("system", "tighter"))).EnsureSuccessStatusCode();
        Assert.Equal("dns_zone=-1,http_loadbalancer=10,origin_pool=5", Maxima((await GetJsonAsync(client, LimitsUrl("default")))["objects"]));
    }

    [Fact]
    public async Task Usage_shows_admitted_counts_beside_the_limits_including_keys_with_only_one_of_them()
    {
        var (tenant, client) = await SetUpAsync();
        using var _ = client;
        using (var op = fx.Operator())
        {
            foreach (var (kind, key, amount) in new[] { ("objects", "http_loadbalancer", 3.0), ("resources", "cpu", 1.25), ("objects", "virtual_host", 2.0) })
            {
                var admit = await op.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", new { @namespace = "default", kind, key, amount });
                Assert.True(admit.IsSuccessStatusCode, await admit.Content.ReadAsStringAsync());
            }

            (await op.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", new { @namespace = "system", kind = "objects", key = "origin_pool", amount = 1 })).EnsureSuccessStatusCode();
        }

        var text = await client.GetStringAsync(UsageUrl("default"));

        await F5Schema.Quota.AssertValidAsync("quotaGetResponseType", text);
        await F5Schema.Quota.AssertValidAsync("GO.quotaGetResponseType", text);
        var usage = JsonNode.Parse(text)!;
        Assert.Equal("dns_zone=-1/0,http_loadbalancer=20/3,origin_pool=-1/0,virtual_host=-1/2", LimitsAndUsage(usage["objects"]));
        Assert.Equal("cpu=2/1.25,memory=8/0", LimitsAndUsage(usage["resources"]));
        Assert.Equal("dns_zone=-1/0,http_loadbalancer=20/3,origin_pool=-1/0,virtual_host=-1/2", LimitsAndUsage(usage["quota_usage"]));
        Assert.Equal("cpu=2/1.25,memory=8/0", LimitsAndUsage(usage["float_quota_usage"]));
        Assert.Equal(JsonValueKind(3), usage["quota_usage"]!["http_loadbalancer"]!["usage"]!["current"]!.ToJsonString());
        var api = usage["apis"]![GetOp]!;
        Assert.Null(api["usage"]);
        Assert.Equal(100, (int)api["api_limit"]!["rate"]!);
        Assert.True(JsonNode.DeepEquals(api["api_limit"], usage["api_limits"]![GetOp]));

        var system = JsonNode.Parse(await client.GetStringAsync(UsageUrl("system")))!;
        Assert.Equal("dns_zone=-1/0,http_loadbalancer=10/0,origin_pool=3/1", LimitsAndUsage(system["objects"]));
    }

    [Fact]
    public async Task A_tenant_without_quota_objects_gets_empty_maps()
    {
        var tenant = await fx.CreateTenantAsync();
        var (_, secret) = await fx.CreateTokenAsync(tenant, role: "viewer");
        using var client = fx.Client(secret);

        var limits = await client.GetStringAsync(LimitsUrl("system"));
        var usage = await client.GetStringAsync(UsageUrl("system"));

        await F5Schema.Quota.AssertValidAsync("quotaGetQuotaLimitsResponse", limits);
        await F5Schema.Quota.AssertValidAsync("quotaGetResponseType", usage);
        const string empty = """{"objects":{},"resources":{},"apis":{},"quota_usage":{},"float_quota_usage":{},"api_limits":{}}""";
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(empty), JsonNode.Parse(limits)), limits);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(empty), JsonNode.Parse(usage)), usage);
    }

    [Fact]
    public async Task Api_limits_in_a_system_quota_object_rate_limit_that_F5_operation_with_429_and_Retry_After()
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);
        await CreateAsync(client, "system", "rates", """{"api_limits":{"ves.io.schema.quota.API.List":{"rate":2,"burst":0,"unit":"per-minute"}}}""");

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(QuotasUrl("default"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(QuotasUrl("system"))).StatusCode);
        var refused = await client.GetAsync(QuotasUrl("default"));

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("30", refused.Headers.GetValues("Retry-After").Single());
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(QuotaUrl("system", "rates"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(LimitsUrl("default"))).StatusCode);

        var otherTenant = await fx.CreateTenantAsync("default");
        var (_, otherSecret) = await fx.CreateTokenAsync(otherTenant);
        using (var other = fx.Client(otherSecret))
        {
            Assert.Equal(HttpStatusCode.OK, (await other.GetAsync(QuotasUrl("default"))).StatusCode);
        }

        fx.Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(QuotasUrl("default"))).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.GetAsync(QuotasUrl("default"))).StatusCode);
    }

    [Fact]
    public async Task A_tenant_can_always_replace_or_delete_a_quota_object_whatever_its_api_limits()
    {
        var tenant = await fx.CreateTenantAsync();
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);
        await CreateAsync(client, "system", "lockout", """{"api_limits":{"ves.io.schema.quota.API.Replace":{"rate":0,"burst":0},"ves.io.schema.quota.API.Delete":{"rate":0,"burst":0},"ves.io.schema.quota.API.Get":{"rate":0,"burst":0}}}""");

        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.GetAsync(QuotaUrl("system", "lockout"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync(QuotaUrl("system", "lockout"), TallyFixture.Json(Body("system", "lockout", """{"api_limits":{"ves.io.schema.quota.API.Delete":{"rate":0,"burst":0}}}""")))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Delete("system", "lockout", null))).StatusCode);
        Assert.Empty(await ListNamesAsync(client, "system"));
    }

    [Fact]
    public async Task Api_limits_set_in_a_namespace_object_do_not_apply_because_api_limits_are_tenant_wide()
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);
        await CreateAsync(client, "default", "ns-rates", """{"api_limits":{"ves.io.schema.quota.API.List":{"rate":0,"burst":0}}}""");

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(QuotasUrl("default"))).StatusCode);
        var limits = await GetJsonAsync(client, LimitsUrl("default"));
        Assert.Empty(limits["apis"]!.AsObject());
    }

    /// <summary>"key=maximum,..." of a limits map, sorted by key.</summary>
    private static string Maxima(JsonNode? map) =>
        string.Join(',', map!.AsObject().OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value!["limit"]!["maximum"]!.ToJsonString()}"));

    /// <summary>"key=maximum/current,..." of a usage map, sorted by key.</summary>
    private static string LimitsAndUsage(JsonNode? map) =>
        string.Join(',', map!.AsObject().OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => $"{kv.Key}={kv.Value!["limit"]!["maximum"]!.ToJsonString()}/{kv.Value["usage"]!["current"]!.ToJsonString()}"));

    /// <summary>The JSON text of an integer: the deprecated maps are int32 on the wire, never "3.0".</summary>
    private static string JsonValueKind(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

public sealed class F5QuotaLimitsTestsOnSqlite(SqliteFixture fx) : F5QuotaLimitsTests(fx), IClassFixture<SqliteFixture>;

public sealed class F5QuotaLimitsTestsOnPostgres(PostgresFixture fx) : F5QuotaLimitsTests(fx), IClassFixture<PostgresFixture>;
