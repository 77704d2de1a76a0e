using Tally.Domain.Quotas;

namespace Tally.Domain.Tests;

public sealed class EffectiveLimitsTests
{
    private static QuotaSpec Spec(
        (string Key, int Max)[]? objects = null,
        (string Key, double Max)[]? resources = null,
        (string Key, RateLimit Limit)[]? apis = null) =>
        new(
            (objects ?? []).ToDictionary(e => e.Key, e => e.Max),
            (resources ?? []).ToDictionary(e => e.Key, e => e.Max),
            (apis ?? []).ToDictionary(e => e.Key, e => e.Limit));

    private static EffectiveLimits Resolve(QuotaSpec? plan, QuotaSpec[]? system = null, QuotaSpec[]? ns = null) =>
        EffectiveLimits.Resolve(plan, system ?? [], ns ?? []);

    [Fact]
    public void With_no_quota_objects_the_plan_default_applies()
    {
        var limits = Resolve(Spec(objects: [("pods", 10)], resources: [("cpu", 4.5)]));
        Assert.Equal(10, limits.LimitFor(QuotaKind.Objects, "pods"));
        Assert.Equal(4.5, limits.LimitFor(QuotaKind.Resources, "cpu"));
    }

    [Fact]
    public void The_system_level_overrides_the_plan_default()
    {
        var limits = Resolve(Spec(objects: [("pods", 10)]), [Spec(objects: [("pods", 20)])]);
        Assert.Equal(20, limits.LimitFor(QuotaKind.Objects, "pods"));
    }

    [Fact]
    public void The_namespace_level_overrides_the_system_level_even_when_it_is_higher()
    {
        var limits = Resolve(Spec(objects: [("pods", 10)]), [Spec(objects: [("pods", 20)])], [Spec(objects: [("pods", 30)])]);
        Assert.Equal(30, limits.LimitFor(QuotaKind.Objects, "pods"));
    }

    [Fact]
    public void Overrides_apply_key_by_key_and_keys_only_in_lower_levels_survive()
    {
        var plan = Spec(objects: [("pods", 10), ("services", 3)], resources: [("cpu", 8), ("memory", 16)]);
        var system = Spec(objects: [("pods", 5)], resources: [("memory", 32)]);
        var ns = Spec(resources: [("cpu", 2)]);

        var limits = Resolve(plan, [system], [ns]);

        Assert.Equal(5, limits.LimitFor(QuotaKind.Objects, "pods"));
        Assert.Equal(3, limits.LimitFor(QuotaKind.Objects, "services"));
        Assert.Equal(2, limits.LimitFor(QuotaKind.Resources, "cpu"));
        Assert.Equal(32, limits.LimitFor(QuotaKind.Resources, "memory"));
        Assert.Equal(2, limits.Objects.Count);
        Assert.Equal(2, limits.Resources.Count);
    }

    [Fact]
    public void Minus_one_at_a_higher_level_makes_a_key_unlimited()
    {
        var limits = Resolve(Spec(objects: [("pods", 10)]), [Spec(objects: [("pods", -1)])]);
        Assert.Equal(EffectiveLimits.Unlimited, limits.Objects["pods"]);
        Assert.Null(limits.LimitFor(QuotaKind.Objects, "pods"));
    }

    [Fact]
    public void A_limit_at_a_higher_level_replaces_an_unlimited_default()
    {
        var limits = Resolve(Spec(resources: [("cpu", -1)]), ns: [Spec(resources: [("cpu", 1.5)])]);
        Assert.Equal(1.5, limits.LimitFor(QuotaKind.Resources, "cpu"));
    }

    [Fact]
    public void Within_one_level_the_most_restrictive_limit_wins()
    {
        var limits = Resolve(null, [Spec(objects: [("pods", 7)]), Spec(objects: [("pods", 3)]), Spec(objects: [("pods", 9)])]);
        Assert.Equal(3, limits.LimitFor(QuotaKind.Objects, "pods"));
    }

    [Fact]
    public void Within_one_level_minus_one_and_five_give_five()
    {
        var limits = Resolve(null, ns: [Spec(objects: [("pods", -1)], resources: [("cpu", 5)]), Spec(objects: [("pods", 5)], resources: [("cpu", -1)])]);
        Assert.Equal(5, limits.LimitFor(QuotaKind.Objects, "pods"));
        Assert.Equal(5, limits.LimitFor(QuotaKind.Resources, "cpu"));
    }

    [Fact]
    public void Within_one_level_only_minus_ones_give_unlimited()
    {
        var limits = Resolve(Spec(objects: [("pods", 4)]), [Spec(objects: [("pods", -1)]), Spec(objects: [("pods", -1)])]);
        Assert.Equal(-1, limits.Objects["pods"]);
        Assert.Null(limits.LimitFor(QuotaKind.Objects, "pods"));
    }

    [Fact]
    public void Zero_is_a_limit_not_unlimited_and_beats_a_positive_limit_in_the_same_level()
    {
        var limits = Resolve(null, [Spec(resources: [("gpu", 0)]), Spec(resources: [("gpu", 2)])]);
        Assert.Equal(0, limits.LimitFor(QuotaKind.Resources, "gpu"));
    }

    [Fact]
    public void A_key_absent_from_every_level_has_no_limit()
    {
        var limits = Resolve(Spec(objects: [("pods", 1)]));
        Assert.Null(limits.LimitFor(QuotaKind.Objects, "services"));
        Assert.Null(limits.LimitFor(QuotaKind.Resources, "pods"));
    }

    [Fact]
    public void Limit_for_looks_in_the_map_of_the_given_kind()
    {
        var limits = Resolve(Spec(objects: [("pods", 1)], resources: [("pods", 2.5)]));
        Assert.Equal(1, limits.LimitFor(QuotaKind.Objects, "pods"));
        Assert.Equal(2.5, limits.LimitFor(QuotaKind.Resources, "pods"));
    }

    [Fact]
    public void Keys_are_case_sensitive()
    {
        var limits = Resolve(Spec(objects: [("Pods", 1)]));
        Assert.Null(limits.LimitFor(QuotaKind.Objects, "pods"));
    }

    [Fact]
    public void No_plan_and_no_objects_resolve_to_no_limits()
    {
        var limits = Resolve(null);
        Assert.Empty(limits.Objects);
        Assert.Empty(limits.Resources);
        Assert.Empty(limits.Apis);
    }

    [Fact]
    public void Api_limits_are_overridden_key_by_key()
    {
        var planLimit = new RateLimit(100, 0, "per-minute");
        var systemLimit = new RateLimit(10, 0, "per-second");
        var limits = Resolve(
            Spec(apis: [("usage", planLimit), ("billing", planLimit)]),
            [Spec(apis: [("usage", systemLimit)])]);
        Assert.Same(systemLimit, limits.Apis["usage"]);
        Assert.Same(planLimit, limits.Apis["billing"]);
    }

    [Fact]
    public void Within_one_level_the_slowest_api_rate_wins_across_units()
    {
        var perSecond = new RateLimit(2, 0, "per-second");
        var perMinute = new RateLimit(60, 0, "per-minute");
        var limits = Resolve(null, [Spec(apis: [("usage", perSecond)]), Spec(apis: [("usage", perMinute)])]);
        Assert.Same(perMinute, limits.Apis["usage"]);
    }

    [Fact]
    public void Api_limits_are_tenant_wide_so_namespace_objects_do_not_change_them()
    {
        var system = new RateLimit(10, 0, "per-second");
        var ns = new RateLimit(1, 0, "per-second");
        var limits = Resolve(null, [Spec(apis: [("usage", system)])], [Spec(apis: [("usage", ns), ("billing", ns)])]);
        Assert.Same(system, limits.Apis["usage"]);
        Assert.False(limits.Apis.ContainsKey("billing"));
    }
}
