using Microsoft.Extensions.DependencyInjection;
using Tally.Domain.Catalog;
using Tally.Server.Features.Catalog;
using Tally.Server.Features.Subscriptions;
using Tally.Server.Tests.Infrastructure;
using Tally.Storage;
using static Tally.Server.Tests.Subscriptions.SubscriptionTestKit;

namespace Tally.Server.Tests.Subscriptions;

/// <summary>
/// The functions plan transitions call inside their own transaction (<see cref="PlanSubscriptions.SwitchAsync"/>,
/// <see cref="AddOnSubscriptions"/>) with instants in the future, as a scheduled plan change does, and how the add-on
/// routes treat what is scheduled.
/// </summary>
public abstract class ScheduledSubscriptionTests(TallyFixture fx)
{
    private readonly CancellationToken _ct = CancellationToken.None;

    private async Task<T> InTenantTransactionAsync<T>(string tenant, Func<TallyDbContext, Task<T>> work)
    {
        await using var db = fx.Services.GetRequiredService<TallyDatabase>().CreateContext();
        await using var transaction = await db.Database.BeginTransactionAsync(_ct);
        Assert.True(await db.LockTenantAsync(tenant, _ct));
        var result = await work(db);
        await db.SaveChangesAsync(_ct);
        await transaction.CommitAsync(_ct);
        return result;
    }

    private async Task<PlanDefinition> PlanAsync(string name) =>
        (await fx.Services.GetRequiredService<CatalogService>().GetPlanAsync(name, _ct))!;

    private async Task<(string Tenant, HttpClient Client)> TenantOnAsync(string plan)
    {
        using var op = fx.Operator();
        var tenant = await fx.CreateTenantAsync();
        await AssignAsync(op, tenant, plan);
        var (_, token) = await fx.CreateTokenAsync(tenant);
        return (tenant, fx.Client(token));
    }

    [Fact]
    public async Task A_subscription_started_before_a_scheduled_plan_that_does_not_allow_the_add_on_ends_when_that_plan_starts()
    {
        using var op = fx.Operator();
        await EnsureAddOnsAsync(op);
        var now = await NewPlanAsync(op, allowed: [Waap, Cdn]);
        var later = await NewPlanAsync(op, allowed: [Cdn]);
        var (tenant, client) = await TenantOnAsync(now);
        var from = fx.Clock.GetUtcNow().AddDays(5);
        var laterPlan = await PlanAsync(later);
        await InTenantTransactionAsync(tenant, db => PlanSubscriptions.SwitchAsync(db, tenant, laterPlan, from, fx.Clock.GetUtcNow(), _ct));

        await AssertEmptyOkAsync(await SubscribeAsync(client, Waap), "subscriptionSubscribeResponse");
        await AssertEmptyOkAsync(await SubscribeAsync(client, Cdn), "subscriptionSubscribeResponse");

        var view = await OperatorViewAsync(op, tenant);
        Assert.Equal(from, Instant(Assert.Single(AddOnRows(view, Waap))["ends_at"]));
        Assert.Null(Assert.Single(AddOnRows(view, Cdn))["ends_at"]);
        client.Dispose();
    }

    [Fact]
    public async Task A_scheduled_add_on_subscription_starts_then_and_subscribing_now_moves_it_forward()
    {
        using var op = fx.Operator();
        await EnsureAddOnsAsync(op);
        var planName = await NewPlanAsync(op, allowed: [Waap]);
        var plan = await PlanAsync(planName);
        var (tenant, client) = await TenantOnAsync(planName);
        var at = fx.Clock.GetUtcNow().AddDays(3);

        var scheduled = await InTenantTransactionAsync(tenant, db => AddOnSubscriptions.SubscribeAsync(db, tenant, Waap, plan, at, fx.Clock.GetUtcNow(), _ct));
        var repeated = await InTenantTransactionAsync(tenant, db => AddOnSubscriptions.SubscribeAsync(db, tenant, Waap, plan, at, fx.Clock.GetUtcNow(), _ct));
        var planned = Assert.Single(AddOnRows(await OperatorViewAsync(op, tenant), Waap));
        await AssertEmptyOkAsync(await SubscribeAsync(client, Waap), "subscriptionSubscribeResponse");

        Assert.Equal(AddOnChange.Subscribed, scheduled.Change);
        Assert.Equal(AddOnChange.AlreadySubscribed, repeated.Change);
        Assert.Equal(at, Instant(planned["starts_at"]));
        var moved = Assert.Single(AddOnRows(await OperatorViewAsync(op, tenant), Waap));
        Assert.Equal((string?)planned["id"], (string?)moved["id"]);
        Assert.Equal(fx.Clock.GetUtcNow(), Instant(moved["starts_at"]));
        client.Dispose();
    }

    [Fact]
    public async Task A_scheduled_unsubscribe_keeps_the_add_on_until_then_and_unsubscribing_now_ends_it_now()
    {
        using var op = fx.Operator();
        await EnsureAddOnsAsync(op);
        var planName = await NewPlanAsync(op, allowed: [Cdn]);
        var plan = await PlanAsync(planName);
        var (tenant, client) = await TenantOnAsync(planName);
        await AssertEmptyOkAsync(await SubscribeAsync(client, Cdn), "subscriptionSubscribeResponse");
        var at = fx.Clock.GetUtcNow().AddDays(4);

        var outcome = await InTenantTransactionAsync(tenant, db => AddOnSubscriptions.UnsubscribeAsync(db, tenant, Cdn, plan, at, fx.Clock.GetUtcNow(), _ct));
        var until = Assert.Single(AddOnRows(await OperatorViewAsync(op, tenant), Cdn));
        await AssertEmptyOkAsync(await SubscribeAsync(client, Cdn), "subscriptionSubscribeResponse");
        fx.Clock.Advance(TimeSpan.FromHours(1));
        await AssertEmptyOkAsync(await UnsubscribeAsync(client, Cdn), "subscriptionUnsubscribeResponse");

        Assert.Equal(AddOnChange.Unsubscribed, outcome.Change);
        Assert.Equal(at, Instant(until["ends_at"]));
        Assert.Equal(fx.Clock.GetUtcNow(), Instant(Assert.Single(AddOnRows(await OperatorViewAsync(op, tenant), Cdn))["ends_at"]));
        client.Dispose();
    }

    [Fact]
    public async Task Switching_again_replaces_a_scheduled_plan_and_drops_scheduled_add_ons_the_new_plan_does_not_allow()
    {
        using var op = fx.Operator();
        await EnsureAddOnsAsync(op);
        var first = await NewPlanAsync(op, allowed: [Waap]);
        var scheduledName = await NewPlanAsync(op, allowed: [Waap, Cdn]);
        var finalName = await NewPlanAsync(op, allowed: [Waap], trialDays: 10);
        var (tenant, client) = await TenantOnAsync(first);
        var now = fx.Clock.GetUtcNow();
        var scheduledPlan = await PlanAsync(scheduledName);
        var finalPlan = await PlanAsync(finalName);
        await InTenantTransactionAsync(tenant, async db =>
        {
            await PlanSubscriptions.SwitchAsync(db, tenant, scheduledPlan, now.AddDays(10), now, _ct);
            return await AddOnSubscriptions.SubscribeAsync(db, tenant, Cdn, scheduledPlan, now.AddDays(10), now, _ct);
        });

        var replaced = await InTenantTransactionAsync(tenant, db => PlanSubscriptions.SwitchAsync(db, tenant, finalPlan, now.AddDays(2), now, _ct));

        var view = await OperatorViewAsync(op, tenant);
        var plans = view["plans"]!.AsArray().Select(p => p!.AsObject()).ToList();
        Assert.Equal([first, finalName], plans.Select(p => (string)p["plan"]!));
        Assert.Equal(now.AddDays(2), Instant(plans[0]["ends_at"]));
        Assert.Equal(replaced.Id, (string?)plans[1]["id"]);
        Assert.Equal(now.AddDays(12), Instant(plans[1]["trial_ends_at"]));
        Assert.Empty(AddOnRows(view, Cdn));
        client.Dispose();
    }

    [Fact]
    public async Task The_functions_see_the_unsaved_changes_of_earlier_calls_in_the_same_transaction()
    {
        using var op = fx.Operator();
        await EnsureAddOnsAsync(op);
        var currentName = await NewPlanAsync(op, allowed: [Waap]);
        var droppedName = await NewPlanAsync(op);
        var finalName = await NewPlanAsync(op, allowed: [Waap]);
        var (tenant, client) = await TenantOnAsync(currentName);
        var now = fx.Clock.GetUtcNow();
        var (current, dropped, final) = (await PlanAsync(currentName), await PlanAsync(droppedName), await PlanAsync(finalName));
        await InTenantTransactionAsync(tenant, db => PlanSubscriptions.SwitchAsync(db, tenant, dropped, now.AddDays(10), now, _ct));

        // One transaction: replace the scheduled change (which did not allow WAAP), then subscribe now and again at the change.
        var outcomes = await InTenantTransactionAsync(tenant, async db =>
        {
            await PlanSubscriptions.SwitchAsync(db, tenant, final, now.AddDays(2), now, _ct);
            var first = await AddOnSubscriptions.SubscribeAsync(db, tenant, Waap, current, now, now, _ct);
            var second = await AddOnSubscriptions.SubscribeAsync(db, tenant, Waap, final, now.AddDays(2), now, _ct);
            return (first, second);
        });

        Assert.Equal(AddOnChange.Subscribed, outcomes.first.Change);
        Assert.Equal(AddOnChange.AlreadySubscribed, outcomes.second.Change);
        var view = await OperatorViewAsync(op, tenant);
        Assert.Null(Assert.Single(AddOnRows(view, Waap))["ends_at"]);
        Assert.DoesNotContain(view["plans"]!.AsArray(), p => (string?)p!["plan"] == droppedName);
        client.Dispose();
    }

    [Fact]
    public async Task Instants_before_now_are_refused()
    {
        using var op = fx.Operator();
        await EnsureAddOnsAsync(op);
        var planName = await NewPlanAsync(op, allowed: [Waap]);
        var plan = await PlanAsync(planName);
        var (tenant, client) = await TenantOnAsync(planName);
        var now = fx.Clock.GetUtcNow();
        await using var db = fx.Services.GetRequiredService<TallyDatabase>().CreateContext();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => PlanSubscriptions.SwitchAsync(db, tenant, plan, now.AddSeconds(-1), now, _ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => AddOnSubscriptions.SubscribeAsync(db, tenant, Waap, plan, now.AddSeconds(-1), now, _ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => AddOnSubscriptions.UnsubscribeAsync(db, tenant, Waap, plan, now.AddSeconds(-1), now, _ct));
        Assert.Empty((await OperatorViewAsync(op, tenant))["addons"]!.AsArray());
        client.Dispose();
    }
}

public sealed class ScheduledSubscriptionTestsOnSqlite(SqliteFixture fx) : ScheduledSubscriptionTests(fx), IClassFixture<SqliteFixture>;

public sealed class ScheduledSubscriptionTestsOnPostgres(PostgresFixture fx) : ScheduledSubscriptionTests(fx), IClassFixture<PostgresFixture>;
