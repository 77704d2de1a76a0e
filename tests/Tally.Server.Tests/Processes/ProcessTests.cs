using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Tally.Domain.Access;
using Tally.Server.Auth;
using Tally.Server.Hosting;
using Tally.Server.Tests.Infrastructure;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Tests.Processes;

/// <summary>The <c>tally</c> executable itself: CLI verbs, and two servers sharing one PostgreSQL.</summary>
public sealed class ProcessTests
{
    private const string Secret = "tly_process_test_bootstrap_secret_0123456789";

    [Fact]
    public async Task Two_tally_serve_processes_sharing_one_PostgreSQL_admit_exactly_the_limit()
    {
        var connection = await PostgresServer.CreateDatabaseAsync();
        await using (var database = new TallyDatabase(connection))
        {
            await database.MigrateAsync();
            var now = DateTimeOffset.UtcNow;
            await using var db = database.CreateContext();
            db.Tenants.Add(new TenantRow { TenantId = "acme", DisplayName = "Acme", Currency = "USD", TimeZone = "UTC", Locale = "en", BillingMode = "postpaid", VatRate = "0", CreatedAt = now, UpdatedAt = now });
            db.Namespaces.Add(new NamespaceRow { TenantId = "acme", Name = "system", CreatedAt = now });
            db.QuotaObjects.Add(new QuotaObjectRow { TenantId = "acme", Namespace = "system", Name = "q", Uid = Guid.NewGuid().ToString(), CreatorId = "test", SpecJson = "{\"object_limits\":{\"lb\":{\"maximum\":10}}}", CreatedAt = now, ModifiedAt = now });
            db.ApiTokens.Add(TokenIssuer.Issue(null, "op", Role.Admin, [], Scopes.All, [], null, now, "test", Secret).Row);
            await db.SaveChangesAsync();
        }

        var (first, firstUrl) = await TallyProcess.ServeAsync(connection);
        await using var firstProcess = first;
        var (second, secondUrl) = await TallyProcess.ServeAsync(connection);
        await using var secondProcess = second;
        using var a = Client(firstUrl);
        using var b = Client(secondUrl);

        var responses = await Task.WhenAll(Enumerable.Range(0, 64).Select(i =>
            (i % 2 == 0 ? a : b).PostAsJsonAsync("/api/admin/tenants/acme/quota/admit", new { @namespace = "system", kind = "objects", key = "lb", amount = 1 })));

        Assert.Equal(10, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(54, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        Assert.Contains(responses.Take(64).Where((_, i) => i % 2 == 0), r => r.StatusCode == HttpStatusCode.Conflict);
        Assert.Contains(responses.Where((_, i) => i % 2 == 1), r => r.StatusCode == HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Serve_on_an_empty_database_prints_a_generated_operator_token_once_and_it_works()
    {
        var file = TestFiles.NewPath("proc", ".db");
        string secret;
        var (process, url) = await TallyProcess.ServeAsync(file);
        await using (process)
        {
            var line = process.Output.Split('\n').Single(l => l.StartsWith("Operator admin token", StringComparison.Ordinal));
            secret = line[(line.LastIndexOf(' ') + 1)..].Trim();
            using var client = Client(url, secret);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/api/admin/tenants", UriKind.Relative))).StatusCode);
        }

        var (again, _) = await TallyProcess.ServeAsync(file);
        await using (again)
        {
            Assert.DoesNotContain("Operator admin token", again.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Migrate_and_token_create_work_from_the_command_line()
    {
        var file = TestFiles.NewPath("cli", ".db");

        var migrate = await TallyProcess.RunAsync($"migrate --database \"{file}\"");
        Assert.Equal(0, migrate.ExitCode);
        var missing = await TallyProcess.RunAsync($"token create --tenant nobody --role admin --database \"{file}\"");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("does not exist", missing.Output, StringComparison.Ordinal);
        var created = await TallyProcess.RunAsync($"token create --role admin --database \"{file}\"");
        Assert.Equal(0, created.ExitCode);
        var secret = created.Output.Trim();
        Assert.StartsWith(TokenSecrets.Prefix, secret, StringComparison.Ordinal);

        var (process, url) = await TallyProcess.ServeAsync(file, extra: "--demo");
        await using (process)
        {
            using var op = Client(url, secret);
            Assert.Equal(HttpStatusCode.OK, (await op.GetAsync(new Uri($"/api/admin/tenants/{Bootstrap.DemoTenant}", UriKind.Relative))).StatusCode);
            var tenantToken = process.Output.Split('\n').Single(l => l.StartsWith("Demo tenant", StringComparison.Ordinal)).Split(' ')[^1].Trim();
            using var tenant = Client(url, tenantToken);
            var namespaces = await tenant.GetStringAsync(new Uri($"/api/admin/tenants/{Bootstrap.DemoTenant}/namespaces", UriKind.Relative));
            Assert.Contains("\"default\"", namespaces, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await op.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative))).StatusCode);
            Assert.Contains("tally_quota_admissions_total", await op.GetStringAsync(new Uri("/metrics", UriKind.Relative)), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Four_migrations_at_once_of_one_empty_PostgreSQL_database_all_succeed() =>
        await MigrateAtOnceAsync(await PostgresServer.CreateDatabaseAsync());

    [Fact]
    public async Task Four_migrations_at_once_of_one_new_SQLite_file_all_succeed() =>
        await MigrateAtOnceAsync(TestFiles.NewPath("migrate", ".db"));

    private static async Task MigrateAtOnceAsync(string connection)
    {
        var databases = Enumerable.Range(0, 4).Select(_ => new TallyDatabase(connection)).ToArray();
        try
        {
            await Task.WhenAll(databases.Select(d => Task.Run(() => d.MigrateAsync())));
            await using var db = databases[0].CreateContext();
            Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        }
        finally
        {
            foreach (var database in databases)
            {
                await database.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_short_bootstrap_token_is_refused_at_start()
    {
        var file = TestFiles.NewPath("short", ".db");
        var (exit, output) = await TallyProcess.RunAsync($"serve --urls http://127.0.0.1:{PostgresServer.FreePort()} --database \"{file}\"", new Dictionary<string, string> { ["TALLY_BOOTSTRAP_TOKEN"] = "short" });
        Assert.Equal(2, exit);
        Assert.Contains("at least 32", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_stops_cleanly_on_SIGTERM()
    {
        var file = TestFiles.NewPath("term", ".db");
        var (process, _) = await TallyProcess.ServeAsync(file, new Dictionary<string, string> { ["TALLY_BOOTSTRAP_TOKEN"] = Secret });
        await using (process)
        {
            var exit = await process.TerminateAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, exit);
            Assert.Contains("shutting down", process.Output, StringComparison.OrdinalIgnoreCase);
        }
    }

    private static HttpClient Client(Uri url, string secret = Secret)
    {
        var client = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("APIToken", secret);
        return client;
    }
}
