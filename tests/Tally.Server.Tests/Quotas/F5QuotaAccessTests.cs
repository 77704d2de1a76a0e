using System.Net;
using Tally.Server.Tests.Infrastructure;
using static Tally.Server.Tests.Quotas.F5QuotaTestKit;

namespace Tally.Server.Tests.Quotas;

public abstract class F5QuotaAccessTests(TallyFixture fx)
{
    private const string SecretSpec = """{"object_limits":{"secret_kind":{"maximum":4242}}}""";

    /// <summary>One request per route of the F5 quota API, on namespace <paramref name="ns"/> and object <paramref name="name"/>.</summary>
    private static IEnumerable<(string Route, Func<HttpRequestMessage> Request)> AllRoutes(string ns, string name) =>
    [
        ("Create", () => new HttpRequestMessage(HttpMethod.Post, QuotasUrl(ns)) { Content = TallyFixture.Json(Body(ns, name + "-new")) }),
        ("Replace", () => new HttpRequestMessage(HttpMethod.Put, QuotaUrl(ns, name)) { Content = TallyFixture.Json(Body(ns, name, """{"object_limits":{"x":{"maximum":1}}}""")) }),
        ("List", () => new HttpRequestMessage(HttpMethod.Get, QuotasUrl(ns))),
        ("Get", () => new HttpRequestMessage(HttpMethod.Get, QuotaUrl(ns, name))),
        ("Delete", () => new HttpRequestMessage(HttpMethod.Delete, QuotaUrl(ns, name))),
        ("Limits", () => new HttpRequestMessage(HttpMethod.Get, LimitsUrl(ns))),
        ("Usage", () => new HttpRequestMessage(HttpMethod.Get, UsageUrl(ns))),
    ];

    private static readonly string[] Writes = ["Create", "Replace", "Delete"];

    [Fact]
    public async Task Another_tenants_token_gets_404_on_every_route_and_none_of_the_data()
    {
        var mine = await fx.CreateTenantAsync("team-a");
        var theirs = await fx.CreateTenantAsync();
        var (_, admin) = await fx.CreateTokenAsync(mine);
        var (_, other) = await fx.CreateTokenAsync(theirs);
        using (var client = fx.Client(admin))
        {
            await CreateAsync(client, "team-a", "private", SecretSpec, "\"description\":\"top secret\"");
            await CreateAsync(client, "system", "private", SecretSpec);
        }

        using var intruder = fx.Client(other);
        foreach (var (route, request) in AllRoutes("team-a", "private"))
        {
            var response = await intruder.SendAsync(request());
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{route}: {(int)response.StatusCode} {text}");
            Assert.DoesNotContain("4242", text, StringComparison.Ordinal);
            Assert.DoesNotContain("secret", text, StringComparison.Ordinal);
            Assert.DoesNotContain(mine, text, StringComparison.Ordinal);
        }

        // Every tenant has a 'system' namespace: there the intruder sees only its own (empty) tenant.
        Assert.Equal(HttpStatusCode.NotFound, (await intruder.GetAsync(QuotaUrl("system", "private"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await intruder.DeleteAsync(QuotaUrl("system", "private"))).StatusCode);
        foreach (var path in new[] { QuotasUrl("system"), LimitsUrl("system"), UsageUrl("system") })
        {
            var text = await intruder.GetStringAsync(path);
            Assert.DoesNotContain("4242", text, StringComparison.Ordinal);
            Assert.DoesNotContain("private", text, StringComparison.Ordinal);
            Assert.DoesNotContain("secret", text, StringComparison.Ordinal);
        }

        using var owner = fx.Client(admin);
        Assert.Equal(["private"], await ListNamesAsync(owner, "team-a"));
        Assert.Equal(["private"], await ListNamesAsync(owner, "system"));
        var kept = await GetJsonAsync(owner, QuotaUrl("team-a", "private"));
        Assert.Equal(4242, (int)kept["spec"]!["object_limits"]!["secret_kind"]!["maximum"]!);
    }

    [Fact]
    public async Task Every_route_refuses_a_missing_or_unknown_token_with_401()
    {
        var tenant = await fx.CreateTenantAsync("default");
        foreach (var token in new[] { null, "tly_not_a_real_token_at_all_000000000000000" })
        {
            using var client = fx.Client(token);
            foreach (var (route, request) in AllRoutes("default", "q1"))
            {
                var response = await client.SendAsync(request());
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{route}: {(int)response.StatusCode}");
                Assert.Equal("APIToken", response.Headers.WwwAuthenticate.ToString());
            }
        }

        Assert.NotNull(tenant);
    }

    [Fact]
    public async Task Every_route_refuses_an_operator_token_with_403()
    {
        await fx.CreateTenantAsync("default");
        using var op = fx.Operator();
        foreach (var (route, request) in AllRoutes("default", "q1"))
        {
            var response = await op.SendAsync(request());
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{route}: {(int)response.StatusCode} {text}");
            Assert.Contains("tenant token", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_viewer_reads_but_every_write_is_a_403_that_changes_nothing()
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, admin) = await fx.CreateTokenAsync(tenant);
        var (_, viewer) = await fx.CreateTokenAsync(tenant, role: "viewer");
        using (var client = fx.Client(admin))
        {
            await CreateAsync(client, "default", "q1", """{"object_limits":{"a":{"maximum":3}}}""");
        }

        using var reader = fx.Client(viewer);
        foreach (var (route, request) in AllRoutes("default", "q1"))
        {
            var response = await reader.SendAsync(request());
            var expected = Writes.Contains(route) ? HttpStatusCode.Forbidden : HttpStatusCode.OK;
            Assert.True(response.StatusCode == expected, $"{route}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        Assert.Equal(["q1"], await ListNamesAsync(reader, "default"));
        var kept = await GetJsonAsync(reader, QuotaUrl("default", "q1"));
        Assert.Equal(3, (int)kept["spec"]!["object_limits"]!["a"]!["maximum"]!);
    }

    [Fact]
    public async Task A_token_without_the_quota_permission_gets_403_on_every_route()
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (_, billingOnly) = await fx.CreateTokenAsync(tenant, permissions: ["billing"]);
        var (_, quotaOnly) = await fx.CreateTokenAsync(tenant, permissions: ["quota"]);
        using (var client = fx.Client(quotaOnly))
        {
            await CreateAsync(client, "default", "q1");
        }

        using var other = fx.Client(billingOnly);
        foreach (var (route, request) in AllRoutes("default", "q1"))
        {
            var response = await other.SendAsync(request());
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{route}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task A_namespace_outside_the_tokens_allow_list_is_a_404()
    {
        var tenant = await fx.CreateTenantAsync("default", "other");
        var (_, admin) = await fx.CreateTokenAsync(tenant);
        var (_, scoped) = await fx.CreateTokenAsync(tenant, namespaces: ["default"]);
        using (var client = fx.Client(admin))
        {
            await CreateAsync(client, "other", "q1");
        }

        using var limited = fx.Client(scoped);
        foreach (var (route, request) in AllRoutes("other", "q1"))
        {
            var response = await limited.SendAsync(request());
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{route}: {(int)response.StatusCode}");
        }

        Assert.Empty(await ListNamesAsync(limited, "default"));
    }

    [Fact]
    public async Task An_unknown_namespace_is_a_404_on_every_route()
    {
        var tenant = await fx.CreateTenantAsync();
        var (_, admin) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(admin);
        foreach (var (route, request) in AllRoutes("nowhere", "q1"))
        {
            var response = await client.SendAsync(request());
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{route}: {(int)response.StatusCode}");
        }
    }
}

public sealed class F5QuotaAccessTestsOnSqlite(SqliteFixture fx) : F5QuotaAccessTests(fx), IClassFixture<SqliteFixture>;

public sealed class F5QuotaAccessTestsOnPostgres(PostgresFixture fx) : F5QuotaAccessTests(fx), IClassFixture<PostgresFixture>;
