using System.Net;
using System.Text.Json.Nodes;
using Tally.Server.Tests.Infrastructure;
using static Tally.Server.Tests.Quotas.F5QuotaTestKit;

namespace Tally.Server.Tests.Quotas;

public abstract class F5QuotaValidationTests(TallyFixture fx)
{
    private const string Original = """{"object_limits":{"a":{"maximum":3}},"resource_limits":{"r":{"maximum":1.5}},"api_limits":{"x.API.Get":{"rate":5,"burst":1,"unit":"per-minute"}}}""";

    /// <summary>Bad create/replace bodies for a quota object named <c>q1</c> in <c>default</c>, and the field the 400 must name.</summary>
    public static TheoryData<string, string> BadBodies() => new()
    {
        { "not json", "body" },
        { "", "body" },
        { "null", "body" },
        { "{\"metadata\":{\"name\":\"q1\",\"namespace\":\"default\"},\"spec\":", "spec" },
        { "[]", "body" },
        { Body("default", "q1", """{"object_limits":{"a":{"maximum":"abc"}}}"""), "spec.object_limits.a.maximum" },
        { Body("default", "q1", """{"object_limits":{"a":{"maximum":1.5}}}"""), "spec.object_limits.a.maximum" },
        { Body("default", "q1", """{"object_limits":{"a":{"maximum":3000000000}}}"""), "spec.object_limits.a.maximum" },
        { Body("default", "q1", """{"object_limits":{"a":{"maximum":-2}}}"""), "spec.object_limits.a.maximum" },
        { Body("default", "q1", """{"object_limits":{"a":{"maximum":true}}}"""), "spec.object_limits.a.maximum" },
        { Body("default", "q1", """{"object_limits":{"a":5}}"""), "spec.object_limits.a" },
        { Body("default", "q1", """{"object_limits":{"a":null}}"""), "spec.object_limits.a" },
        { Body("default", "q1", """{"object_limits":{"a":{"max":5}}}"""), "spec.object_limits.a.max" },
        { Body("default", "q1", """{"object_limits":{"1bad":{"maximum":5}}}"""), "spec.object_limits.1bad" },
        { Body("default", "q1", """{"object_limits":{"bad-":{"maximum":5}}}"""), "spec.object_limits.bad-" },
        { Body("default", "q1", """{"object_limits":{"has space":{"maximum":5}}}"""), "spec.object_limits.has space" },
        { Body("default", "q1", """{"resource_limits":{"r":{"maximum":-2}}}"""), "spec.resource_limits.r.maximum" },
        { Body("default", "q1", """{"resource_limits":{"r":{"maximum":"abc"}}}"""), "spec.resource_limits.r.maximum" },
        { Body("default", "q1", """{"api_limits":{"x.API.Get":{"rate":-1}}}"""), "spec.api_limits.x.API.Get.rate" },
        { Body("default", "q1", """{"api_limits":{"x.API.Get":{"rate":1,"unit":"per-week"}}}"""), "spec.api_limits.x.API.Get.unit" },
        { Body("default", "q1", """{"api_limits":{"x.API.Get":{"rate":1.5}}}"""), "spec.api_limits.x.API.Get.rate" },
        { Body("default", "q1", """{"apigw_limits":{}}"""), "spec.apigw_limits" },
        { Body("default", "q1", """{"object_limits":[]}"""), "spec.object_limits" },
        { Body("default", "q1", "{}", "\"surprise\":1"), "metadata.surprise" },
        { Body("default", "q1", "{}", "\"uid\":\"x\""), "metadata.uid" },
        { "{\"metadata\":{\"name\":\"q1\",\"namespace\":\"default\"},\"spec\":{},\"system_metadata\":{}}", "system_metadata" },
        { Body("system", "q1"), "metadata.namespace" },
        { Body("default", "q1", "{}", "\"description\":\"" + new string('d', 1201) + "\""), "metadata.description" },
        { Body("default", "q1", "{}", "\"description\":\"" + new string('é', 601) + "\""), "metadata.description" },
        { Body("default", "q1", "{}", "\"description\":5"), "metadata.description" },
        { Body("default", "q1", "{}", "\"disable\":\"yes\""), "metadata.disable" },
        { Body("default", "q1", "{}", "\"labels\":{\"bad key\":\"v\"}"), "metadata.labels.bad key" },
        { Body("default", "q1", "{}", "\"labels\":{\"-a\":\"v\"}"), "metadata.labels.-a" },
        { Body("default", "q1", "{}", "\"labels\":{\"Bad_Prefix/a\":\"v\"}"), "metadata.labels.Bad_Prefix/a" },
        { Body("default", "q1", "{}", "\"labels\":{\"a/b/c\":\"v\"}"), "metadata.labels.a/b/c" },
        { Body("default", "q1", "{}", "\"labels\":{\"" + new string('k', 64) + "\":\"v\"}"), "metadata.labels." + new string('k', 64) },
        { Body("default", "q1", "{}", "\"labels\":{\"k\":\"" + new string('v', 64) + "\"}"), "metadata.labels.k" },
        { Body("default", "q1", "{}", "\"labels\":{\"k\":\"a b\"}"), "metadata.labels.k" },
        { Body("default", "q1", "{}", "\"labels\":{\"k\":\"a\\nb\"}"), "metadata.labels.k" },
        { Body("default", "q1", "{}", "\"labels\":{\"k\":\"ab\\n\"}"), "metadata.labels.k" },
        { Body("default", "q1", "{}", "\"labels\":{\"k\":null}"), "metadata.labels.k" },
        { Body("default", "q1", "{}", "\"labels\":{\"k\":1}"), "metadata.labels.k" },
        { Body("default", "q1", "{}", "\"labels\":{" + string.Join(',', Enumerable.Range(0, 65).Select(i => $"\"k{i}\":\"v\"")) + "}"), "metadata.labels" },
        { Body("default", "q1", "{}", "\"annotations\":{\"k\":\"\"}"), "metadata.annotations.k" },
        { Body("default", "q1", "{}", "\"annotations\":{\"\":\"v\"}"), "metadata.annotations." },
        { Body("default", "q1", "{}", "\"annotations\":{\"" + new string('k', 65) + "\":\"v\"}"), "metadata.annotations." + new string('k', 65) },
        { Body("default", "q1", "{}", "\"annotations\":{\"k\":\"" + new string('v', 1025) + "\"}"), "metadata.annotations.k" },
        { Body("default", "q1", "{}", "\"annotations\":{" + string.Join(',', Enumerable.Range(0, 65).Select(i => $"\"k{i}\":\"v\"")) + "}"), "metadata.annotations" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_create_input_is_a_400_naming_the_field_and_creates_nothing(string body, string field)
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);

        await AssertBadRequestAsync(await client.PostAsync(QuotasUrl("default"), TallyFixture.Json(body)), field);

        Assert.Empty(await ListNamesAsync(client, "default"));
        Assert.Empty(await ListNamesAsync(client, "system"));
    }

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_replace_input_is_a_400_naming_the_field_and_changes_nothing(string body, string field)
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);
        await CreateAsync(client, "default", "q1", Original, "\"labels\":{\"keep\":\"me\"}");
        var before = await GetJsonAsync(client, QuotaUrl("default", "q1"));

        await AssertBadRequestAsync(await client.PutAsync(QuotaUrl("default", "q1"), TallyFixture.Json(body)), field);

        var after = await GetJsonAsync(client, QuotaUrl("default", "q1"));
        Assert.True(JsonNode.DeepEquals(before, after), after.ToJsonString());
    }

    [Theory]
    [InlineData("{\"metadata\":{\"name\":\"q1\"},\"spec\":{}}")]
    [InlineData("{\"spec\":{}}")]
    [InlineData("{\"metadata\":{\"name\":\"\"},\"spec\":{}}")]
    public async Task Create_needs_metadata_name(string body)
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);

        var response = await client.PostAsync(QuotasUrl("default"), TallyFixture.Json(body));

        if (body.Contains("\"q1\"", StringComparison.Ordinal))
        {
            // metadata.namespace may be left out: the path names it.
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(["q1"], await ListNamesAsync(client, "default"));
        }
        else
        {
            await AssertBadRequestAsync(response, "metadata.name");
            Assert.Empty(await ListNamesAsync(client, "default"));
        }
    }

    [Theory]
    [InlineData("Bad_Name")]
    [InlineData("1abc")]
    [InlineData("abc-")]
    public async Task Create_refuses_a_name_that_is_not_a_DNS_1035_label(string name)
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);
        var body = new JsonObject { ["metadata"] = new JsonObject { ["name"] = name }, ["spec"] = new JsonObject() };

        await AssertBadRequestAsync(await client.PostAsync(QuotasUrl("default"), TallyFixture.Json(body.ToJsonString())), "metadata.name");

        Assert.Empty(await ListNamesAsync(client, "default"));
    }

    [Theory]
    [InlineData("{\"metadata\":{\"name\":\"abc\\n\"},\"spec\":{}}", "metadata.name")]
    [InlineData("{\"metadata\":{\"name\":\"q1\"},\"spec\":{\"object_limits\":{\"abc\\n\":{\"maximum\":1}}}}", "spec.object_limits.abc\n")]
    public async Task A_name_or_key_ending_in_a_newline_is_refused(string body, string field)
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);

        await AssertBadRequestAsync(await client.PostAsync(QuotasUrl("default"), TallyFixture.Json(body)), field);
    }

    [Fact]
    public async Task Replace_refuses_a_body_naming_another_object_or_missing_its_spec()
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);
        await CreateAsync(client, "default", "q1", Original);
        await CreateAsync(client, "default", "q2", Original);
        var before = await GetJsonAsync(client, QuotasUrl("default") + "?report_fields=x");

        await AssertBadRequestAsync(await client.PutAsync(QuotaUrl("default", "q1"), TallyFixture.Json(Body("default", "q2"))), "metadata.name");
        await AssertBadRequestAsync(await client.PutAsync(QuotaUrl("default", "q1"), TallyFixture.Json("{\"metadata\":{\"name\":\"q1\"}}")), "spec");
        await AssertBadRequestAsync(await client.PutAsync(QuotaUrl("default", "q1"), TallyFixture.Json("")), "body");

        var after = await GetJsonAsync(client, QuotasUrl("default") + "?report_fields=x");
        Assert.True(JsonNode.DeepEquals(before, after), after.ToJsonString());
    }

    [Fact]
    public async Task Boundary_values_are_accepted()
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);
        var labels = string.Join(',', Enumerable.Range(0, 63).Select(i => $"\"k{i}\":\"\"")) + ",\"" + new string('p', 253) + "/" + new string('n', 63) + "\":\"" + new string('v', 63) + "\"";
        var annotations = string.Join(',', Enumerable.Range(0, 63).Select(i => $"\"a{i}\":\"x\"")) + ",\"" + new string('k', 64) + "\":\"" + new string('ü', 1024) + "\"";
        var meta = $"\"description\":\"{new string('é', 600)}\",\"labels\":{{{labels}}},\"annotations\":{{{annotations}}}";
        const string spec = """{"object_limits":{"a":{"maximum":-1},"b":{"maximum":0},"c":{"maximum":2147483647},"x":{"maximum":"7"}},"resource_limits":{"r":{"maximum":-1},"s":{"maximum":0.000001}},"api_limits":{"x.API.Get":{"rate":0}}}""";

        var created = await CreateAsync(client, "default", "q1", spec, meta);

        await F5Schema.Quota.AssertValidAsync("quotaCreateResponse", created.ToJsonString());
        Assert.Equal(64, created["metadata"]!["labels"]!.AsObject().Count);
        Assert.Equal(64, created["metadata"]!["annotations"]!.AsObject().Count);
        Assert.Equal(7, (int)created["spec"]!["object_limits"]!["x"]!["maximum"]!);
        Assert.Equal(2147483647, (int)created["spec"]!["object_limits"]!["c"]!["maximum"]!);
    }
}

public sealed class F5QuotaValidationTestsOnSqlite(SqliteFixture fx) : F5QuotaValidationTests(fx), IClassFixture<SqliteFixture>;

public sealed class F5QuotaValidationTestsOnPostgres(PostgresFixture fx) : F5QuotaValidationTests(fx), IClassFixture<PostgresFixture>;
