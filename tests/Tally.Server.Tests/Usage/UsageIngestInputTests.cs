using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Tally.Server.Tests.Infrastructure;
using static Tally.Server.Tests.Usage.UsageTestKit;

namespace Tally.Server.Tests.Usage;

/// <summary>Who may ingest, and bodies refused as a whole (4xx naming the field, nothing written).</summary>
public abstract class UsageIngestInputTests(TallyFixture fx)
{
    private async Task<(string Tenant, string ValidEvent)> SetUpAsync()
    {
        await EnsureMetricsAsync(fx.Services, "requests");
        var tenant = await fx.CreateTenantAsync("default");
        var valid = System.Text.Json.JsonSerializer.Serialize(Event("fine", tenant, fx.Clock.GetUtcNow()));
        return (tenant, valid);
    }

    public static TheoryData<string, string, string> MalformedBodies => new()
    {
        // name, body ({valid} = one valid event), expected field
        { "not JSON", "{\"events\": [{valid}", "body" },
        { "plain text", "events please", "body" },
        { "an array instead of an object", "[{valid}]", "body" },
        { "events missing", "{}", "events" },
        { "events not an array", "{\"events\": {valid}}", "events" },
        { "events null", "{\"events\": null}", "events" },
        { "an unknown top-level field", "{\"events\": [{valid}], \"dry_run\": true}", "dry_run" },
        { "an event that is not an object", "{\"events\": [{valid}, 42]}", "events[1]" },
        { "quantity of the wrong type", "{\"events\": [{valid}, {\"id\": \"q\", \"quantity\": true}]}", "events[1].quantity" },
        { "id of the wrong type", "{\"events\": [{\"id\": 7}, {valid}]}", "events[0].id" },
        { "timestamp of the wrong type", "{\"events\": [{valid}, {\"timestamp\": 1732449600}]}", "events[1].timestamp" },
        { "labels of the wrong type", "{\"events\": [{valid}, {\"labels\": [\"a\"]}]}", "events[1].labels" },
        { "a label value of the wrong type", "{\"events\": [{valid}, {\"labels\": {\"zone\": 1}}]}", "events[1].labels.zone" },
        { "an unknown event field", "{\"events\": [{valid}, {\"id\": \"u\", \"amount\": 1}]}", "events[1].amount" },
        { "trailing garbage", "{\"events\": [{valid}]} x", "body" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task A_malformed_body_is_a_400_naming_the_field_and_writes_nothing(string name, string body, string field)
    {
        var (tenant, valid) = await SetUpAsync();
        using var client = fx.Operator();

        var response = await client.PostAsync(Route, TallyFixture.Json(body.Replace("{valid}", valid, StringComparison.Ordinal)));

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: {response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(field, (string?)(await TallyFixture.ReadObjectAsync(response))["field"]);
        Assert.Empty(await EventsAsync(fx.Services, tenant));
    }

    [Fact]
    public async Task More_than_ten_thousand_events_is_a_400_naming_events_and_writes_nothing()
    {
        var (tenant, valid) = await SetUpAsync();
        using var client = fx.Operator();
        var body = "{\"events\": [" + string.Join(',', Enumerable.Repeat(valid, 10_001)) + "]}";

        var response = await client.PostAsync(Route, TallyFixture.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await TallyFixture.ReadObjectAsync(response);
        Assert.Equal("events", (string?)problem["field"]);
        Assert.Contains("10,000", (string?)problem["detail"], StringComparison.Ordinal);
        Assert.Empty(await EventsAsync(fx.Services, tenant));
    }

    [Fact]
    public async Task Exactly_ten_thousand_events_are_accepted()
    {
        var (tenant, _) = await SetUpAsync();
        using var client = fx.Operator();
        var now = fx.Clock.GetUtcNow();

        var response = await PostAsync(client, Enumerable.Range(0, 10_000).Select(i => Event($"e{i}", tenant, now)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(10_000, (await ReadAsync(response)).Accepted);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_body_over_8_MiB_is_a_clean_413_problem_and_writes_nothing(bool chunked)
    {
        var (tenant, valid) = await SetUpAsync();
        using var client = fx.Operator();
        var padding = new string(' ', (8 * 1024 * 1024) + 1);
        using var request = new HttpRequestMessage(HttpMethod.Post, Route)
        {
            Content = new StringContent("{\"events\": [" + valid + "]" + padding + "}", Encoding.UTF8, "application/json"),
        };
        if (chunked)
        {
            request.Headers.TransferEncodingChunked = true;
            request.Content = new StreamContent(new NonSeekableStream(await request.Content.ReadAsByteArrayAsync()));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("body", (string?)(await TallyFixture.ReadObjectAsync(response))["field"]);
        Assert.Empty(await EventsAsync(fx.Services, tenant));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData(null)]
    public async Task A_body_that_is_neither_JSON_nor_NDJSON_is_a_415_and_writes_nothing(string? contentType)
    {
        var (tenant, valid) = await SetUpAsync();
        using var client = fx.Operator();
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"events\": [" + valid + "]}"));
        if (contentType is not null)
        {
            content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        var response = await client.PostAsync(Route, content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("Content-Type", (string?)(await TallyFixture.ReadObjectAsync(response))["field"]);
        Assert.Empty(await EventsAsync(fx.Services, tenant));
    }

    [Fact]
    public async Task An_NDJSON_line_that_is_not_one_JSON_object_is_a_400_naming_the_event_and_writes_nothing()
    {
        var (tenant, valid) = await SetUpAsync();
        using var client = fx.Operator();

        var response = await client.PostAsync(Route, new StringContent(valid + "\n" + valid.Replace("fine", "also", StringComparison.Ordinal) + "\n{\"id\": \n", Encoding.UTF8, "application/x-ndjson"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await TallyFixture.ReadObjectAsync(response);
        Assert.Equal("events[2]", (string?)problem["field"]);
        Assert.Contains("Line 3", (string?)problem["detail"], StringComparison.Ordinal);
        Assert.Empty(await EventsAsync(fx.Services, tenant));
    }

    [Fact]
    public async Task Tenant_tokens_and_operator_tokens_without_the_scope_permission_or_write_role_get_403()
    {
        var (tenant, valid) = await SetUpAsync();
        var (_, tenantToken) = await fx.CreateTokenAsync(tenant, scopes: ["usage:write"]);
        var (_, noScope) = await fx.CreateTokenAsync(null, scopes: ["quota:admit"]);
        var (_, viewer) = await fx.CreateTokenAsync(null, role: "viewer", scopes: ["usage:write"]);
        var (_, otherArea) = await fx.CreateTokenAsync(null, scopes: ["usage:write"], permissions: ["billing"]);
        var (_, allowed) = await fx.CreateTokenAsync(null, role: "member", scopes: ["usage:write"], permissions: ["usage"]);
        var body = "{\"events\": [" + valid + "]}";

        foreach (var token in new[] { tenantToken, noScope, viewer, otherArea })
        {
            using var client = fx.Client(token);
            var response = await client.PostAsync(Route, TallyFixture.Json(body));
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        }

        Assert.Empty(await EventsAsync(fx.Services, tenant));
        using (var none = fx.Client(null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await none.PostAsync(Route, TallyFixture.Json(body))).StatusCode);
        }

        using var ok = fx.Client(allowed);
        Assert.Equal(1, (await ReadAsync(await ok.PostAsync(Route, TallyFixture.Json(body)))).Accepted);
    }

    /// <summary>A stream whose length is unknown, so the client sends the body chunked.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }
    }
}

public sealed class UsageIngestInputTestsOnSqlite(SqliteFixture fx) : UsageIngestInputTests(fx), IClassFixture<SqliteFixture>;

public sealed class UsageIngestInputTestsOnPostgres(PostgresFixture fx) : UsageIngestInputTests(fx), IClassFixture<PostgresFixture>;
