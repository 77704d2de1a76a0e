using System.Net;
using System.Net.Http.Json;
using Tally.Server.Tests.Infrastructure;

namespace Tally.Server.Tests.Admin;

public abstract class TenantApiTests(TallyFixture fx)
{
    [Fact]
    public async Task Creating_a_tenant_returns_it_and_creates_its_system_namespace()
    {
        var name = TallyFixture.NewTenantName();
        using var client = fx.Operator();

        var response = await client.PostAsJsonAsync("/api/admin/tenants", new
        {
            name, display_name = "Globex", currency = "JPY", time_zone = "Asia/Tokyo", locale = "ja",
            billing_mode = "prepaid", vat_rate = "10.0", vat_code = "JP-VAT", address = new { city = "Tokyo", country = "JP" },
        });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/api/admin/tenants/{name}", response.Headers.Location!.OriginalString);
        var tenant = await TallyFixture.ReadObjectAsync(response);
        Assert.Equal("Globex", (string?)tenant["display_name"]);
        Assert.Equal("JPY", (string?)tenant["currency"]);
        Assert.Equal("Asia/Tokyo", (string?)tenant["time_zone"]);
        Assert.Equal("10.0", (string?)tenant["vat_rate"]);
        Assert.Equal("Tokyo", (string?)tenant["address"]!["city"]);
        var namespaces = await TallyFixture.ReadObjectAsync(await client.GetAsync($"/api/admin/tenants/{name}/namespaces"));
        Assert.Equal("system", (string?)namespaces["items"]![0]!["name"]);
    }

    [Fact]
    public async Task Creating_a_tenant_twice_is_a_conflict()
    {
        var name = await fx.CreateTenantAsync();
        using var client = fx.Operator();
        var response = await client.PostAsJsonAsync("/api/admin/tenants", new { name });
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
    }

    [Theory]
    [InlineData("{\"name\":\"Bad_Name\"}", "name")]
    [InlineData("{\"name\":\"ok\",\"currency\":\"XXX\"}", "currency")]
    [InlineData("{\"name\":\"ok\",\"time_zone\":\"Mars/Olympus\"}", "time_zone")]
    [InlineData("{\"name\":\"ok\",\"locale\":\"fr\"}", "locale")]
    [InlineData("{\"name\":\"ok\",\"billing_mode\":\"weekly\"}", "billing_mode")]
    [InlineData("{\"name\":\"ok\",\"vat_rate\":10}", "vat_rate")]
    [InlineData("{\"name\":\"ok\",\"vat_rate\":\"101\"}", "vat_rate")]
    [InlineData("{\"name\":\"ok\",\"surprise\":true}", "surprise")]
    [InlineData("not json", "body")]
    [InlineData("{\"name\":", "name")]
    [InlineData("{}", "name")]
    public async Task Bad_tenant_input_is_a_400_naming_the_field_and_writes_nothing(string body, string field)
    {
        using var client = fx.Operator();
        var before = await TallyFixture.ReadObjectAsync(await client.GetAsync("/api/admin/tenants"));

        var response = await client.PostAsync("/api/admin/tenants", TallyFixture.Json(body.Replace("\"ok\"", $"\"{TallyFixture.NewTenantName()}\"", StringComparison.Ordinal)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await TallyFixture.ReadObjectAsync(response);
        Assert.Equal(field, (string?)problem["field"]);
        var after = await TallyFixture.ReadObjectAsync(await client.GetAsync("/api/admin/tenants"));
        Assert.Equal(before["items"]!.AsArray().Count, after["items"]!.AsArray().Count);
    }

    [Fact]
    public async Task Patching_a_tenant_changes_only_the_fields_given()
    {
        var name = await fx.CreateTenantAsync();
        using var client = fx.Operator();

        var response = await client.PatchAsJsonAsync($"/api/admin/tenants/{name}", new { vat_rate = "19", locale = "de" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tenant = await TallyFixture.ReadObjectAsync(await client.GetAsync($"/api/admin/tenants/{name}"));
        Assert.Equal("19", (string?)tenant["vat_rate"]);
        Assert.Equal("de", (string?)tenant["locale"]);
        Assert.Equal("USD", (string?)tenant["currency"]);
    }

    [Fact]
    public async Task Patching_a_tenant_with_a_different_name_in_the_body_is_a_400()
    {
        var name = await fx.CreateTenantAsync();
        using var client = fx.Operator();
        var response = await client.PatchAsJsonAsync($"/api/admin/tenants/{name}", new { name = "other" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("name", (string?)(await TallyFixture.ReadObjectAsync(response))["field"]);
    }

    [Fact]
    public async Task A_tenant_token_reads_its_own_tenant_but_gets_404_for_another_and_403_on_operator_routes()
    {
        var mine = await fx.CreateTenantAsync();
        var theirs = await fx.CreateTenantAsync();
        var (_, secret) = await fx.CreateTokenAsync(mine);
        using var client = fx.Client(secret);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/admin/tenants/{mine}")).StatusCode);
        var foreign = await client.GetAsync($"/api/admin/tenants/{theirs}");
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.DoesNotContain(theirs + "\"", await foreign.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PatchAsJsonAsync($"/api/admin/tenants/{theirs}", new { locale = "de" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/admin/tenants")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync("/api/admin/tenants", new { name = TallyFixture.NewTenantName() })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PatchAsJsonAsync($"/api/admin/tenants/{mine}", new { locale = "de" })).StatusCode);
    }

    [Fact]
    public async Task Tenant_routes_refuse_missing_revoked_and_expired_tokens_with_401()
    {
        var name = await fx.CreateTenantAsync();
        var (revokedId, revoked) = await fx.CreateTokenAsync(name);
        var (_, expiring) = await fx.CreateTokenAsync(name, expiresAt: fx.Clock.GetUtcNow().AddMinutes(5));
        using (var op = fx.Operator())
        {
            Assert.Equal(HttpStatusCode.NoContent, (await op.DeleteAsync($"/api/admin/tokens/{revokedId}")).StatusCode);
        }

        using (var expiringClient = fx.Client(expiring))
        {
            Assert.Equal(HttpStatusCode.OK, (await expiringClient.GetAsync($"/api/admin/tenants/{name}")).StatusCode);
        }

        fx.Clock.Advance(TimeSpan.FromMinutes(6));

        foreach (var token in new[] { null, "tly_not_a_real_token_at_all_000000000000000", revoked, expiring })
        {
            using var client = fx.Client(token);
            var response = await client.GetAsync($"/api/admin/tenants/{name}");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("APIToken", response.Headers.WwwAuthenticate.ToString());
        }
    }

    [Fact]
    public async Task Bearer_scheme_is_accepted_like_APIToken()
    {
        var name = await fx.CreateTenantAsync();
        var (_, secret) = await fx.CreateTokenAsync(name);
        using var client = fx.Client(null);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secret);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/admin/tenants/{name}")).StatusCode);
    }
}

public sealed class TenantApiTestsOnSqlite(SqliteFixture fx) : TenantApiTests(fx), IClassFixture<SqliteFixture>;

public sealed class TenantApiTestsOnPostgres(PostgresFixture fx) : TenantApiTests(fx), IClassFixture<PostgresFixture>;
