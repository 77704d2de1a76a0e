using System.Net;
using System.Text.Json.Nodes;
using Tally.Server.Tests.Infrastructure;

namespace Tally.Server.Tests.PaymentMethods;

/// <summary>Routes, bodies and calls for the payment method tests.</summary>
internal static class PaymentMethodTestKit
{
    public const string SpecFile = "docs-cloud-f5-com.0178.public.ves.io.schema.billing.payment_method.ves-swagger.json";

    public static F5Schema Schema { get; } = new(SpecFile);

    public static string MethodsUrl(string ns = "system") => $"/api/web/namespaces/{ns}/billing/payment_methods";

    public static string MethodUrl(string name, string ns = "system") => $"/api/web/namespaces/{ns}/billing/payment_methods/{name}";

    /// <summary><paramref name="operation"/>: primary, secondary or swap-primary.</summary>
    public static string RoleUrl(string name, string operation, string ns = "system") => $"/api/web/namespaces/{ns}/billing/payment_method/{name}/{operation}";

    public static string ListUrl(string tenant) => $"/api/admin/tenants/{tenant}/payment_methods";

    public static readonly string[] RoleOperations = ["primary", "secondary", "swap-primary"];

    /// <summary>A create body; <paramref name="role"/> is the F5 name without its prefix (PRIMARY, ...) or null to leave it out.</summary>
    public static string CreateBody(string token = "tok_visa", string? role = null, string? contactJson = null)
    {
        var body = new JsonObject { ["namespace"] = "system", ["token"] = token };
        if (role is not null)
        {
            body["role"] = "PAYMENT_METHOD_ROLE_" + role;
        }

        if (contactJson is not null)
        {
            body["contact"] = JsonNode.Parse(contactJson);
        }

        return body.ToJsonString();
    }

    public static string NameBody(string name) => new JsonObject { ["namespace"] = "system", ["name"] = name }.ToJsonString();

    public static Task<HttpResponseMessage> PostCreateAsync(HttpClient client, string body) => client.PostAsync(MethodsUrl(), TallyFixture.Json(body));

    /// <summary>Creates a method and returns its name (asserts 200).</summary>
    public static async Task<string> CreateAsync(HttpClient client, string token = "tok_visa", string? role = null, string? contactJson = null)
    {
        var response = await PostCreateAsync(client, CreateBody(token, role, contactJson));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"create {token} {role}: {(int)response.StatusCode} {text}");
        return (string)JsonNode.Parse(text)!["name"]!;
    }

    /// <summary>POSTs a role operation with the F5 body; asserts 200 and an empty message.</summary>
    public static async Task ChangeAsync(HttpClient client, string name, string operation)
    {
        var response = await client.PostAsync(RoleUrl(name, operation), TallyFixture.Json(NameBody(name)));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{operation} {name}: {(int)response.StatusCode} {text}");
        Assert.Equal("{}", text);
    }

    public static async Task<JsonArray> ItemsAsync(HttpClient client, string tenant)
    {
        var response = await client.GetAsync(ListUrl(tenant));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"list {tenant}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!["items"]!.AsArray();
    }

    /// <summary>The tenant's roles as "name=P name=N ..." ordered by name, with <paramref name="names"/> mapping real names to short ones.</summary>
    public static async Task<string> RolesAsync(HttpClient client, string tenant, IReadOnlyDictionary<string, string> names)
    {
        var items = await ItemsAsync(client, tenant);
        return string.Join(" ", items
            .Select(i => (Name: names.TryGetValue((string)i!["name"]!, out var shortName) ? shortName : (string)i["name"]!, Role: ((string)i["role"]!)["PAYMENT_METHOD_ROLE_".Length..][0]))
            .OrderBy(x => x.Name, StringComparer.Ordinal)
            .Select(x => $"{x.Name}={x.Role}"));
    }

    /// <summary>Asserts a problem+json with <paramref name="status"/> naming <paramref name="field"/>; returns its text.</summary>
    public static async Task<string> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? field = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status} naming {field}, got {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        if (field is not null)
        {
            Assert.Equal(field, (string?)JsonNode.Parse(text)!["field"]);
        }

        return text;
    }
}
