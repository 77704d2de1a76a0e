using System.Net;
using System.Net.Http.Json;
using Tally.Server.Tests.Infrastructure;

namespace Tally.Server.Tests.Admin;

public abstract class NamespaceApiTests(TallyFixture fx)
{
    [Fact]
    public async Task A_namespace_can_be_created_listed_and_deleted()
    {
        var tenant = await fx.CreateTenantAsync();
        using var client = fx.Operator();

        var created = await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/namespaces", new { name = "default" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var list = await TallyFixture.ReadObjectAsync(await client.GetAsync($"/api/admin/tenants/{tenant}/namespaces"));
        Assert.Equal(["default", "system"], list["items"]!.AsArray().Select(n => (string)n!["name"]!));

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/admin/tenants/{tenant}/namespaces/default")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync($"/api/admin/tenants/{tenant}/namespaces/default")).StatusCode);
        list = await TallyFixture.ReadObjectAsync(await client.GetAsync($"/api/admin/tenants/{tenant}/namespaces"));
        Assert.Single(list["items"]!.AsArray());
    }

    [Fact]
    public async Task The_system_namespace_cannot_be_deleted()
    {
        var tenant = await fx.CreateTenantAsync();
        using var client = fx.Operator();
        Assert.Equal(HttpStatusCode.Conflict, (await client.DeleteAsync($"/api/admin/tenants/{tenant}/namespaces/system")).StatusCode);
    }

    [Fact]
    public async Task A_duplicate_namespace_is_a_conflict()
    {
        var tenant = await fx.CreateTenantAsync("default");
        using var client = fx.Operator();
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/namespaces", new { name = "default" })).StatusCode);
    }

    [Theory]
    [InlineData("{\"name\":\"Default\"}", "name")]
    [InlineData("{\"name\":\"-x\"}", "name")]
    [InlineData("{\"name\":\"a234567890123456789012345678901234567890123456789012345678901234\"}", "name")]
    [InlineData("{\"name\":5}", "name")]
    [InlineData("{\"name\":\"ok\",\"extra\":1}", "extra")]
    [InlineData("{}", "name")]
    [InlineData("[", "body")]
    public async Task Bad_namespace_input_is_a_400_naming_the_field_and_writes_nothing(string body, string field)
    {
        var tenant = await fx.CreateTenantAsync();
        using var client = fx.Operator();

        var response = await client.PostAsync($"/api/admin/tenants/{tenant}/namespaces", TallyFixture.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, (string?)(await TallyFixture.ReadObjectAsync(response))["field"]);
        var list = await TallyFixture.ReadObjectAsync(await client.GetAsync($"/api/admin/tenants/{tenant}/namespaces"));
        Assert.Single(list["items"]!.AsArray());
    }

    [Fact]
    public async Task Another_tenants_token_gets_404_on_every_namespace_route()
    {
        var tenant = await fx.CreateTenantAsync("default");
        var other = await fx.CreateTenantAsync();
        var (_, secret) = await fx.CreateTokenAsync(other);
        using var client = fx.Client(secret);

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/admin/tenants/{tenant}/namespaces")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/namespaces", new { name = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync($"/api/admin/tenants/{tenant}/namespaces/default")).StatusCode);
        using var op = fx.Operator();
        var list = await TallyFixture.ReadObjectAsync(await op.GetAsync($"/api/admin/tenants/{tenant}/namespaces"));
        Assert.Equal(2, list["items"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_viewer_can_list_but_not_create_or_delete_namespaces()
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant, role: "viewer");
        using var client = fx.Client(secret);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/admin/tenants/{tenant}/namespaces")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/namespaces", new { name = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.DeleteAsync($"/api/admin/tenants/{tenant}/namespaces/default")).StatusCode);
    }

    [Fact]
    public async Task A_tenant_member_manages_its_own_namespaces()
    {
        var tenant = await fx.CreateTenantAsync();
        var (_, secret) = await fx.CreateTokenAsync(tenant, role: "member");
        using var client = fx.Client(secret);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/namespaces", new { name = "team-a" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/admin/tenants/{tenant}/namespaces/team-a")).StatusCode);
    }

    [Fact]
    public async Task A_token_limited_to_one_namespace_sees_only_that_namespace()
    {
        var tenant = await fx.CreateTenantAsync("alpha", "beta");
        var (_, secret) = await fx.CreateTokenAsync(tenant, namespaces: ["alpha"]);
        using var client = fx.Client(secret);

        var list = await TallyFixture.ReadObjectAsync(await client.GetAsync($"/api/admin/tenants/{tenant}/namespaces"));
        Assert.Equal(["alpha"], list["items"]!.AsArray().Select(n => (string)n!["name"]!));
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync($"/api/admin/tenants/{tenant}/namespaces/beta")).StatusCode);
    }

    [Fact]
    public async Task Namespace_routes_without_a_token_are_401()
    {
        var tenant = await fx.CreateTenantAsync();
        using var client = fx.Client(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync($"/api/admin/tenants/{tenant}/namespaces")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/namespaces", new { name = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.DeleteAsync($"/api/admin/tenants/{tenant}/namespaces/x")).StatusCode);
    }
}

public sealed class NamespaceApiTestsOnSqlite(SqliteFixture fx) : NamespaceApiTests(fx), IClassFixture<SqliteFixture>;

public sealed class NamespaceApiTestsOnPostgres(PostgresFixture fx) : NamespaceApiTests(fx), IClassFixture<PostgresFixture>;
