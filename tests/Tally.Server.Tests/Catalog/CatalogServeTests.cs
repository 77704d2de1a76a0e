using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Tally.Server.Tests.Infrastructure;
using Tally.Server.Tests.Processes;

namespace Tally.Server.Tests.Catalog;

/// <summary><c>tally serve --catalog FILE</c> and <c>--demo</c> as real processes.</summary>
public sealed partial class CatalogServeTests
{
    private const string Secret = "tly_catalog_serve_test_operator_secret_0123456789";

    [Fact]
    public async Task Serve_with_a_bad_catalog_file_stops_with_a_message_naming_the_entry_and_field()
    {
        var db = TestFiles.NewPath("catalog", ".db");
        var file = TestFiles.NewPath("catalog", ".json");
        await File.WriteAllTextAsync(file, """{"metrics":{"requests":{"display_name":"Requests","unit_name":"requests","divisor":"zero"}}}""");

        var (exit, output) = await TallyProcess.RunAsync(
            $"serve --urls http://127.0.0.1:{PostgresServer.FreePort()} --database \"{db}\" --catalog \"{file}\"",
            new Dictionary<string, string> { ["TALLY_BOOTSTRAP_TOKEN"] = Secret });

        Assert.Equal(2, exit);
        Assert.Contains($"catalog file '{file}': metrics.requests.divisor", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_with_demo_puts_acme_on_the_team_plan_of_the_demo_catalog()
    {
        var db = TestFiles.NewPath("demo", ".db");
        var (process, url) = await TallyProcess.ServeAsync(db, new Dictionary<string, string> { ["TALLY_BOOTSTRAP_TOKEN"] = Secret }, "--demo");
        await using (process)
        {
            var token = DemoToken().Match(process.Output).Groups[1].Value;
            using var client = new HttpClient { BaseAddress = url };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("APIToken", token);
            client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("ja");

            var current = JsonNode.Parse(await client.GetStringAsync(new Uri("/api/web/namespaces/system/usage_plans/current", UriKind.Relative)))!;

            Assert.Contains("Loaded demo catalog:", process.Output, StringComparison.Ordinal);
            Assert.Equal("ja-jp", (string?)current["locale"]);
            var team = current["plans"]!.AsArray().Single(p => (bool)p!["current"]!)!;
            Assert.Equal("team", (string?)team["name"]);
            Assert.Equal("チーム", (string?)team["title"]);
            Assert.Equal(4, current["plans"]!.AsArray().Count);
        }
    }

    [GeneratedRegex("Demo tenant 'acme' admin token: (\\S+)")]
    private static partial Regex DemoToken();
}
