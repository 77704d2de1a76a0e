using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Tally.Server.Tests.Infrastructure;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Tests.Subscriptions;

/// <summary>
/// A database from before <c>Subscriptions_and_payments</c> kept a tenant's plan in <c>tenants.plan</c> and
/// <c>tenants.plan_effective_at</c>; after the migration each such tenant has one open plan subscription starting then.
/// </summary>
public abstract class SubscriptionMigrationTests
{
    protected abstract Task<string> NewDatabaseAsync();

    [Fact]
    public async Task Upgrading_turns_each_assigned_plan_into_one_open_subscription_from_its_effective_time()
    {
        var effective = new DateTimeOffset(2026, 10, 3, 8, 30, 15, TimeSpan.Zero);
        var created = new DateTimeOffset(2026, 9, 1, 0, 0, 0, TimeSpan.Zero);
        await using var database = new TallyDatabase(await NewDatabaseAsync());
        await using (var context = database.CreateContext())
        {
            var migrations = context.Database.GetMigrations().ToList();
            var target = migrations.FindIndex(m => m.EndsWith("_Subscriptions_and_payments", StringComparison.Ordinal));
            await context.Database.GetService<IMigrator>().MigrateAsync(migrations[target - 1]);
            // Raw SQL: today's model has columns (billed_through) that the schema of that migration does not.
            object At(DateTimeOffset instant) => database.Engine == DatabaseEngine.Sqlite ? new DateTimeOffsetToBinaryConverter().ConvertToProvider(instant)! : instant;
            foreach (var name in new[] { "on-plan", "no-plan" })
            {
                await context.Database.ExecuteSqlRawAsync(
                    "INSERT INTO tenants (tenant_id, display_name, currency, time_zone, locale, billing_mode, vat_rate, created_at, updated_at) "
                    + "VALUES ({0}, {0}, 'USD', 'UTC', 'en', 'postpaid', '0', {1}, {1})", name, At(created));
            }

            var stored = At(effective);
            Assert.Equal(1, await context.Database.ExecuteSqlRawAsync(
                "UPDATE tenants SET plan = 'team', plan_effective_at = {0} WHERE tenant_id = 'on-plan'", stored));
        }

        await database.MigrateAsync();

        await using var after = database.CreateContext();
        var subscriptions = await after.PlanSubscriptions.AsNoTracking().ToListAsync();
        var subscription = Assert.Single(subscriptions);
        Assert.Equal("on-plan", subscription.TenantId);
        Assert.Equal("team", subscription.Plan);
        Assert.Equal(effective, subscription.StartsAt);
        Assert.Null(subscription.EndsAt);
        Assert.Null(subscription.TrialEndsAt);
        Assert.StartsWith("sub-", subscription.Id, StringComparison.Ordinal);
        Assert.Empty(await after.AddOnSubscriptions.AsNoTracking().ToListAsync());
    }
}

public sealed class SubscriptionMigrationTestsOnSqlite : SubscriptionMigrationTests
{
    protected override Task<string> NewDatabaseAsync() =>
        Task.FromResult(TestFiles.NewPath("migration-test", ".db"));
}

public sealed class SubscriptionMigrationTestsOnPostgres : SubscriptionMigrationTests
{
    protected override Task<string> NewDatabaseAsync() => PostgresServer.CreateDatabaseAsync();
}
