using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Tally.Domain.Access;
using Tally.Server.Auth;
using Tally.Server.Tests.Infrastructure;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Tests.Processes;

/// <summary>
/// A real <c>tally serve</c> killed with SIGKILL in the middle of sustained ingest, then restarted on the same database:
/// every acknowledged event is there exactly once, and re-sending what was not acknowledged doubles nothing.
/// </summary>
public sealed class IngestCrashTests
{
    private const string Secret = "tly_ingest_crash_test_bootstrap_secret_0123456789";
    private const string Tenant = "acme";
    private const int Batches = 400;
    private const int BatchSize = 500;

    [Fact]
    public async Task Ingest_into_SQLite_survives_SIGKILL_with_every_acknowledged_event_stored_exactly_once() =>
        await KillAndRecoverAsync(TestFiles.NewPath("crash", ".db"));

    [Fact]
    public async Task Ingest_into_PostgreSQL_survives_SIGKILL_with_every_acknowledged_event_stored_exactly_once() =>
        await KillAndRecoverAsync(await PostgresServer.CreateDatabaseAsync());

    private static async Task KillAndRecoverAsync(string connection)
    {
        await SeedAsync(connection);
        var now = DateTimeOffset.UtcNow;
        var acknowledged = new ConcurrentDictionary<int, bool>();

        var (server, url) = await TallyProcess.ServeAsync(connection);
        await using (server)
        {
            using var client = Client(url);
            var next = -1;
            var killed = 0;
            async Task SendAsync()
            {
                int batch;
                while (Volatile.Read(ref killed) == 0 && (batch = Interlocked.Increment(ref next)) < Batches)
                {
                    try
                    {
                        using var response = await client.PostAsync(new Uri("/api/admin/usage/events", UriKind.Relative), Body(batch, now));
                        if (response.IsSuccessStatusCode)
                        {
                            acknowledged[batch] = true;
                        }
                    }
                    catch (HttpRequestException)
                    {
                        // The server died with this batch in flight: not acknowledged.
                    }
                    catch (TaskCanceledException)
                    {
                        // Same.
                    }
                }
            }

            var senders = Enumerable.Range(0, 3).Select(_ => Task.Run(SendAsync)).ToArray();
            while (acknowledged.Count < 6 && !senders.All(s => s.IsCompleted))
            {
                await Task.Delay(10);
            }

            await server.KillAsync();
            Volatile.Write(ref killed, 1);
            await Task.WhenAll(senders);
        }

        Assert.InRange(acknowledged.Count, 6, Batches - 1);

        // After the crash, before any retry: each acknowledged event exactly once, roll-ups matching the raw events.
        var (events, ids, hourlyCount, hourlySum) = await ReadAsync(connection);
        for (var batch = 0; batch < Batches; batch++)
        {
            if (acknowledged.ContainsKey(batch))
            {
                Assert.All(Enumerable.Range(0, BatchSize), i => Assert.Contains(Id(batch, i), ids));
            }
        }

        Assert.Equal(events, ids.Count);
        Assert.Equal(events, hourlyCount);
        Assert.Equal(events * 1_000_000L, hourlySum);

        // Restart and re-send everything that was not acknowledged (some of it may have been committed before the kill).
        var (again, againUrl) = await TallyProcess.ServeAsync(connection);
        await using (again)
        {
            using var client = Client(againUrl);
            foreach (var batch in Enumerable.Range(0, Batches).Where(b => !acknowledged.ContainsKey(b)))
            {
                using var response = await client.PostAsync(new Uri("/api/admin/usage/events", UriKind.Relative), Body(batch, now));
                Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
                var outcome = await TallyFixture.ReadObjectAsync(response);
                Assert.Equal(BatchSize, (int)outcome["accepted"]! + (int)outcome["duplicates"]!);
            }
        }

        var (finalEvents, finalIds, finalCount, finalSum) = await ReadAsync(connection);
        Assert.Equal(Batches * BatchSize, finalEvents);
        Assert.Equal(Batches * BatchSize, finalIds.Count);
        Assert.Equal(Batches * BatchSize, finalCount);
        Assert.Equal(Batches * BatchSize * 1_000_000L, finalSum);
    }

    private static string Id(int batch, int i) => string.Create(CultureInfo.InvariantCulture, $"b{batch}-e{i}");

    private static StringContent Body(int batch, DateTimeOffset now)
    {
        var text = new StringBuilder("{\"events\":[");
        for (var i = 0; i < BatchSize; i++)
        {
            var at = now.AddMinutes(-((batch + i) % 240)).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            text.Append(CultureInfo.InvariantCulture,
                $"{(i == 0 ? "" : ",")}{{\"id\":\"{Id(batch, i)}\",\"tenant\":\"{Tenant}\",\"namespace\":\"default\",\"metric\":\"{(i % 2 == 0 ? "requests" : "bytes")}\",\"quantity\":1,\"timestamp\":\"{at}\",\"object_name\":\"obj-{i % 7}\"}}");
        }

        return new StringContent(text.Append("]}").ToString(), Encoding.UTF8, "application/json");
    }

    private static async Task SeedAsync(string connection)
    {
        await using var database = new TallyDatabase(connection);
        await database.MigrateAsync();
        var now = DateTimeOffset.UtcNow;
        await using var db = database.CreateContext();
        db.Tenants.Add(new TenantRow { TenantId = Tenant, DisplayName = "Acme", Currency = "USD", TimeZone = "UTC", Locale = "en", BillingMode = "postpaid", VatRate = "0", CreatedAt = now, UpdatedAt = now });
        db.Namespaces.Add(new NamespaceRow { TenantId = Tenant, Name = "system", CreatedAt = now });
        db.Namespaces.Add(new NamespaceRow { TenantId = Tenant, Name = "default", CreatedAt = now });
        db.Metrics.Add(new MetricRow { Name = "requests", DefinitionJson = "{}", UpdatedAt = now });
        db.Metrics.Add(new MetricRow { Name = "bytes", DefinitionJson = "{}", UpdatedAt = now });
        db.ApiTokens.Add(TokenIssuer.Issue(null, "op", Role.Admin, [], Scopes.All, [], null, now, "test", Secret).Row);
        await db.SaveChangesAsync();
    }

    private static async Task<(int Events, HashSet<string> Ids, long HourlyCount, long HourlySum)> ReadAsync(string connection)
    {
        await using var database = new TallyDatabase(connection);
        await using var db = database.CreateContext();
        var ids = await db.UsageEvents.Where(e => e.TenantId == Tenant).Select(e => e.EventId).ToListAsync();
        var hourly = await db.UsageHourly.Where(h => h.TenantId == Tenant).ToListAsync();
        return (ids.Count, ids.ToHashSet(StringComparer.Ordinal), hourly.Sum(h => h.EventCount), hourly.Sum(h => h.SumMicros));
    }

    private static HttpClient Client(Uri url)
    {
        var client = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("APIToken", Secret);
        return client;
    }
}
