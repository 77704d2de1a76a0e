using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Tally.Server.Features.Billing;
using Tally.Server.Tests.Infrastructure;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Tests.Billing;

/// <summary>The operator's billing-run routes: validation, rights, and runs carried out in the background.</summary>
public abstract class BillingRunApiTests(TallyFixture fx)
{
    private const string Runs = "/api/admin/billing/runs";

    [Theory]
    [InlineData("""{"date":"2026-13-01"}""", "date")]
    [InlineData("""{"date":"24.11.2026"}""", "date")]
    [InlineData("""{"date":"2026-11-24T00:00:00Z"}""", "date")]
    [InlineData("""{"date":""}""", "date")]
    [InlineData("""{"date":20261124}""", "date")]
    [InlineData("""{"dry_run":"yes"}""", "dry_run")]
    [InlineData("""{"tenants":"acme"}""", "tenants")]
    [InlineData("""{"tenants":[""]}""", "tenants[0]")]
    [InlineData("""{"tenant":["acme"]}""", "tenant")]
    public async Task A_malformed_body_is_a_400_naming_the_field(string body, string field)
    {
        using var op = fx.Operator();

        var response = await op.PostAsync(Runs, TallyFixture.Json(body));

        await AssertBadRequestAsync(response, field);
    }

    [Fact]
    public async Task A_date_in_the_future_is_refused_and_today_is_accepted()
    {
        using var op = fx.Operator();
        var today = DateOnly.FromDateTime(fx.Clock.GetUtcNow().UtcDateTime);

        var tomorrow = await op.PostAsJsonAsync(Runs, new { date = today.AddDays(1).ToString("yyyy-MM-dd"), tenants = new[] { await fx.CreateTenantAsync() } });
        var now = await op.PostAsJsonAsync(Runs, new { date = today.ToString("yyyy-MM-dd"), tenants = new[] { await fx.CreateTenantAsync() } });

        var problem = await AssertBadRequestAsync(tomorrow, "date");
        Assert.Contains("future", (string)problem["detail"]!, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Accepted, now.StatusCode);
    }

    [Fact]
    public async Task Unknown_duplicate_and_too_many_tenants_are_refused_naming_the_entry()
    {
        using var op = fx.Operator();
        var known = await fx.CreateTenantAsync();

        var unknown = await op.PostAsJsonAsync(Runs, new { tenants = new[] { known, "nobody-here" } });
        var twice = await op.PostAsJsonAsync(Runs, new { tenants = new[] { known, "other", known } });
        var tooMany = await op.PostAsJsonAsync(Runs, new { tenants = Enumerable.Range(0, 10_001).Select(i => $"t{i}").ToArray() });

        Assert.Contains("nobody-here", (string)(await AssertBadRequestAsync(unknown, "tenants[1]"))["detail"]!, StringComparison.Ordinal);
        Assert.Contains("twice", (string)(await AssertBadRequestAsync(twice, "tenants[2]"))["detail"]!, StringComparison.Ordinal);
        Assert.Contains("10,000", (string)(await AssertBadRequestAsync(tooMany, "tenants"))["detail"]!, StringComparison.Ordinal);
        var list = await GetAsync(op, Runs + "?limit=1000");
        Assert.DoesNotContain(list["items"]!.AsArray(), r => r!["tenants"]!.AsArray().Any(t => (string?)t == "nobody-here"));
    }

    [Fact]
    public async Task An_unknown_run_is_a_404_and_a_bad_limit_a_400()
    {
        using var op = fx.Operator();

        var missing = await op.GetAsync($"{Runs}/run-{Guid.NewGuid():D}");
        var zero = await op.GetAsync(Runs + "?limit=0");
        var huge = await op.GetAsync(Runs + "?limit=1001");

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        await AssertBadRequestAsync(zero, "limit");
        await AssertBadRequestAsync(huge, "limit");
    }

    [Fact]
    public async Task Only_operator_tokens_with_the_billing_scope_and_permission_may_use_billing_runs()
    {
        var tenant = await fx.CreateTenantAsync();
        var (_, tenantAdmin) = await fx.CreateTokenAsync(tenant, scopes: ["billing"]);
        var (_, noScope) = await fx.CreateTokenAsync(null, scopes: []);
        var (_, quotaOnly) = await fx.CreateTokenAsync(null, scopes: ["billing"], permissions: ["quota"]);
        var (_, viewer) = await fx.CreateTokenAsync(null, role: "viewer", scopes: ["billing"]);
        var (_, billing) = await fx.CreateTokenAsync(null, scopes: ["billing"], permissions: ["billing"]);
        var body = new { tenants = new[] { tenant } };
        string id;
        using (var op = fx.Operator())
        {
            id = (string)(await ReadAsync(await op.PostAsJsonAsync(Runs, body)))["id"]!;
        }

        foreach (var token in new[] { tenantAdmin, noScope, quotaOnly })
        {
            using var client = fx.Client(token);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync(Runs, body)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync($"{Runs}/{id}")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync(Runs)).StatusCode);
        }

        using (var client = fx.Client(viewer))
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync(Runs, body)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"{Runs}/{id}")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Runs)).StatusCode);
        }

        using (var client = fx.Client(billing))
        {
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync(Runs, body)).StatusCode);
        }
    }

    [Fact]
    public async Task A_run_is_accepted_with_its_location_reaches_finished_and_issues_the_closed_months_invoices()
    {
        using var op = fx.Operator();
        var kit = new BillingTestKit(fx);
        var billed = await kit.TenantAsync();
        await kit.AssignAsync(billed, await kit.PlanAsync("99.00"), "2026-09-16T00:00:00Z");
        var tenants = new[] { billed, await kit.TenantAsync() };
        var date = DateOnly.FromDateTime(fx.Clock.GetUtcNow().UtcDateTime).AddDays(-1).ToString("yyyy-MM-dd");

        var response = await op.PostAsJsonAsync(Runs, new { date, tenants, dry_run = false });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await ReadAsync(response);
        var id = (string)accepted["id"]!;
        Assert.StartsWith("run-", id, StringComparison.Ordinal);
        Assert.Contains((string)accepted["state"]!, new[] { "queued", "running", "finished" });
        Assert.Equal($"{Runs}/{id}", response.Headers.Location?.ToString());
        var run = await WaitAsync(op, response.Headers.Location!.ToString());
        Assert.Equal("finished", (string?)run["state"]);
        Assert.Equal(date, (string?)run["date"]);
        Assert.False((bool)run["dry_run"]!);
        Assert.Equal(2, (int)run["tenants_total"]!);
        Assert.Equal(2, (int)run["tenants_done"]!);
        Assert.Equal(2, (int)run["invoices_issued"]!); // September (prorated) and October
        Assert.Equal(0, (int)run["charges_made"]!); // due two days after issue
        Assert.Equal(tenants, run["tenants"]!.AsArray().Select(t => (string)t!).ToArray());
        Assert.Empty(run["errors"]!.AsArray());
        Assert.NotNull(run["started_at"]);
        Assert.NotNull(run["finished_at"]);
        Assert.NotNull(run["created_at"]);
        Assert.Equal(["2026-09", "2026-10"], (await kit.InvoicesAsync(billed)).Select(i => i.Invoice.Period));
        await using var db = fx.Services.GetRequiredService<TallyDatabase>().CreateContext();
        Assert.Equal(2, await db.InvoicePdfs.CountAsync(p => p.TenantId == billed)); // rendered by the run (RenderPdfs)
    }

    [Fact]
    public async Task A_second_run_adds_no_invoice_and_charges_what_has_fallen_due()
    {
        using var op = fx.Operator();
        var kit = new BillingTestKit(fx);
        var tenant = await kit.TenantAsync();
        await kit.AssignAsync(tenant, await kit.PlanAsync("50.00"), "2026-09-01T00:00:00Z");
        var first = await WaitAsync(op, (await op.PostAsJsonAsync(Runs, new { tenants = new[] { tenant } })).Headers.Location!.ToString());
        fx.Clock.Advance(TimeSpan.FromDays(3));

        var second = await WaitAsync(op, (await op.PostAsJsonAsync(Runs, new { tenants = new[] { tenant } })).Headers.Location!.ToString());

        Assert.Equal(2, (int)first["invoices_issued"]!);
        Assert.Equal("finished", (string?)second["state"]);
        Assert.Equal(0, (int)second["invoices_issued"]!);
        Assert.Equal(2, (int)second["charges_made"]!); // no payment method: each attempt is recorded as declined
        Assert.Equal(2, (await kit.InvoicesAsync(tenant)).Count);
        Assert.Equal(2, (await kit.TransactionsAsync(tenant)).Count);
    }

    [Fact]
    public async Task A_dry_run_reports_the_invoices_it_would_issue_and_writes_none()
    {
        using var op = fx.Operator();
        var kit = new BillingTestKit(fx);
        var tenant = await kit.TenantAsync();
        await kit.AssignAsync(tenant, await kit.PlanAsync("20.00"), "2026-10-01T00:00:00Z");

        var run = await WaitAsync(op, (await op.PostAsJsonAsync(Runs, new { tenants = new[] { tenant }, dry_run = true })).Headers.Location!.ToString());

        Assert.Equal("finished", (string?)run["state"]);
        Assert.True((bool)run["dry_run"]!);
        Assert.Equal(1, (int)run["invoices_issued"]!);
        Assert.Empty(run["errors"]!.AsArray());
        Assert.Empty(await kit.InvoicesAsync(tenant));
    }

    [Fact]
    public async Task A_tenant_that_cannot_be_billed_is_recorded_with_its_error_and_the_run_goes_on()
    {
        using var op = fx.Operator();
        var kit = new BillingTestKit(fx);
        var billed = await kit.TenantAsync();
        await kit.AssignAsync(billed, await kit.PlanAsync("10.00"), "2026-10-01T00:00:00Z");
        var broken = await BrokenTenantAsync(fx);
        var tenants = new[] { billed, "gone-" + TallyFixture.NewTenantName(), broken, await fx.CreateTenantAsync() };
        var runs = fx.Services.GetRequiredService<BillingRuns>();

        // As if the tenant was removed between the request and the run: the request validated it, the run finds it gone.
        var row = await runs.TryCreateAsync(BillingRuns.NewId(), BillingRuns.Today(fx.Clock.GetUtcNow()), tenants, dryRun: false, "test", CancellationToken.None);
        fx.Services.GetRequiredService<BillingRunQueue>().Enqueue(row!.Id);
        var run = await WaitAsync(op, $"{Runs}/{row.Id}");

        Assert.Equal("finished", (string?)run["state"]);
        Assert.Equal(4, (int)run["tenants_total"]!);
        Assert.Equal(4, (int)run["tenants_done"]!);
        Assert.Equal(1, (int)run["invoices_issued"]!);
        var errors = run["errors"]!.AsArray().Where(e => e!["invoice"] is null).Select(e => ((string)e!["tenant"]!, (string)e["error"]!)).ToList();
        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Item1 == tenants[1] && e.Item2.Contains("does not exist", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Item1 == broken && e.Item2.Contains(MissingPlan, StringComparison.Ordinal));
        Assert.Single(await kit.InvoicesAsync(billed));
    }

    [Fact]
    public async Task A_run_abandoned_by_a_dead_process_is_claimed_again_after_ten_minutes_and_a_live_one_is_not()
    {
        using var op = fx.Operator();
        var kit = new BillingTestKit(fx);
        var tenant = await kit.TenantAsync();
        await kit.AssignAsync(tenant, await kit.PlanAsync("30.00"), "2026-10-01T00:00:00Z");
        var runs = fx.Services.GetRequiredService<BillingRuns>();
        var today = BillingRuns.Today(fx.Clock.GetUtcNow());
        var dead = (await runs.TryCreateAsync(BillingRuns.NewId(), today, [tenant], dryRun: false, "dead-process", CancellationToken.None))!;
        var live = (await runs.TryCreateAsync(BillingRuns.NewId(), today, [tenant], dryRun: true, "live-process", CancellationToken.None))!;
        var now = fx.Clock.GetUtcNow();
        await using (var db = fx.Services.GetRequiredService<TallyDatabase>().CreateContext())
        {
            foreach (var (id, touched) in new[] { (dead.Id, now.AddMinutes(-11)), (live.Id, now) })
            {
                await db.BillingRuns.Where(r => r.Id == id).ExecuteUpdateAsync(u => u
                    .SetProperty(r => r.State, BillingRuns.Running).SetProperty(r => r.StartedAt, touched).SetProperty(r => r.UpdatedAt, touched));
            }
        }

        // The sweep runs every minute of the (fake) clock; the live run stays younger than ten minutes throughout.
        JsonObject reclaimed = [];
        for (var minute = 0; minute < 5 && (string?)reclaimed["state"] != "finished"; minute++)
        {
            fx.Clock.Advance(TimeSpan.FromMinutes(1));
            reclaimed = await WaitAsync(op, $"{Runs}/{dead.Id}", TimeSpan.FromSeconds(5));
        }

        Assert.Equal("finished", (string?)reclaimed["state"]);
        Assert.Equal(1, (int)reclaimed["invoices_issued"]!);
        Assert.Single(await kit.InvoicesAsync(tenant));
        var untouched = await GetAsync(op, $"{Runs}/{live.Id}");
        Assert.Equal("running", (string?)untouched["state"]);
        Assert.Equal(0, (int)untouched["tenants_done"]!);
    }

    [Fact]
    public async Task Without_tenants_a_run_bills_every_tenant_and_the_date_defaults_to_today_UTC()
    {
        using var op = fx.Operator();
        await fx.CreateTenantAsync();
        var all = (await GetAsync(op, "/api/admin/tenants?limit=1000"))["items"]!.AsArray().Count;
        var today = DateOnly.FromDateTime(fx.Clock.GetUtcNow().UtcDateTime).ToString("yyyy-MM-dd");

        var response = await op.PostAsync(Runs, TallyFixture.Json("{}"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var run = await WaitAsync(op, response.Headers.Location!.ToString());
        Assert.Equal(today, (string?)run["date"]);
        Assert.Empty(run["tenants"]!.AsArray());
        Assert.True((int)run["tenants_total"]! >= all, $"{run["tenants_total"]} < {all}");
        Assert.Equal((int)run["tenants_total"]!, (int)run["tenants_done"]!);
    }

    [Fact]
    public async Task The_list_is_newest_first_and_honours_the_limit()
    {
        using var op = fx.Operator();
        var tenant = await fx.CreateTenantAsync();
        fx.Clock.Advance(TimeSpan.FromSeconds(1));
        var first = (string)(await ReadAsync(await op.PostAsJsonAsync(Runs, new { tenants = new[] { tenant }, dry_run = true })))["id"]!;
        fx.Clock.Advance(TimeSpan.FromSeconds(1));
        var second = (string)(await ReadAsync(await op.PostAsJsonAsync(Runs, new { tenants = new[] { tenant }, dry_run = true })))["id"]!;

        var two = (await GetAsync(op, Runs + "?limit=2"))["items"]!.AsArray();
        var one = (await GetAsync(op, Runs + "?limit=1"))["items"]!.AsArray();

        Assert.Equal([second, first], two.Select(r => (string)r!["id"]!).ToArray());
        Assert.Equal(second, (string?)Assert.Single(one)!["id"]);
        Assert.True((bool)two[0]!["dry_run"]!);
    }

    internal const string MissingPlan = "plan-gone-from-the-catalog";

    /// <summary>A tenant the engine refuses to bill: its plan subscription names a plan the catalog does not have.</summary>
    internal static async Task<string> BrokenTenantAsync(TallyFixture fx)
    {
        var tenant = await new BillingTestKit(fx).TenantAsync();
        await using var db = fx.Services.GetRequiredService<TallyDatabase>().CreateContext();
        var start = new DateTimeOffset(2026, 9, 1, 0, 0, 0, TimeSpan.Zero);
        db.PlanSubscriptions.Add(new PlanSubscriptionRow { TenantId = tenant, Id = "sub-" + Guid.NewGuid().ToString("D"), Plan = MissingPlan, StartsAt = start, CreatedAt = start });
        await db.SaveChangesAsync();
        return tenant;
    }

    internal static async Task<JsonObject> WaitAsync(HttpClient client, string location, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var run = await GetAsync(client, location);
            var state = (string?)run["state"];
            if (state is "finished" or "failed" || DateTime.UtcNow > deadline)
            {
                return run;
            }

            await Task.Delay(50);
        }
    }

    internal static async Task<JsonObject> GetAsync(HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ReadAsync(response);
    }

    private static Task<JsonObject> ReadAsync(HttpResponseMessage response) => TallyFixture.ReadObjectAsync(response);

    private static async Task<JsonObject> AssertBadRequestAsync(HttpResponseMessage response, string field)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(field, (string?)problem["field"]);
        return problem;
    }
}

public sealed class BillingRunApiTestsOnSqlite(SqliteFixture fx) : BillingRunApiTests(fx), IClassFixture<SqliteFixture>;

public sealed class BillingRunApiTestsOnPostgres(PostgresFixture fx) : BillingRunApiTests(fx), IClassFixture<PostgresFixture>;
