using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Tally.Server.Hosting;
using Tally.Storage;

namespace Tally.Server.Tests.Infrastructure;

/// <summary>
/// A Tally server on one database engine, run through the real ASP.NET pipeline (TestServer) with a fake clock.
/// One per test class; tests isolate themselves by creating their own tenants (<see cref="NewTenantName"/>).
/// </summary>
public abstract class TallyFixture : IAsyncLifetime
{
    public const string OperatorSecret = "tly_test_operator_bootstrap_secret_0123456789abcdef";

    private WebApplication? _app;

    public abstract DatabaseEngine Engine { get; }

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));

    public string ConnectionString { get; private set; } = "";

    public IServiceProvider Services => _app!.Services;

    protected abstract Task<string> CreateDatabaseAsync();

    public async Task InitializeAsync()
    {
        ConnectionString = await CreateDatabaseAsync();
        // No daily billing run: with the fake clock past the run hour it would bill every test's tenants at start-up.
        var builder = TallyApp.CreateBuilder(new TallyOptions
        {
            Database = ConnectionString,
            LimitCacheFor = TimeSpan.Zero,
            Billing = new Features.Billing.BillingOptions { Schedule = false },
        });
        builder.WebHost.UseTestServer();
        builder.Services.AddSingleton<TimeProvider>(Clock);
        _app = TallyApp.Configure(builder.Build());
        var database = _app.Services.GetRequiredService<TallyDatabase>();
        await database.MigrateAsync();
        await Bootstrap.EnsureOperatorTokenAsync(database, OperatorSecret, Clock, CancellationToken.None);
        await _app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    /// <summary>An HTTP client through the pipeline, sending <paramref name="token"/> as <c>Authorization: APIToken</c> (none when null).</summary>
    public HttpClient Client(string? token)
    {
        var client = _app!.GetTestClient();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("APIToken", token);
        }

        return client;
    }

    public HttpClient Operator() => Client(OperatorSecret);

    public static string NewTenantName() => "t" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Creates a tenant (and its system namespace) plus any extra namespaces; returns its name.</summary>
    public async Task<string> CreateTenantAsync(params string[] namespaces)
    {
        var name = NewTenantName();
        using var client = Operator();
        (await client.PostAsJsonAsync("/api/admin/tenants", new { name })).EnsureSuccessStatusCode();
        foreach (var ns in namespaces)
        {
            (await client.PostAsJsonAsync($"/api/admin/tenants/{name}/namespaces", new { name = ns })).EnsureSuccessStatusCode();
        }

        return name;
    }

    /// <summary>Creates a token through the API (as the operator) and returns (id, secret).</summary>
    public async Task<(string Id, string Secret)> CreateTokenAsync(string? tenant, string role = "admin", string[]? scopes = null, string[]? namespaces = null, string[]? permissions = null, DateTimeOffset? expiresAt = null)
    {
        using var client = Operator();
        var response = await client.PostAsJsonAsync("/api/admin/tokens", new
        {
            tenant,
            name = "test",
            role,
            scopes = scopes ?? [],
            namespaces = namespaces ?? [],
            permissions = permissions ?? [],
            expires_at = expiresAt,
        });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return (body!["id"]!.GetValue<string>(), body["token"]!.GetValue<string>());
    }

    /// <summary>Sends raw text as JSON.</summary>
    public static StringContent Json(string text) => new(text, System.Text.Encoding.UTF8, "application/json");

    public static async Task<JsonObject> ReadObjectAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

    public static JsonSerializerOptions Snake { get; } = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}

public sealed class SqliteFixture : TallyFixture
{
    public override DatabaseEngine Engine => DatabaseEngine.Sqlite;

    protected override Task<string> CreateDatabaseAsync() =>
        Task.FromResult(TestFiles.NewPath("test", ".db"));
}

public sealed class PostgresFixture : TallyFixture
{
    public override DatabaseEngine Engine => DatabaseEngine.Postgres;

    protected override Task<string> CreateDatabaseAsync() => PostgresServer.CreateDatabaseAsync();
}
