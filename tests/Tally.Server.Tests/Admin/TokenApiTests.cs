using System.Net;
using System.Net.Http.Json;
using Tally.Server.Tests.Infrastructure;

namespace Tally.Server.Tests.Admin;

public abstract class TokenApiTests(TallyFixture fx)
{
    [Fact]
    public async Task A_created_token_shows_its_secret_once_and_works()
    {
        var tenant = await fx.CreateTenantAsync("default");
        using var op = fx.Operator();

        var response = await op.PostAsJsonAsync("/api/admin/tokens", new { tenant, name = "ci", role = "member", permissions = new[] { "quota" }, scopes = new[] { "quota:admit" }, namespaces = new[] { "default" } });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await TallyFixture.ReadObjectAsync(response);
        var secret = (string)created["token"]!;
        Assert.StartsWith("tly_", secret, StringComparison.Ordinal);
        Assert.True(secret.Length >= 4 + 43, "secret carries 256 bits");
        Assert.Equal("member", (string?)created["role"]);
        var listed = await op.GetStringAsync($"/api/admin/tokens?tenant={tenant}");
        Assert.Contains((string)created["id"]!, listed, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, listed, StringComparison.Ordinal);
        using var client = fx.Client(secret);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/admin/tenants/{tenant}")).StatusCode);
    }

    [Fact]
    public async Task A_tenant_admin_manages_only_its_own_tenants_tokens()
    {
        var mine = await fx.CreateTenantAsync();
        var theirs = await fx.CreateTenantAsync();
        var (_, admin) = await fx.CreateTokenAsync(mine);
        var (theirId, _) = await fx.CreateTokenAsync(theirs);
        using var client = fx.Client(admin);

        var own = await client.PostAsJsonAsync("/api/admin/tokens", new { name = "mine", role = "viewer" });
        Assert.Equal(HttpStatusCode.Created, own.StatusCode);
        Assert.Equal(mine, (string?)(await TallyFixture.ReadObjectAsync(own))["tenant"]);

        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsJsonAsync("/api/admin/tokens", new { tenant = theirs, name = "x", role = "viewer" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/admin/tokens?tenant={theirs}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync($"/api/admin/tokens/{theirId}")).StatusCode);
        var list = await client.GetStringAsync("/api/admin/tokens");
        Assert.DoesNotContain(theirId, list, StringComparison.Ordinal);
        Assert.DoesNotContain(theirs, list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_cannot_hand_out_more_than_it_holds()
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, admin) = await fx.CreateTokenAsync(tenant, namespaces: ["default"], permissions: ["quota"]);
        using var client = fx.Client(admin);

        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync("/api/admin/tokens", new { name = "x", role = "admin", scopes = new[] { "quota:admit" }, namespaces = new[] { "default" }, permissions = new[] { "quota" } })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync("/api/admin/tokens", new { name = "x", role = "admin", permissions = new[] { "quota" } })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync("/api/admin/tokens", new { name = "x", role = "admin", namespaces = new[] { "default" }, permissions = new[] { "billing" } })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/api/admin/tokens", new { name = "x", role = "viewer", namespaces = new[] { "default" }, permissions = new[] { "quota" } })).StatusCode);
    }

    [Fact]
    public async Task Members_and_viewers_cannot_manage_tokens()
    {
        var tenant = await fx.CreateTenantAsync();
        var (id, _) = await fx.CreateTokenAsync(tenant);
        foreach (var role in new[] { "member", "viewer" })
        {
            var (_, secret) = await fx.CreateTokenAsync(tenant, role: role);
            using var client = fx.Client(secret);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync("/api/admin/tokens", new { name = "x", role = "viewer" })).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/admin/tokens")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.DeleteAsync($"/api/admin/tokens/{id}")).StatusCode);
        }
    }

    [Fact]
    public async Task A_revoked_token_is_refused_at_once()
    {
        var tenant = await fx.CreateTenantAsync();
        var (id, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/admin/tenants/{tenant}")).StatusCode);

        using var op = fx.Operator();
        Assert.Equal(HttpStatusCode.NoContent, (await op.DeleteAsync($"/api/admin/tokens/{id}")).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync($"/api/admin/tenants/{tenant}")).StatusCode);
        var listed = await TallyFixture.ReadObjectAsync(await op.GetAsync($"/api/admin/tokens?tenant={tenant}"));
        Assert.NotNull(listed["items"]!.AsArray().Single(t => (string?)t!["id"] == id)!["revoked_at"]);
    }

    [Fact]
    public async Task A_tenant_admin_asking_for_tenant_null_gets_a_token_of_its_own_tenant_not_an_operator_token()
    {
        var tenant = await fx.CreateTenantAsync();
        var (_, admin) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(admin);
        var response = await client.PostAsync("/api/admin/tokens", TallyFixture.Json("{\"tenant\":null,\"name\":\"x\",\"role\":\"viewer\"}"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(tenant, (string?)(await TallyFixture.ReadObjectAsync(response))["tenant"]);
    }

    [Theory]
    [InlineData("{\"name\":\"x\",\"role\":\"owner\"}", "role")]
    [InlineData("{\"name\":\"\",\"role\":\"admin\"}", "name")]
    [InlineData("{\"role\":\"admin\"}", "name")]
    [InlineData("{\"name\":\"x\",\"role\":\"admin\",\"scopes\":[\"root\"]}", "scopes[0]")]
    [InlineData("{\"name\":\"x\",\"role\":\"admin\",\"permissions\":[\"everything\"]}", "permissions[0]")]
    [InlineData("{\"name\":\"x\",\"role\":\"admin\",\"namespaces\":[\"nowhere\"]}", "namespaces[0]")]
    [InlineData("{\"name\":\"x\",\"role\":\"admin\",\"expires_at\":\"2001-01-01T00:00:00Z\"}", "expires_at")]
    [InlineData("{\"name\":\"x\",\"role\":\"admin\",\"expires_at\":\"yesterday\"}", "expires_at")]
    [InlineData("{\"name\":\"x\",\"role\":\"admin\",\"scopes\":\"billing\"}", "scopes")]
    public async Task Bad_token_input_is_a_400_naming_the_field_and_creates_nothing(string body, string field)
    {
        var tenant = await fx.CreateTenantAsync();
        using var op = fx.Operator();
        var json = body.Replace("{\"name\"", $"{{\"tenant\":\"{tenant}\",\"name\"", StringComparison.Ordinal).Replace("{\"role\"", $"{{\"tenant\":\"{tenant}\",\"role\"", StringComparison.Ordinal);

        var response = await op.PostAsync("/api/admin/tokens", TallyFixture.Json(json));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, (string?)(await TallyFixture.ReadObjectAsync(response))["field"]);
        var list = await TallyFixture.ReadObjectAsync(await op.GetAsync($"/api/admin/tokens?tenant={tenant}"));
        Assert.Empty(list["items"]!.AsArray());
    }

    [Fact]
    public async Task Token_routes_without_a_token_are_401()
    {
        using var client = fx.Client(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/admin/tokens")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/admin/tokens", new { name = "x", role = "admin" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.DeleteAsync("/api/admin/tokens/abc")).StatusCode);
    }
}

public sealed class TokenApiTestsOnSqlite(SqliteFixture fx) : TokenApiTests(fx), IClassFixture<SqliteFixture>;

public sealed class TokenApiTestsOnPostgres(PostgresFixture fx) : TokenApiTests(fx), IClassFixture<PostgresFixture>;
