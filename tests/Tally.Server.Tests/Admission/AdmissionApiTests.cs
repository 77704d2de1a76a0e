using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Tally.Server.Tests.Infrastructure;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Tests.Admission;

public abstract class AdmissionApiTests(TallyFixture fx)
{
    /// <summary>Stores a quota object directly, independent of the F5 quota routes.</summary>
    internal static async Task SetLimitAsync(IServiceProvider services, string tenant, string ns, string name, string specJson)
    {
        var now = DateTimeOffset.UtcNow;
        await using var db = services.GetRequiredService<TallyDatabase>().CreateContext();
        db.QuotaObjects.Add(new QuotaObjectRow
        {
            TenantId = tenant, Namespace = ns, Name = name, Uid = Guid.NewGuid().ToString(), CreatorId = "test",
            SpecJson = specJson, CreatedAt = now, ModifiedAt = now,
        });
        await db.SaveChangesAsync();
    }

    private static object Body(string ns, string key, double amount, string kind = "objects") => new { @namespace = ns, kind, key, amount };

    [Fact]
    public async Task Sixty_four_concurrent_admissions_against_a_limit_of_ten_admit_exactly_ten()
    {
        var tenant = await fx.CreateTenantAsync("default");
        await SetLimitAsync(fx.Services, tenant, "system", "limits", "{\"object_limits\":{\"http_loadbalancer\":{\"maximum\":10}}}");
        var clients = Enumerable.Range(0, 8).Select(_ => fx.Operator()).ToArray();

        var responses = await Task.WhenAll(Enumerable.Range(0, 64).Select(i =>
            clients[i % clients.Length].PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", Body("default", "http_loadbalancer", 1))));

        Assert.Equal(10, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(54, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        var refused = await TallyFixture.ReadObjectAsync(await clients[0].PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", Body("default", "http_loadbalancer", 1)));
        Assert.Equal(10, (double)refused["current"]!);
        Assert.Equal(10, (double)refused["limit"]!);
        foreach (var c in clients)
        {
            c.Dispose();
        }
    }

    [Fact]
    public async Task The_writer_loops_batches_calls_and_time_show_at_metrics()
    {
        var tenant = await fx.CreateTenantAsync("default");
        using var op = fx.Operator();
        using var scraper = fx.Client(null);
        var before = await WriterTotalsAsync(scraper);

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            op.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", Body("default", $"k{i % 3}", 1))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var after = await WriterTotalsAsync(scraper);
        // Other test classes' servers in this process count into the same totals, so only lower bounds hold.
        Assert.True(after.Calls >= before.Calls + 20, $"calls {before.Calls} -> {after.Calls}");
        Assert.InRange(after.Batches, before.Batches + 1, before.Batches + (after.Calls - before.Calls));
        Assert.True(after.ExecuteSeconds > before.ExecuteSeconds, "execute seconds did not grow");
        Assert.True(after.AnswerSeconds > before.AnswerSeconds, "answer seconds did not grow");
    }

    [Fact]
    public async Task The_writer_loop_runs_on_its_own_thread_with_the_shortest_scheduler_slice()
    {
        var tenant = await fx.CreateTenantAsync("default");
        using var op = fx.Operator();
        (await op.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", Body("default", "k", 1))).EnsureSuccessStatusCode();
        Assert.True(OperatingSystem.IsLinux(), "this check reads Linux's /proc");

        // Every test server in this process has its own store, so there may be several such threads; each must have asked.
        var writers = Directory.GetDirectories("/proc/self/task")
            .Where(task => File.Exists(Path.Combine(task, "comm")) && File.ReadAllText(Path.Combine(task, "comm")).Trim() == QuotaCounterStore.WriterThreadName)
            .Select(task => File.ReadAllLines(Path.Combine(task, "sched")))
            .ToList();
        Assert.NotEmpty(writers);
        if (!File.ReadAllText("/proc/self/sched").Contains("se.slice", StringComparison.Ordinal))
        {
            return; // a kernel before EEVDF's custom slices (6.12) neither reports nor honours them
        }

        Assert.All(writers, sched => Assert.Equal(
            100_000, // ns: 100 µs, EEVDF's shortest slice (a thread's default is several times longer)
            long.Parse(sched.Single(l => l.StartsWith("se.slice", StringComparison.Ordinal)).Split(':')[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)));
    }

    private static async Task<(double Batches, double Calls, double ExecuteSeconds, double AnswerSeconds)> WriterTotalsAsync(HttpClient client)
    {
        var lines = (await client.GetStringAsync("/metrics")).Split('\n');
        double Value(string name) => double.Parse(
            lines.Single(l => l.StartsWith(name + " ", StringComparison.Ordinal))[(name.Length + 1)..],
            System.Globalization.CultureInfo.InvariantCulture);
        return (Value("tally_quota_writer_batches_total"), Value("tally_quota_writer_calls_total"),
            Value("tally_quota_writer_execute_seconds_total"), Value("tally_quota_writer_answer_seconds_total"));
    }

    [Fact]
    public async Task An_admission_reports_the_count_and_limit_and_a_refusal_says_which_limit()
    {
        var tenant = await fx.CreateTenantAsync("default");
        await SetLimitAsync(fx.Services, tenant, "system", "limits", "{\"object_limits\":{\"vk8s\":{\"maximum\":3}}}");
        using var client = fx.Operator();

        var ok = await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", Body("default", "vk8s", 2));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var admitted = await TallyFixture.ReadObjectAsync(ok);
        Assert.True((bool)admitted["admitted"]!);
        Assert.Equal(2, (double)admitted["current"]!);
        Assert.Equal(3, (double)admitted["limit"]!);

        var refused = await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", Body("default", "vk8s", 2));
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
        var problem = await TallyFixture.ReadObjectAsync(refused);
        Assert.False((bool)problem["admitted"]!);
        Assert.Equal("vk8s", (string?)problem["key"]);
        Assert.Equal(2, (double)problem["current"]!);
        Assert.Equal(3, (double)problem["limit"]!);
        Assert.Contains("vk8s", (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_namespace_quota_overrides_the_tenant_wide_one_and_minus_one_is_unlimited()
    {
        var tenant = await fx.CreateTenantAsync("small", "big");
        await SetLimitAsync(fx.Services, tenant, "system", "tenant-wide", "{\"object_limits\":{\"lb\":{\"maximum\":5}}}");
        await SetLimitAsync(fx.Services, tenant, "small", "small", "{\"object_limits\":{\"lb\":{\"maximum\":1}}}");
        await SetLimitAsync(fx.Services, tenant, "big", "big", "{\"object_limits\":{\"lb\":{\"maximum\":-1}}}");
        using var client = fx.Operator();

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", Body("small", "lb", 1))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", Body("small", "lb", 1))).StatusCode);
        var big = await TallyFixture.ReadObjectAsync(await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", Body("big", "lb", 1000)));
        Assert.Equal(-1, (double)big["limit"]!);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", Body("system", "lb", 5))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", Body("system", "lb", 1))).StatusCode);
    }

    [Fact]
    public async Task Resources_admit_fractions_exactly()
    {
        var tenant = await fx.CreateTenantAsync();
        await SetLimitAsync(fx.Services, tenant, "system", "cpu", "{\"resource_limits\":{\"cpu\":{\"maximum\":0.3}}}");
        using var client = fx.Operator();

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", Body("system", "cpu", 0.1, "resources"))).StatusCode);
        var second = await TallyFixture.ReadObjectAsync(await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", Body("system", "cpu", 0.2, "resources")));
        Assert.Equal(0.3, (double)second["current"]!, 9);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", Body("system", "cpu", 0.000001, "resources"))).StatusCode);
    }

    [Fact]
    public async Task Release_never_goes_below_zero()
    {
        var tenant = await fx.CreateTenantAsync();
        using var client = fx.Operator();
        await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", Body("system", "lb", 2));

        var released = await TallyFixture.ReadObjectAsync(await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/release", Body("system", "lb", 5)));
        Assert.Equal(0, (double)released["current"]!);
        var never = await TallyFixture.ReadObjectAsync(await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/release", Body("system", "other", 1)));
        Assert.Equal(0, (double)never["current"]!);
    }

    [Fact]
    public async Task Reconciling_counts_replaces_the_namespaces_counts()
    {
        var tenant = await fx.CreateTenantAsync("default");
        await SetLimitAsync(fx.Services, tenant, "system", "limits", "{\"object_limits\":{\"lb\":{\"maximum\":4}}}");
        using var client = fx.Operator();
        await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", Body("default", "old", 7));

        var response = await client.PutAsJsonAsync($"/api/admin/tenants/{tenant}/quota/counts", new { @namespace = "default", objects = new Dictionary<string, int> { ["lb"] = 3 }, resources = new Dictionary<string, double> { ["cpu"] = 1.5 } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", Body("default", "lb", 1))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", Body("default", "lb", 1))).StatusCode);
        var old = await TallyFixture.ReadObjectAsync(await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/release", Body("default", "old", 0)));
        Assert.Equal(0, (double)old["current"]!);
    }

    [Theory]
    [InlineData("{\"namespace\":\"system\",\"kind\":\"widgets\",\"key\":\"lb\",\"amount\":1}", "kind")]
    [InlineData("{\"namespace\":\"system\",\"kind\":\"objects\",\"key\":\"lb\",\"amount\":-1}", "amount")]
    [InlineData("{\"namespace\":\"system\",\"kind\":\"objects\",\"key\":\"lb\",\"amount\":1.5}", "amount")]
    [InlineData("{\"namespace\":\"system\",\"kind\":\"objects\",\"key\":\"lb\",\"amount\":\"1\"}", "amount")]
    [InlineData("{\"namespace\":\"system\",\"kind\":\"objects\",\"key\":\"9bad\",\"amount\":1}", "key")]
    [InlineData("{\"namespace\":\"system\",\"kind\":\"objects\",\"amount\":1}", "key")]
    [InlineData("{\"kind\":\"objects\",\"key\":\"lb\",\"amount\":1}", "namespace")]
    [InlineData("{\"namespace\":\"system\",\"kind\":\"objects\",\"key\":\"lb\"}", "amount")]
    [InlineData("{\"namespace\":\"system\",\"kind\":\"objects\",\"key\":\"lb\",\"amount\":1,\"force\":true}", "force")]
    [InlineData("{\"namespace\":", "namespace")]
    public async Task Bad_admission_input_is_a_400_naming_the_field_and_counts_nothing(string body, string field)
    {
        var tenant = await fx.CreateTenantAsync();
        using var client = fx.Operator();

        var response = await client.PostAsync($"/api/admin/tenants/{tenant}/quota/admit", TallyFixture.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, (string?)(await TallyFixture.ReadObjectAsync(response))["field"]);
        var after = await TallyFixture.ReadObjectAsync(await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/release", Body("system", "lb", 0)));
        Assert.Equal(0, (double)after["current"]!);
    }

    [Fact]
    public async Task Bad_counts_input_is_a_400_naming_the_field_and_changes_nothing()
    {
        var tenant = await fx.CreateTenantAsync();
        using var client = fx.Operator();
        await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", Body("system", "lb", 2));

        var response = await client.PutAsync($"/api/admin/tenants/{tenant}/quota/counts", TallyFixture.Json("{\"namespace\":\"system\",\"objects\":{\"lb\":1,\"vh\":-3}}"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("objects.vh", (string?)(await TallyFixture.ReadObjectAsync(response))["field"]);
        var after = await TallyFixture.ReadObjectAsync(await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/release", Body("system", "lb", 0)));
        Assert.Equal(2, (double)after["current"]!);
    }

    [Fact]
    public async Task An_unknown_namespace_is_404()
    {
        var tenant = await fx.CreateTenantAsync();
        using var client = fx.Operator();
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", Body("nowhere", "lb", 1))).StatusCode);
    }

    [Fact]
    public async Task Counts_go_with_their_namespace_so_a_deleted_one_is_404_and_a_recreated_one_starts_at_zero()
    {
        var tenant = await fx.CreateTenantAsync("default");
        using var client = fx.Operator();
        var url = $"/api/admin/tenants/{tenant}/quota/admit";
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync(url, Body("default", "lb", 3))).StatusCode);

        Assert.True((await client.DeleteAsync($"/api/admin/tenants/{tenant}/namespaces/default")).IsSuccessStatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsJsonAsync(url, Body("default", "lb", 1))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/release", Body("default", "lb", 1))).StatusCode);

        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync($"/api/admin/tenants/{tenant}/namespaces", new { name = "default" })).StatusCode);
        var admitted = await TallyFixture.ReadObjectAsync(await client.PostAsJsonAsync(url, Body("default", "lb", 1)));
        Assert.Equal(1, (double)admitted["current"]!);
    }

    /// <summary>SQL that makes every insert of a count for <paramref name="tenant"/>'s key <c>boom</c> fail, and SQL that undoes it.</summary>
    private static (string Create, string Drop) FailingInsertOfKeyBoom(TallyDatabase database, string tenant)
    {
        var trigger = $"boom_{tenant.Replace('-', '_')}";
        return database.Engine == DatabaseEngine.Sqlite
            ? ($"CREATE TRIGGER {trigger} BEFORE INSERT ON quota_counts WHEN NEW.tenant_id = '{tenant}' AND NEW.key = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END",
                $"DROP TRIGGER {trigger}")
            : ($"""
                CREATE FUNCTION {trigger}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$;
                CREATE TRIGGER {trigger} BEFORE INSERT ON quota_counts FOR EACH ROW
                    WHEN (NEW.tenant_id = '{tenant}' AND NEW.key = 'boom') EXECUTE FUNCTION {trigger}()
                """,
                $"DROP TRIGGER {trigger} ON quota_counts; DROP FUNCTION {trigger}()");
    }

    [Fact]
    public async Task A_call_that_fails_in_the_database_leaves_the_count_equal_to_the_admissions_acknowledged_and_the_next_batch_works()
    {
        var tenant = await fx.CreateTenantAsync("default");
        var database = fx.Services.GetRequiredService<TallyDatabase>();
        var (create, drop) = FailingInsertOfKeyBoom(database, tenant);
        await ExecuteAsync(database, create);
        try
        {
            using var client = fx.Operator();
            var url = $"/api/admin/tenants/{tenant}/quota/admit";
            var responses = await Task.WhenAll(Enumerable.Range(0, 40)
                .Select(i => client.PostAsJsonAsync(url, Body("default", i == 20 ? "boom" : "lb", 1))));

            Assert.Equal(HttpStatusCode.InternalServerError, responses[20].StatusCode);
            Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.InternalServerError, $"{r.StatusCode}"));
            var acknowledged = responses.Where((r, i) => i != 20 && r.StatusCode == HttpStatusCode.OK).Count();
            var after = await TallyFixture.ReadObjectAsync(await client.PostAsJsonAsync(url, Body("default", "lb", 1)));
            Assert.Equal(acknowledged + 1, (double)after["current"]!);
        }
        finally
        {
            await ExecuteAsync(database, drop);
        }
    }

    [Fact]
    public async Task A_batch_whose_later_call_fails_completes_exactly_the_calls_it_counted()
    {
        var tenant = await fx.CreateTenantAsync("default");
        var database = fx.Services.GetRequiredService<TallyDatabase>();
        CounterCall Admit(string key) => new(true, tenant, "default", "objects", key, 1, -1);
        using var writer = CounterBatchWriter.Open(database);
        writer.Execute([Admit("a")]);
        var (create, drop) = FailingInsertOfKeyBoom(database, tenant);
        await ExecuteAsync(database, create);
        try
        {
            CounterCall[] batch = [Admit("a"), Admit("boom")];
            Assert.ThrowsAny<System.Data.Common.DbException>(() => writer.Execute(batch));

            await using var db = database.CreateContext();
            var count = await db.QuotaCounts.Where(c => c.TenantId == tenant && c.Key == "a").Select(c => c.CurrentMicros).SingleAsync();
            Assert.False(batch[1].Result.Task.IsCompleted);
            // SQLite runs a batch in one transaction, so nothing of it counts; PostgreSQL commits the first call on each
            // key that has a count in a transaction of its own, before the other calls, and completes those calls at once.
            var firstCounted = fx.Engine == DatabaseEngine.Postgres;
            Assert.Equal(firstCounted ? 2 : 1, count);
            Assert.Equal(firstCounted, batch[0].Result.Task.IsCompletedSuccessfully);
            if (firstCounted)
            {
                Assert.Equal(new AdmissionResult(true, 2), await batch[0].Result.Task);
            }
        }
        finally
        {
            await ExecuteAsync(database, drop);
        }
    }

    [Fact]
    public async Task Calls_on_one_key_in_one_batch_apply_in_their_order_beside_new_keys_and_unknown_namespaces()
    {
        var tenant = await fx.CreateTenantAsync("default");
        CounterCall Admit(string key, long amount, long limit, string ns = "default") => new(true, tenant, ns, "objects", key, amount, limit);
        CounterCall Release(string key, long amount) => new(false, tenant, "default", "objects", key, amount, -1);
        using var writer = CounterBatchWriter.Open(fx.Services.GetRequiredService<TallyDatabase>());
        // Keys with a count before the batch: PostgreSQL's set-based path takes their first calls.
        writer.Execute([Admit("k", 1, 10), Admit("full", 9, 10), Admit("r", 3, -1)]);

        var results = writer.Execute([
            Admit("k", 6, 10), Admit("k", 5, 10), Release("k", 6), Admit("k", 5, 10),
            Admit("new", 2, 10), Admit("new", 9, 10), Release("none", 1), Admit("k", 1, -1, ns: "nowhere"),
            Admit("full", 2, 10), Release("r", 5),
        ]);

        var outcomes = results.Select(r => (r.Admitted, r.CurrentMicros, r.NamespaceExists)).ToArray();
        Assert.Equal(
            [(true, 7L, true), (true, 1L, true), (true, 6L, true), (true, 2L, true), (false, 2L, true), (true, 0L, true), (false, 0L, false),
                (false, 9L, true), (true, 0L, true)],
            outcomes.Where((_, i) => i != 1).ToArray());
        // The refused admit of 5 reports the count at its place in the batch's serial order: 7 in queue order (SQLite),
        // or 6 when PostgreSQL reads the counts of refused calls after the batch's other calls on the key (the calls of a
        // batch are concurrent, so either order is one the callers could have seen). Both exceed 10 with 5 more.
        Assert.False(outcomes[1].Admitted);
        Assert.Contains(outcomes[1].CurrentMicros, new[] { 6L, 7L });
        Assert.Equal([(true, 8L, true)], writer.Execute([Admit("k", 2, 10)]).Select(r => (r.Admitted, r.CurrentMicros, r.NamespaceExists)).ToArray());
    }

    private static async Task ExecuteAsync(TallyDatabase database, string sql)
    {
        await using var db = database.CreateContext();
        await db.Database.ExecuteSqlRawAsync(sql);
    }

    [Fact]
    public async Task Admission_needs_the_quota_admit_scope_a_writer_and_the_callers_own_tenant()
    {
        var tenant = await fx.CreateTenantAsync();
        var other = await fx.CreateTenantAsync();
        var (_, noScope) = await fx.CreateTokenAsync(tenant);
        var (_, viewer) = await fx.CreateTokenAsync(tenant, role: "viewer", scopes: ["quota:admit"]);
        var (_, foreign) = await fx.CreateTokenAsync(other, scopes: ["quota:admit"]);
        var (_, own) = await fx.CreateTokenAsync(tenant, scopes: ["quota:admit"]);

        foreach (var route in new[] { "admit", "release" })
        {
            var url = $"/api/admin/tenants/{tenant}/quota/{route}";
            using (var c = fx.Client(noScope))
            {
                Assert.Equal(HttpStatusCode.Forbidden, (await c.PostAsJsonAsync(url, Body("system", "lb", 1))).StatusCode);
            }

            using (var c = fx.Client(viewer))
            {
                Assert.Equal(HttpStatusCode.Forbidden, (await c.PostAsJsonAsync(url, Body("system", "lb", 1))).StatusCode);
            }

            using (var c = fx.Client(foreign))
            {
                var response = await c.PostAsJsonAsync(url, Body("system", "lb", 1));
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
                Assert.DoesNotContain("current", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            using (var c = fx.Client(null))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, (await c.PostAsJsonAsync(url, Body("system", "lb", 1))).StatusCode);
            }
        }

        using (var c = fx.Client(foreign))
        {
            Assert.Equal(HttpStatusCode.NotFound, (await c.PutAsJsonAsync($"/api/admin/tenants/{tenant}/quota/counts", new { @namespace = "system" })).StatusCode);
        }

        using (var c = fx.Client(viewer))
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await c.PutAsJsonAsync($"/api/admin/tenants/{tenant}/quota/counts", new { @namespace = "system" })).StatusCode);
        }

        using var ownClient = fx.Client(own);
        Assert.Equal(HttpStatusCode.OK, (await ownClient.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", Body("system", "lb", 1))).StatusCode);
        using var op = fx.Operator();
        var count = await TallyFixture.ReadObjectAsync(await op.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/release", Body("system", "lb", 0)));
        Assert.Equal(1, (double)count["current"]!);
    }
}

public sealed class AdmissionApiTestsOnSqlite(SqliteFixture fx) : AdmissionApiTests(fx), IClassFixture<SqliteFixture>;

public sealed class AdmissionApiTestsOnPostgres(PostgresFixture fx) : AdmissionApiTests(fx), IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Admissions_go_on_after_the_database_ends_the_writer_loops_session()
    {
        var tenant = await fx.CreateTenantAsync("default");
        using var op = fx.Operator();
        var admit = () => op.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", new { @namespace = "default", kind = "objects", key = "lb", amount = 1 });
        Assert.Equal(HttpStatusCode.OK, (await admit()).StatusCode);

        await using (var admin = new NpgsqlConnection(fx.ConnectionString))
        {
            await admin.OpenAsync();
            await using var kill = new NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'tally-counters'", admin);
            Assert.Equal(1L, await kill.ExecuteScalarAsync());
        }

        // The batch that meets the dead session fails: its callers get a 503 to retry (PostgreSQL's 57P01 is transient),
        // nothing is counted, and the loop opens a new session for the next batch. No call may hang: HttpClient's
        // timeout would fail the test.
        var failed = await admit();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), failed.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", failed.Content.Headers.ContentType?.MediaType);

        var retried = await admit();
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(2, (double)(await TallyFixture.ReadObjectAsync(retried))["current"]!);
    }
}
