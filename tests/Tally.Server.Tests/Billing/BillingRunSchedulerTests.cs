using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Tally.Server.Features.Billing;
using Tally.Server.Hosting;
using Tally.Server.Tests.Infrastructure;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Tests.Billing;

/// <summary>The daily scheduled run: two server instances on one database and one fake clock start exactly one a day.</summary>
public abstract class BillingRunSchedulerTests
{
    private const int RunHour = 8;

    protected abstract Task<string> CreateDatabaseAsync();

    [Fact]
    public async Task Two_instances_start_exactly_one_run_per_day_at_the_run_hour()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 6, 30, 0, TimeSpan.Zero));
        var connection = await CreateDatabaseAsync();
        await SeedTenantAsync(connection, clock.GetUtcNow());
        await using var first = await StartAsync(connection, clock);
        await using var second = await StartAsync(connection, clock);

        await AdvanceAsync(clock, TimeSpan.FromMinutes(80));
        Assert.Empty(await RunsAsync(connection));

        var day1 = await AdvanceUntilAsync(clock, connection, 1, TimeSpan.FromHours(2));
        var day2 = await AdvanceUntilAsync(clock, connection, 2, TimeSpan.FromDays(1) + TimeSpan.FromHours(1));
        await AdvanceAsync(clock, TimeSpan.FromHours(6));

        var runs = await WaitAllEndedAsync(connection);
        Assert.Equal(["run-daily-2026-11-24", "run-daily-2026-11-25"], runs.Select(r => r.Id).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(["2026-11-24", "2026-11-25"], runs.Select(r => r.Date).Order(StringComparer.Ordinal).ToArray());
        Assert.All(runs, r => Assert.Equal(BillingScheduler.RequestedBy, r.RequestedBy));
        Assert.All(runs, r => Assert.Equal(BillingRuns.Finished, r.State));
        Assert.All(runs, r => Assert.Equal(r.TenantsTotal, r.TenantsDone));
        Assert.All(runs, r => Assert.True(r.TenantsTotal >= 1));
        Assert.True(day1 >= new DateTimeOffset(2026, 11, 24, RunHour, 0, 0, TimeSpan.Zero), $"day 1 run created at {day1:O}");
        Assert.True(day2 >= new DateTimeOffset(2026, 11, 25, RunHour, 0, 0, TimeSpan.Zero), $"day 2 run created at {day2:O}");
    }

    [Fact]
    public async Task At_start_up_past_the_run_hour_todays_run_is_started_once_and_not_again_by_a_restart()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 15, 0, 0, TimeSpan.Zero));
        var connection = await CreateDatabaseAsync();
        await SeedTenantAsync(connection, clock.GetUtcNow());
        await using (var first = await StartAsync(connection, clock))
        await using (var second = await StartAsync(connection, clock))
        {
            await WaitForRunsAsync(connection, 1);
        }

        await using (var restarted = await StartAsync(connection, clock))
        {
            await AdvanceAsync(clock, TimeSpan.FromHours(1));
            await Task.Delay(500);
        }

        var run = Assert.Single(await WaitAllEndedAsync(connection));
        Assert.Equal("run-daily-2026-11-24", run.Id);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 15, 0, 0, TimeSpan.Zero), run.CreatedAt);
    }

    [Fact]
    public async Task With_the_schedule_off_no_run_is_started()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 15, 0, 0, TimeSpan.Zero));
        var connection = await CreateDatabaseAsync();
        await using (var app = await StartAsync(connection, clock, schedule: false))
        {
            await AdvanceAsync(clock, TimeSpan.FromDays(2));
            await Task.Delay(500);
        }

        Assert.Empty(await RunsAsync(connection));
    }

    private static async Task<WebApplication> StartAsync(string connection, FakeTimeProvider clock, bool schedule = true)
    {
        var builder = TallyApp.CreateBuilder(new TallyOptions
        {
            Database = connection,
            Billing = new BillingOptions { Schedule = schedule, RunHour = RunHour, RenderPdfs = false },
        });
        builder.WebHost.UseTestServer();
        builder.Services.AddSingleton<TimeProvider>(clock);
        var app = TallyApp.Configure(builder.Build());
        await app.Services.GetRequiredService<TallyDatabase>().MigrateAsync();
        await app.StartAsync();
        return app;
    }

    private static async Task SeedTenantAsync(string connection, DateTimeOffset now)
    {
        await using var database = new TallyDatabase(connection);
        await database.MigrateAsync();
        await using var db = database.CreateContext();
        db.Tenants.Add(new TenantRow
        {
            TenantId = TallyFixture.NewTenantName(), DisplayName = "Scheduled", Currency = "USD", TimeZone = "UTC", Locale = "en",
            BillingMode = "postpaid", VatRate = "0", CreatedAt = now, UpdatedAt = now,
        });
        await db.SaveChangesAsync();
    }

    private static async Task<List<BillingRunRow>> RunsAsync(string connection)
    {
        await using var database = new TallyDatabase(connection);
        await using var db = database.CreateContext();
        return await db.BillingRuns.AsNoTracking().ToListAsync();
    }

    /// <summary>Advances the clock in minute steps (so timers registered late still fire) until <paramref name="count"/> runs exist; returns the clock then.</summary>
    private static async Task<DateTimeOffset> AdvanceUntilAsync(FakeTimeProvider clock, string connection, int count, TimeSpan atMost)
    {
        var end = clock.GetUtcNow() + atMost;
        while (clock.GetUtcNow() < end)
        {
            await AdvanceAsync(clock, TimeSpan.FromMinutes(5));
            if ((await RunsAsync(connection)).Count >= count)
            {
                await Task.Delay(300);
                Assert.Equal(count, (await RunsAsync(connection)).Count);
                return clock.GetUtcNow();
            }
        }

        Assert.Fail($"{count} runs did not exist by {clock.GetUtcNow():O}; there are {(await RunsAsync(connection)).Count}.");
        return default;
    }

    private static async Task AdvanceAsync(FakeTimeProvider clock, TimeSpan by)
    {
        var step = TimeSpan.FromMinutes(5);
        for (var done = TimeSpan.Zero; done < by; done += step)
        {
            clock.Advance(by - done < step ? by - done : step);
            await Task.Delay(5);
        }
    }

    private static async Task WaitForRunsAsync(string connection, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await RunsAsync(connection)).Count < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
    }

    private static async Task<List<BillingRunRow>> WaitAllEndedAsync(string connection)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var runs = await RunsAsync(connection);
            if (runs.All(r => r.State is BillingRuns.Finished or BillingRuns.Failed) || DateTime.UtcNow > deadline)
            {
                return runs;
            }

            await Task.Delay(50);
        }
    }
}

public sealed class BillingRunSchedulerTestsOnSqlite : BillingRunSchedulerTests
{
    protected override Task<string> CreateDatabaseAsync() => Task.FromResult(TestFiles.NewPath("sched", ".db"));
}

public sealed class BillingRunSchedulerTestsOnPostgres : BillingRunSchedulerTests
{
    protected override Task<string> CreateDatabaseAsync() => PostgresServer.CreateDatabaseAsync();
}
