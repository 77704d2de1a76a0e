using Tally.Domain.Quotas;

namespace Tally.Domain.Tests;

public sealed class QuotaSpecTests
{
    private static QuotaSpec Objects(string key, int max) =>
        new(new Dictionary<string, int> { [key] = max }, new Dictionary<string, double>(), new Dictionary<string, RateLimit>());

    private static QuotaSpec Resources(string key, double max) =>
        new(new Dictionary<string, int>(), new Dictionary<string, double> { [key] = max }, new Dictionary<string, RateLimit>());

    private static QuotaSpec Apis(string key, RateLimit limit) =>
        new(new Dictionary<string, int>(), new Dictionary<string, double>(), new Dictionary<string, RateLimit> { [key] = limit });

    [Theory]
    [InlineData("a")]
    [InlineData("Z")]
    [InlineData("ab")]
    [InlineData("http_loadbalancers")]
    [InlineData("ves.io.schema.views.http_loadbalancer")]
    [InlineData("api-v1.get_list")]
    [InlineData("A1")]
    public void Keys_matching_the_f5_map_key_rule_are_valid(string key) => Assert.True(QuotaSpec.IsValidKey(key));

    [Theory]
    [InlineData("")]
    [InlineData("1abc")]
    [InlineData("_abc")]
    [InlineData(".abc")]
    [InlineData("-abc")]
    [InlineData("abc-")]
    [InlineData("abc.")]
    [InlineData("abc_")]
    [InlineData("a b")]
    [InlineData("a/b")]
    [InlineData("a:b")]
    [InlineData("ä")]
    public void Keys_breaking_the_f5_map_key_rule_are_invalid(string key) => Assert.False(QuotaSpec.IsValidKey(key));

    [Theory]
    [InlineData("abc\n")]
    [InlineData("a\n")]
    public void A_key_with_a_trailing_newline_is_invalid(string key) => Assert.False(QuotaSpec.IsValidKey(key));

    [Fact]
    public void Keys_may_be_512_characters_long_but_not_513()
    {
        Assert.True(QuotaSpec.IsValidKey(new string('k', 512)));
        Assert.False(QuotaSpec.IsValidKey(new string('k', 513)));
    }

    [Fact]
    public void An_invalid_object_key_throws_naming_the_map_and_key()
    {
        var error = Assert.Throws<DomainValidationException>(() => Objects("9lives", 1));
        Assert.Equal("spec.object_limits.9lives", error.Field);
    }

    [Fact]
    public void Invalid_resource_and_api_keys_throw_naming_their_maps()
    {
        Assert.Equal("spec.resource_limits.bad-", Assert.Throws<DomainValidationException>(() => Resources("bad-", 1)).Field);
        Assert.Equal("spec.api_limits._x", Assert.Throws<DomainValidationException>(() => Apis("_x", new RateLimit(1, 0, "per-second"))).Field);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(int.MaxValue)]
    public void Object_maxima_of_minus_one_or_more_are_accepted(int max) =>
        Assert.Equal(max, Objects("pods", max).ObjectLimits["pods"]);

    [Theory]
    [InlineData(-2)]
    [InlineData(int.MinValue)]
    public void Object_maxima_below_minus_one_are_refused(int max)
    {
        var error = Assert.Throws<DomainValidationException>(() => Objects("pods", max));
        Assert.Equal("spec.object_limits.pods.maximum", error.Field);
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(1e12)]
    public void Resource_maxima_of_minus_one_or_zero_to_a_trillion_are_accepted(double max) =>
        Assert.Equal(max, Resources("cpu", max).ResourceLimits["cpu"]);

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(-0.5)]
    [InlineData(-2.0)]
    [InlineData(1.1e12)]
    public void Non_finite_negative_or_huge_resource_maxima_are_refused(double max)
    {
        var error = Assert.Throws<DomainValidationException>(() => Resources("cpu", max));
        Assert.Equal("spec.resource_limits.cpu.maximum", error.Field);
    }

    [Fact]
    public void The_empty_spec_has_no_limits()
    {
        Assert.Empty(QuotaSpec.Empty.ObjectLimits);
        Assert.Empty(QuotaSpec.Empty.ResourceLimits);
        Assert.Empty(QuotaSpec.Empty.ApiLimits);
    }

    [Theory]
    [InlineData("per-second", 1)]
    [InlineData("per-minute", 60)]
    [InlineData("per-hour", 3600)]
    [InlineData("per-day", 86400)]
    [InlineData("", 1)]
    public void Rate_limit_units_set_the_period(string unit, int seconds)
    {
        var limit = new RateLimit(10, 5, unit);
        Assert.Equal(TimeSpan.FromSeconds(seconds), limit.Period);
        Assert.Equal(10, limit.Rate);
        Assert.Equal(5, limit.Burst);
        Assert.Equal(unit, limit.Unit);
    }

    [Theory]
    [InlineData("per-week")]
    [InlineData("PER-SECOND")]
    [InlineData("second")]
    public void An_unknown_rate_limit_unit_throws_naming_the_unit_field(string unit)
    {
        var error = Assert.Throws<DomainValidationException>(() => new RateLimit(1, 0, unit));
        Assert.Equal("api_limits.unit", error.Field);
    }

    [Fact]
    public void Negative_rate_or_burst_throws_naming_the_offending_field()
    {
        Assert.Equal("api_limits.rate", Assert.Throws<DomainValidationException>(() => new RateLimit(-1, 0, "per-second")).Field);
        Assert.Equal("api_limits.burst", Assert.Throws<DomainValidationException>(() => new RateLimit(1, -1, "per-second")).Field);
        Assert.Equal("limits.x.rate", Assert.Throws<DomainValidationException>(() => new RateLimit(-1, 0, "per-second", "limits.x")).Field);
    }

    [Fact]
    public void A_rate_of_zero_is_allowed()
    {
        var limit = new RateLimit(0, 0, "per-minute");
        Assert.Equal(0, limit.Rate);
    }

    [Theory]
    [InlineData("objects", QuotaKind.Objects)]
    [InlineData("resources", QuotaKind.Resources)]
    public void Quota_kind_wire_values_round_trip(string wire, QuotaKind kind)
    {
        Assert.Equal(kind, QuotaKinds.Parse(wire));
        Assert.Equal(wire, kind.ToWire());
    }

    [Theory]
    [InlineData("Objects")]
    [InlineData("object")]
    [InlineData(null)]
    public void An_unknown_quota_kind_throws_with_field_kind(string? wire)
    {
        var error = Assert.Throws<DomainValidationException>(() => QuotaKinds.Parse(wire));
        Assert.Equal("kind", error.Field);
    }
}
