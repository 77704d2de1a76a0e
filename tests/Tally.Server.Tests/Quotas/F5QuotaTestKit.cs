using System.Net;
using System.Text.Json.Nodes;
using Tally.Server.Tests.Infrastructure;

namespace Tally.Server.Tests.Quotas;

/// <summary>Paths and bodies for the F5 quota API tests.</summary>
internal static class F5QuotaTestKit
{
    public static string QuotasUrl(string ns) => $"/api/web/namespaces/{ns}/quotas";

    public static string QuotaUrl(string ns, string name) => $"/api/web/namespaces/{ns}/quotas/{name}";

    public static string LimitsUrl(string ns) => $"/api/web/namespaces/{ns}/quota/limits";

    public static string UsageUrl(string ns) => $"/api/web/namespaces/{ns}/quota/usage";

    /// <summary>A create/replace body; <paramref name="spec"/> and <paramref name="metaExtra"/> are raw JSON (members to add to metadata).</summary>
    public static string Body(string ns, string name, string spec = "{}", string metaExtra = "") =>
        $$"""{"metadata":{"name":"{{name}}","namespace":"{{ns}}"{{(metaExtra.Length > 0 ? "," + metaExtra : "")}}},"spec":{{spec}}}""";

    public static async Task<JsonObject> CreateAsync(HttpClient client, string ns, string name, string spec = "{}", string metaExtra = "")
    {
        var response = await client.PostAsync(QuotasUrl(ns), TallyFixture.Json(Body(ns, name, spec, metaExtra)));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"create {ns}/{name}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    public static async Task<JsonObject> GetJsonAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Names of the items of a List response, in order.</summary>
    public static async Task<string[]> ListNamesAsync(HttpClient client, string ns, string query = "")
    {
        var list = await GetJsonAsync(client, QuotasUrl(ns) + query);
        return [.. list["items"]!.AsArray().Select(i => (string)i!["name"]!)];
    }

    /// <summary>Asserts a 400 problem+json naming <paramref name="field"/>.</summary>
    public static async Task AssertBadRequestAsync(HttpResponseMessage response, string field)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"expected 400 naming {field}, got {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(field, (string?)JsonNode.Parse(text)!["field"]);
    }

    public static HttpRequestMessage Delete(string ns, string name, string? body, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Delete, QuotaUrl(ns, name));
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, contentType);
        }

        return request;
    }
}
