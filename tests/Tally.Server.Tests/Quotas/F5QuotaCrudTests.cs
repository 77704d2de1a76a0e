using System.Net;
using System.Text.Json.Nodes;
using Tally.Server.Tests.Infrastructure;
using static Tally.Server.Tests.Quotas.F5QuotaTestKit;

namespace Tally.Server.Tests.Quotas;

public abstract class F5QuotaCrudTests(TallyFixture fx)
{
    private const string Spec = """
        {"object_limits":{"http_loadbalancer":{"maximum":25}},
         "resource_limits":{"node_flavor_small":{"maximum":2.5}},
         "api_limits":{"ves.io.schema.advertise_policy.API.Create":{"rate":10,"burst":20,"unit":"per-second"}}}
        """;

    [Fact]
    public async Task Create_get_replace_list_and_delete_round_trip_in_F5_shapes()
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (tokenId, secret) = await fx.CreateTokenAsync(tenant, role: "member");
        using var client = fx.Client(secret);
        var createdAt = fx.Clock.GetUtcNow();

        var create = await client.PostAsync(QuotasUrl("default"), TallyFixture.Json(Body("default", "my-quota", Spec,
            "\"labels\":{\"env\":\"prod\",\"example.com/tier\":\"web\"},\"annotations\":{\"owner\":\"ops team\"},\"description\":\"Web quota\",\"disable\":false")));

        Assert.Equal(HttpStatusCode.OK, create.StatusCode);
        var createText = await create.Content.ReadAsStringAsync();
        await F5Schema.Quota.AssertValidAsync("quotaCreateResponse", createText);
        var created = JsonNode.Parse(createText)!;
        Assert.Equal("my-quota", (string?)created["metadata"]!["name"]);
        Assert.Equal("default", (string?)created["metadata"]!["namespace"]);
        Assert.Equal("prod", (string?)created["metadata"]!["labels"]!["env"]);
        Assert.Equal("ops team", (string?)created["metadata"]!["annotations"]!["owner"]);
        Assert.Equal("Web quota", (string?)created["metadata"]!["description"]);
        Assert.False((bool)created["metadata"]!["disable"]!);
        var system = created["system_metadata"]!;
        var uid = (string)system["uid"]!;
        Assert.True(Guid.TryParse(uid, out _), uid);
        Assert.Equal("tally", (string?)system["creator_class"]);
        Assert.Equal(tokenId, (string?)system["creator_id"]);
        Assert.Equal(tenant, (string?)system["tenant"]);
        Assert.Equal(createdAt, DateTimeOffset.Parse((string)system["creation_timestamp"]!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.EndsWith("Z", (string)system["creation_timestamp"]!, StringComparison.Ordinal);
        Assert.Equal(25, (int)created["spec"]!["object_limits"]!["http_loadbalancer"]!["maximum"]!);
        Assert.Equal(2.5, (double)created["spec"]!["resource_limits"]!["node_flavor_small"]!["maximum"]!);
        Assert.Equal(20, (int)created["spec"]!["api_limits"]!["ves.io.schema.advertise_policy.API.Create"]!["burst"]!);

        var getText = await client.GetStringAsync(QuotaUrl("default", "my-quota"));
        await F5Schema.Quota.AssertValidAsync("quotaGetResponse", getText);
        var got = JsonNode.Parse(getText)!;
        Assert.True(JsonNode.DeepEquals(created["metadata"], got["metadata"]), getText);
        Assert.True(JsonNode.DeepEquals(created["system_metadata"], got["system_metadata"]), getText);
        Assert.True(JsonNode.DeepEquals(created["spec"], got["spec"]), getText);

        fx.Clock.Advance(TimeSpan.FromMinutes(3));
        var replace = await client.PutAsync(QuotaUrl("default", "my-quota"), TallyFixture.Json(Body("default", "my-quota",
            """{"object_limits":{"origin_pool":{"maximum":-1}}}""", "\"labels\":{\"env\":\"staging\"},\"disable\":true")));
        Assert.Equal(HttpStatusCode.OK, replace.StatusCode);
        var replaceText = await replace.Content.ReadAsStringAsync();
        Assert.Equal("{}", replaceText);
        await F5Schema.Quota.AssertValidAsync("quotaReplaceResponse", replaceText);

        var after = JsonNode.Parse(await client.GetStringAsync(QuotaUrl("default", "my-quota")))!;
        Assert.Equal(uid, (string?)after["system_metadata"]!["uid"]);
        Assert.Equal((string?)system["creation_timestamp"], (string?)after["system_metadata"]!["creation_timestamp"]);
        Assert.Equal(createdAt.AddMinutes(3), DateTimeOffset.Parse((string)after["system_metadata"]!["modification_timestamp"]!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("staging", (string?)after["metadata"]!["labels"]!["env"]);
        Assert.Null(after["metadata"]!["labels"]!["example.com/tier"]);
        Assert.Empty(after["metadata"]!["annotations"]!.AsObject());
        Assert.Equal("", (string?)after["metadata"]!["description"]);
        Assert.True((bool)after["metadata"]!["disable"]!);
        Assert.Equal(-1, (int)after["spec"]!["object_limits"]!["origin_pool"]!["maximum"]!);
        Assert.Empty(after["spec"]!["resource_limits"]!.AsObject());

        var listText = await client.GetStringAsync(QuotasUrl("default"));
        await F5Schema.Quota.AssertValidAsync("quotaListResponse", listText);
        var item = JsonNode.Parse(listText)!["items"]!.AsArray().Single()!;
        Assert.Equal(tenant, (string?)item["tenant"]);
        Assert.Equal("default", (string?)item["namespace"]);
        Assert.Equal(uid, (string?)item["uid"]);
        Assert.True((bool)item["disabled"]!);

        var delete = await client.DeleteAsync(QuotaUrl("default", "my-quota"));
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        Assert.Equal("{}", await delete.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(QuotaUrl("default", "my-quota"))).StatusCode);
        Assert.Empty(await ListNamesAsync(client, "default"));
    }

    [Fact]
    public async Task Creating_the_same_name_twice_is_a_409_and_the_same_name_in_another_namespace_is_fine()
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);
        await CreateAsync(client, "default", "q1", """{"object_limits":{"a":{"maximum":1}}}""");

        var again = await client.PostAsync(QuotasUrl("default"), TallyFixture.Json(Body("default", "q1", """{"object_limits":{"a":{"maximum":9}}}""")));

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var kept = await GetJsonAsync(client, QuotaUrl("default", "q1"));
        Assert.Equal(1, (int)kept["spec"]!["object_limits"]!["a"]!["maximum"]!);
        await CreateAsync(client, "system", "q1");
    }

    [Fact]
    public async Task Replacing_getting_or_deleting_a_missing_object_is_a_404()
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);

        Assert.Equal(HttpStatusCode.NotFound, (await client.PutAsync(QuotaUrl("default", "nope"), TallyFixture.Json(Body("default", "nope")))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(QuotaUrl("default", "nope"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync(QuotaUrl("default", "nope"))).StatusCode);
        Assert.Empty(await ListNamesAsync(client, "default"));
    }

    [Theory]
    [InlineData("GET_RSP_FORMAT_DEFAULT", "metadata,spec,status,system_metadata")]
    [InlineData("0", "metadata,spec,status,system_metadata")]
    [InlineData("", "metadata,spec,status,system_metadata")]
    [InlineData("GET_RSP_FORMAT_FOR_CREATE", "create_form")]
    [InlineData("1", "create_form")]
    [InlineData("GET_RSP_FORMAT_FOR_REPLACE", "replace_form")]
    [InlineData("2", "replace_form")]
    [InlineData("GET_RSP_FORMAT_STATUS", "status")]
    [InlineData("3", "status")]
    [InlineData("GET_RSP_FORMAT_READ", "metadata,spec,system_metadata")]
    [InlineData("4", "metadata,spec,system_metadata")]
    [InlineData("GET_RSP_FORMAT_REFERRING_OBJECTS", "referring_objects")]
    [InlineData("5", "referring_objects")]
    [InlineData("GET_RSP_FORMAT_BROKEN_REFERENCES", "deleted_referred_objects,disabled_referred_objects")]
    [InlineData("6", "deleted_referred_objects,disabled_referred_objects")]
    public async Task Get_answers_every_response_format_by_name_or_number(string format, string members)
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant, role: "viewer");
        var (_, admin) = await fx.CreateTokenAsync(tenant);
        using (var adminClient = fx.Client(admin))
        {
            await CreateAsync(adminClient, "default", "q1", Spec, "\"labels\":{\"a\":\"b\"}");
        }

        using var client = fx.Client(secret);
        var text = await client.GetStringAsync(QuotaUrl("default", "q1") + "?response_format=" + format);

        await F5Schema.Quota.AssertValidAsync("quotaGetResponse", text);
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(members, string.Join(',', body.Select(kv => kv.Key).Order(StringComparer.Ordinal)));
        if (body["create_form"] is { } createForm)
        {
            await F5Schema.Quota.AssertValidAsync("quotaCreateRequest", createForm.ToJsonString());
            Assert.Equal("", (string?)createForm["metadata"]!["name"]);
            Assert.Equal("b", (string?)createForm["metadata"]!["labels"]!["a"]);
            Assert.Equal(25, (int)createForm["spec"]!["object_limits"]!["http_loadbalancer"]!["maximum"]!);
        }

        if (body["replace_form"] is { } replaceForm)
        {
            Assert.Equal("q1", (string?)replaceForm["metadata"]!["name"]);
            Assert.Equal(2.5, (double)replaceForm["spec"]!["resource_limits"]!["node_flavor_small"]!["maximum"]!);
        }
    }

    [Fact]
    public async Task A_replace_form_from_Get_can_be_sent_back_unchanged()
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);
        await CreateAsync(client, "default", "q1", Spec, "\"annotations\":{\"k\":\"v\"}");
        var form = (await GetJsonAsync(client, QuotaUrl("default", "q1") + "?response_format=GET_RSP_FORMAT_FOR_REPLACE"))["replace_form"]!;

        var replace = await client.PutAsync(QuotaUrl("default", "q1"), TallyFixture.Json(form.ToJsonString()));

        Assert.Equal(HttpStatusCode.OK, replace.StatusCode);
        var after = await GetJsonAsync(client, QuotaUrl("default", "q1") + "?response_format=2");
        Assert.True(JsonNode.DeepEquals(form, after["replace_form"]), after.ToJsonString());
    }

    [Theory]
    [InlineData("GET_RSP_FORMAT_SOMETHING")]
    [InlineData("7")]
    [InlineData("-1")]
    [InlineData("get_rsp_format_default")]
    public async Task Get_with_an_unknown_response_format_is_a_400_naming_it(string format)
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);
        await CreateAsync(client, "default", "q1");

        await AssertBadRequestAsync(await client.GetAsync(QuotaUrl("default", "q1") + "?response_format=" + format), "response_format");
    }

    [Theory]
    [InlineData("", "a-web-prod,b-web-dev,c-db-prod,d-none")]
    [InlineData("env=prod", "a-web-prod,c-db-prod")]
    [InlineData("env==prod", "a-web-prod,c-db-prod")]
    [InlineData("env!=prod", "b-web-dev,d-none")]
    [InlineData("env in (prod, dev)", "a-web-prod,b-web-dev,c-db-prod")]
    [InlineData("tier notin (web)", "c-db-prod,d-none")]
    [InlineData("env", "a-web-prod,b-web-dev,c-db-prod")]
    [InlineData("!env", "d-none")]
    [InlineData("tier in (web),env=dev", "b-web-dev")]
    [InlineData("example.com/team=core", "c-db-prod")]
    [InlineData("env=qa", "")]
    public async Task List_filters_by_label_selector(string selector, string expected)
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);
        await CreateAsync(client, "default", "c-db-prod", metaExtra: "\"labels\":{\"env\":\"prod\",\"tier\":\"db\",\"example.com/team\":\"core\"}");
        await CreateAsync(client, "default", "a-web-prod", metaExtra: "\"labels\":{\"env\":\"prod\",\"tier\":\"web\"}");
        await CreateAsync(client, "default", "b-web-dev", metaExtra: "\"labels\":{\"env\":\"dev\",\"tier\":\"web\"}");
        await CreateAsync(client, "default", "d-none");
        await CreateAsync(client, "system", "elsewhere", metaExtra: "\"labels\":{\"env\":\"prod\"}");

        var names = await ListNamesAsync(client, "default", "?label_filter=" + Uri.EscapeDataString(selector));

        Assert.Equal(expected, string.Join(',', names));
    }

    [Theory]
    [InlineData("env in (prod")]
    [InlineData("env ~ prod")]
    [InlineData("=prod")]
    [InlineData("env=prod,")]
    public async Task List_with_a_bad_label_filter_is_a_400_naming_it(string selector)
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);

        await AssertBadRequestAsync(await client.GetAsync(QuotasUrl("default") + "?label_filter=" + Uri.EscapeDataString(selector)), "label_filter");
    }

    [Theory]
    [InlineData("", "annotations,description,disabled,labels,name,namespace,tenant,uid")]
    [InlineData("?report_fields=", "annotations,description,disabled,get_spec,labels,metadata,name,namespace,system_metadata,tenant,uid")]
    [InlineData("?report_fields=metadata&report_fields=spec", "annotations,description,disabled,get_spec,labels,metadata,name,namespace,system_metadata,tenant,uid")]
    [InlineData("?report_status_fields=x", "annotations,description,disabled,labels,name,namespace,status_set,tenant,uid")]
    public async Task List_items_carry_the_summary_and_more_with_report_fields(string query, string members)
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);
        await CreateAsync(client, "default", "q1", Spec);

        var text = await client.GetStringAsync(QuotasUrl("default") + query);

        await F5Schema.Quota.AssertValidAsync("quotaListResponse", text);
        var list = JsonNode.Parse(text)!;
        Assert.Empty(list["errors"]!.AsArray());
        var item = list["items"]!.AsArray().Single()!.AsObject();
        Assert.Equal(members, string.Join(',', item.Select(kv => kv.Key).Order(StringComparer.Ordinal)));
        if (item["get_spec"] is { } spec)
        {
            Assert.Equal(25, (int)spec["object_limits"]!["http_loadbalancer"]!["maximum"]!);
            Assert.Equal("q1", (string?)item["metadata"]!["name"]);
            Assert.Equal(tenant, (string?)item["system_metadata"]!["tenant"]);
        }
    }

    [Theory]
    [InlineData(null, "application/json")]
    [InlineData("", "application/json")]
    [InlineData("{}", "application/json")]
    [InlineData("null", "application/json")]
    [InlineData("{\"name\":\"q1\",\"namespace\":\"default\",\"fail_if_referred\":true}", "application/json")]
    public async Task Delete_takes_an_optional_body_that_must_match_the_path(string? body, string contentType)
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);
        await CreateAsync(client, "default", "q1");

        var response = await client.SendAsync(Delete("default", "q1", body, contentType));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await ListNamesAsync(client, "default"));
    }

    [Fact]
    public async Task Bodies_without_a_Content_Type_are_read_as_JSON_as_F5s_Go_client_sends_them()
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);
        static HttpRequestMessage Raw(HttpMethod method, string url, string body) =>
            new(method, url) { Content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(body)) };

        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Raw(HttpMethod.Post, QuotasUrl("default"), Body("default", "q1", Spec)))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Raw(HttpMethod.Put, QuotaUrl("default", "q1"), Body("default", "q1", """{"object_limits":{"a":{"maximum":7}}}""")))).StatusCode);
        Assert.Equal(7, (int)(await GetJsonAsync(client, QuotaUrl("default", "q1")))["spec"]!["object_limits"]!["a"]!["maximum"]!);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Raw(HttpMethod.Delete, QuotaUrl("default", "q1"), """{"name":"q1","namespace":"default"}"""))).StatusCode);
        Assert.Empty(await ListNamesAsync(client, "default"));
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Raw(HttpMethod.Post, QuotasUrl("default"), "\uFEFF" + Body("default", "bom")))).StatusCode);
        Assert.Equal(["bom"], await ListNamesAsync(client, "default"));
    }

    [Fact]
    public async Task Replace_takes_name_and_namespace_from_the_path_when_the_body_leaves_them_out()
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);
        await CreateAsync(client, "default", "q1", """{"object_limits":{"a":{"maximum":1}}}""");

        var replace = await client.PutAsync(QuotaUrl("default", "q1"), TallyFixture.Json("""{"metadata":{"description":"d"},"spec":{"object_limits":{"a":{"maximum":2}}}}"""));

        Assert.Equal(HttpStatusCode.OK, replace.StatusCode);
        var after = await GetJsonAsync(client, QuotaUrl("default", "q1"));
        Assert.Equal("d", (string?)after["metadata"]!["description"]);
        Assert.Equal(2, (int)after["spec"]!["object_limits"]!["a"]!["maximum"]!);
    }

    [Fact]
    public async Task Create_and_replace_with_a_body_that_is_not_JSON_are_a_415_and_write_nothing()
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);
        await CreateAsync(client, "default", "q1", """{"object_limits":{"a":{"maximum":1}}}""");

        var create = await client.PostAsync(QuotasUrl("default"), new StringContent(Body("default", "q2"), System.Text.Encoding.UTF8, "text/plain"));
        var replace = await client.PutAsync(QuotaUrl("default", "q1"), new StringContent(Body("default", "q1"), System.Text.Encoding.UTF8, "text/plain"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, create.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, replace.StatusCode);
        Assert.Equal(["q1"], await ListNamesAsync(client, "default"));
        Assert.Equal(1, (int)(await GetJsonAsync(client, QuotaUrl("default", "q1")))["spec"]!["object_limits"]!["a"]!["maximum"]!);
    }

    [Fact]
    public async Task Delete_with_a_body_that_is_not_JSON_is_a_415_and_deletes_nothing()
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);
        await CreateAsync(client, "default", "q1");

        var response = await client.SendAsync(Delete("default", "q1", "{\"name\":\"q1\"}", "text/plain"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal(["q1"], await ListNamesAsync(client, "default"));
    }

    [Theory]
    [InlineData("{\"name\":\"q2\"}", "name")]
    [InlineData("{\"namespace\":\"system\"}", "namespace")]
    [InlineData("{\"name\":\"q1\",\"surprise\":1}", "surprise")]
    [InlineData("{\"fail_if_referred\":\"yes\"}", "fail_if_referred")]
    [InlineData("{\"name\":", "name")]
    [InlineData("not json", "body")]
    public async Task Delete_with_a_bad_body_is_a_400_and_deletes_nothing(string body, string field)
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);
        await CreateAsync(client, "default", "q1");

        await AssertBadRequestAsync(await client.SendAsync(Delete("default", "q1", body)), field);

        Assert.Equal(["q1"], await ListNamesAsync(client, "default"));
    }
}

public sealed class F5QuotaCrudTestsOnSqlite(SqliteFixture fx) : F5QuotaCrudTests(fx), IClassFixture<SqliteFixture>;

public sealed class F5QuotaCrudTestsOnPostgres(PostgresFixture fx) : F5QuotaCrudTests(fx), IClassFixture<PostgresFixture>;
