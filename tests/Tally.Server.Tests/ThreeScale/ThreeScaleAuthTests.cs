using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Tally.Server.Tests.Infrastructure;
using static Tally.Server.Tests.ThreeScale.ThreeScaleTestKit;

namespace Tally.Server.Tests.ThreeScale;

/// <summary>
/// 3scale Billing API tokens (reference §5 and DESIGN): operator tokens with the <c>billing</c> scope, admins or members
/// with the <c>billing</c> permission; 3scale's 403 bodies for everything else; <c>access_token</c> as query or form
/// parameter, Bearer, APIToken and HTTP Basic.
/// </summary>
public abstract class ThreeScaleAuthTests(TallyFixture fx)
{
    /// <summary>One route of each of the twelve operations (GET unless stated).</summary>
    private static readonly (string Method, string Path)[] Operations =
    [
        ("GET", "/api/invoices"),
        ("GET", "/api/accounts/{tenant}/invoices"),
        ("GET", "/api/invoices/{id}"),
        ("GET", "/api/accounts/{tenant}/invoices/{id}"),
        ("POST", "/api/invoices"),
        ("PUT", "/api/invoices/{id}"),
        ("PUT", "/api/invoices/{id}/state"),
        ("POST", "/api/invoices/{id}/charge"),
        ("GET", "/api/invoices/{id}/line_items"),
        ("POST", "/api/invoices/{id}/line_items"),
        ("DELETE", "/api/invoices/{id}/line_items/1"),
        ("GET", "/api/invoices/{id}/payment_transactions"),
    ];

    private async Task<(string Tenant, long Invoice)> SeedAsync()
    {
        var tenant = await CreateTenantAsync(fx);
        using var client = await BillingClientAsync(fx);
        return (tenant, await CreateInvoiceIdAsync(client, tenant));
    }

    private static HttpRequestMessage Request(string method, string path, string tenant, long invoice, string format) =>
        new(new HttpMethod(method), path.Replace("{tenant}", tenant, StringComparison.Ordinal).Replace("{id}", invoice.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal) + "." + format)
        {
            Content = method is "GET" or "DELETE" ? null : Form(("account_id", tenant)),
        };

    [Fact]
    public async Task No_or_a_bad_token_is_3scales_403_Access_denied_on_every_operation_in_both_formats()
    {
        var (tenant, invoice) = await SeedAsync();
        using var anonymous = fx.Client(null);
        using var bad = fx.Client("tly_unknown_0000000000000000000000000000000000000");

        foreach (var (method, path) in Operations)
        {
            foreach (var client in new[] { anonymous, bad })
            {
                var xml = await client.SendAsync(Request(method, path, tenant, invoice, "xml"));
                var root = await XmlAsync(xml, HttpStatusCode.Forbidden);
                Assert.True(root.Name.LocalName == "error" && root.Value == "Access denied", $"{method} {path}: {root}");

                var json = await JsonAsync(await client.SendAsync(Request(method, path, tenant, invoice, "json")), HttpStatusCode.Forbidden);
                Assert.Equal("""{"error":"Access denied"}""", json.ToJsonString());
            }
        }

        var (revokedId, revoked) = await fx.CreateTokenAsync(null, "admin", scopes: ["billing"]);
        using (var op = fx.Operator())
        {
            Assert.Equal(HttpStatusCode.NoContent, (await op.DeleteAsync($"/api/admin/tokens/{revokedId}")).StatusCode);
        }

        using var revokedClient = fx.Client(revoked);
        Assert.Equal("Access denied", (await XmlAsync(await revokedClient.GetAsync("/api/invoices.xml"), HttpStatusCode.Forbidden)).Value);

        using var query = fx.Client(null);
        var badQuery = await XmlAsync(await query.GetAsync("/api/invoices.xml?access_token=tly_unknown_0000000000000000000000000000000000000"), HttpStatusCode.Forbidden);
        Assert.Equal("Access denied", badQuery.Value);
        using var admin = await BillingClientAsync(fx);
        Assert.Single((await XmlAsync(await admin.GetAsync($"/api/accounts/{tenant}/invoices.xml"))).Elements("invoice"));
    }

    public static TheoryData<string?, string, string[], string[]> RefusedTokens => new()
    {
        // tenant, role, scopes, permissions
        { "tenant", "admin", ["billing"], [] },
        { null, "viewer", ["billing"], [] },
        { null, "member", ["billing"], ["usage"] },
        { null, "admin", [], [] },
        { null, "admin", ["usage:write"], [] },
    };

    [Theory]
    [MemberData(nameof(RefusedTokens))]
    public async Task A_token_without_the_rights_is_a_403_about_permissions_and_changes_nothing(string? tenantToken, string role, string[] scopes, string[] permissions)
    {
        var (tenant, invoice) = await SeedAsync();
        var (_, secret) = await fx.CreateTokenAsync(tenantToken is null ? null : tenant, role, scopes: scopes, permissions: permissions);
        using var client = fx.Client(secret);

        foreach (var (method, path) in Operations)
        {
            var root = await XmlAsync(await client.SendAsync(Request(method, path, tenant, invoice, "xml")), HttpStatusCode.Forbidden);
            Assert.True(root.Value == "Your access token does not have the correct permissions", $"{method} {path}: {root}");
        }

        var json = await JsonAsync(await client.GetAsync("/api/invoices.json"), HttpStatusCode.Forbidden);
        Assert.Equal("""{"error":"Your access token does not have the correct permissions"}""", json.ToJsonString());
        using var admin = await BillingClientAsync(fx);
        Assert.Single((await XmlAsync(await admin.GetAsync($"/api/accounts/{tenant}/invoices.xml"))).Elements("invoice"));
    }

    [Fact]
    public async Task Operator_admins_and_members_with_the_billing_permission_are_allowed()
    {
        var (tenant, invoice) = await SeedAsync();
        var (_, admin) = await fx.CreateTokenAsync(null, "admin", scopes: ["billing"]);
        var (_, member) = await fx.CreateTokenAsync(null, "member", scopes: ["billing"], permissions: ["billing"]);

        foreach (var secret in new[] { admin, member })
        {
            using var client = fx.Client(secret);
            Assert.Equal(invoice.ToString(System.Globalization.CultureInfo.InvariantCulture), Value(await GetInvoiceAsync(client, invoice), "id"));
            await CreateInvoiceAsync(client, tenant);
        }
    }

    [Theory]
    [InlineData("multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"account_id\"\r\n\r\nabc")]
    [InlineData("multipart/form-data", "garbage")]
    [InlineData("application/x-www-form-urlencoded", "%%%=%%%&&")]
    public async Task A_malformed_form_is_never_a_500(string contentType, string body)
    {
        var (_, secret) = await fx.CreateTokenAsync(null, "admin", scopes: ["billing"]);
        using var anonymous = fx.Client(null);
        using var authorised = fx.Client(secret);

        foreach (var client in new[] { anonymous, authorised })
        {
            using var content = new StringContent(body, Encoding.UTF8);
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            var response = await client.PostAsync("/api/invoices.xml", content);
            Assert.True((int)response.StatusCode is 400 or 403, $"{contentType}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task The_token_is_read_from_the_query_the_form_Bearer_APIToken_and_HTTP_Basic()
    {
        var (tenant, invoice) = await SeedAsync();
        var (_, secret) = await fx.CreateTokenAsync(null, "admin", scopes: ["billing"]);
        using var anonymous = fx.Client(null);

        await XmlAsync(await anonymous.GetAsync($"/api/invoices/{invoice}.xml?access_token={secret}"));
        await XmlAsync(await anonymous.PostAsync("/api/invoices.xml", Form(("access_token", secret), ("account_id", tenant))), HttpStatusCode.Created);

        foreach (var header in new[]
                 {
                     new AuthenticationHeaderValue("Bearer", secret),
                     new AuthenticationHeaderValue("APIToken", secret),
                     new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(secret + ":"))),
                     new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(":" + secret))),
                 })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/invoices/{invoice}.json");
            request.Headers.Authorization = header;
            var response = await anonymous.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{header.Scheme}: {(int)response.StatusCode}");
        }
    }
}

public sealed class ThreeScaleAuthTestsOnSqlite(SqliteFixture fx) : ThreeScaleAuthTests(fx), IClassFixture<SqliteFixture>;

public sealed class ThreeScaleAuthTestsOnPostgres(PostgresFixture fx) : ThreeScaleAuthTests(fx), IClassFixture<PostgresFixture>;
