using System.Diagnostics.Tracing;
using System.Net;
using System.Text.Json.Nodes;
using Tally.Server.Tests.Infrastructure;

namespace Tally.Server.Tests.Host;

public abstract class HostEndpointTests(TallyFixture fx)
{
    [Fact]
    public async Task Health_and_readiness_answer_without_a_token()
    {
        using var client = fx.Client(null);
        Assert.Equal("ok", (string?)(await TallyFixture.ReadObjectAsync(await client.GetAsync("/healthz")))["status"]);
        Assert.Equal("ok", (string?)(await TallyFixture.ReadObjectAsync(await client.GetAsync("/readyz")))["status"]);
    }

    [Fact]
    public async Task The_OpenAPI_document_lists_the_operator_routes()
    {
        using var client = fx.Client(null);
        var doc = JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json"))!;
        var paths = doc["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Contains("/api/admin/tenants", paths);
        Assert.Contains("/api/admin/tokens", paths);
        Assert.Contains("/api/admin/tenants/{tenant}/quota/admit", paths);
    }

    [Fact]
    public async Task The_interactive_reference_is_served_at_docs()
    {
        using var client = fx.Client(null);
        var response = await client.GetAsync("/docs/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("html", response.Content.Headers.ContentType!.MediaType, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prometheus_metrics_are_served_with_one_request_histogram_per_route()
    {
        using var op = fx.Operator();
        (await op.GetAsync("/api/admin/tenants")).EnsureSuccessStatusCode();
        using var client = fx.Client(null);
        var text = await client.GetStringAsync("/metrics");
        Assert.Contains("tally_quota_admissions_total", text, StringComparison.Ordinal);
        Assert.Contains("http_request_duration_seconds_count{code=\"200\",method=\"GET\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("http_requests_in_progress", text, StringComparison.Ordinal);
        Assert.DoesNotContain("http_requests_received_total", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Per_request_dotnet_meters_stay_out_of_metrics_while_the_others_are_exported()
    {
        using var op = fx.Operator();
        using var client = fx.Client(null);
        await client.GetStringAsync("/metrics"); // the first scrape starts prometheus-net's meter adapter
        for (var i = 0; i < 3; i++)
        {
            (await op.GetAsync("/api/admin/tenants")).EnsureSuccessStatusCode();
        }

        var text = await client.GetStringAsync("/metrics");

        Assert.Contains("microsoft_entityframeworkcore_", text, StringComparison.Ordinal);
        Assert.Contains("system_runtime_", text, StringComparison.Ordinal);
        var perRequest = text.Split('\n')
            .Where(l => !l.StartsWith('#') && (l.StartsWith("microsoft_aspnetcore_hosting_http_server_", StringComparison.Ordinal)
                || l.StartsWith("microsoft_aspnetcore_routing_", StringComparison.Ordinal)
                || l.StartsWith("microsoft_aspnetcore_memorypool_", StringComparison.Ordinal)))
            .ToList();
        Assert.True(perRequest.Count == 0, string.Join("\n", perRequest.Take(5)));
    }

    [Fact]
    public async Task The_event_counter_adapter_reads_counters_without_subscribing_to_per_request_events()
    {
        using var op = fx.Operator();
        using var client = fx.Client(null);
        await client.GetStringAsync("/metrics"); // the first scrape starts prometheus-net's EventCounter adapter
        (await op.GetAsync("/api/admin/tenants")).EnsureSuccessStatusCode();

        var hosting = EventSource.GetSources().Single(s => s.Name == "Microsoft.AspNetCore.Hosting");
        Assert.True(hosting.IsEnabled(), "the adapter listens to the hosting event source, for its request counters");
        var perRequest = EventSource.GetSources()
            .Where(s => s.Name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) || s.Name.StartsWith("Microsoft-AspNetCore", StringComparison.Ordinal)
                || s.Name.StartsWith("System.Net", StringComparison.Ordinal) || s.Name == "System.Runtime")
            .Where(s => s.IsEnabled(EventLevel.Informational, EventKeywords.All))
            .Select(s => s.Name)
            .ToList();
        Assert.True(perRequest.Count == 0, "subscribed to events: " + string.Join(", ", perRequest));
    }

    [Fact]
    public async Task An_unknown_api_route_with_a_valid_token_is_a_404_problem()
    {
        using var client = fx.Operator();
        var response = await client.GetAsync("/api/admin/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}

public sealed class HostEndpointTestsOnSqlite(SqliteFixture fx) : HostEndpointTests(fx), IClassFixture<SqliteFixture>;

public sealed class HostEndpointTestsOnPostgres(PostgresFixture fx) : HostEndpointTests(fx), IClassFixture<PostgresFixture>;
