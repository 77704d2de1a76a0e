using Tally.Domain.Tenants;

namespace Tally.Domain.Tests;

public sealed class TenantsTests
{
    [Theory]
    [InlineData("en")]
    [InlineData("ja")]
    [InlineData("zh-TW")]
    [InlineData("de")]
    [InlineData("ko")]
    public void Every_supported_locale_is_accepted(string locale) => Assert.Equal(locale, Locales.Require(locale));

    [Theory]
    [InlineData("fr")]
    [InlineData("zh-tw")]
    [InlineData("EN")]
    [InlineData("")]
    [InlineData(null)]
    public void An_unsupported_locale_throws_with_field_locale(string? locale)
    {
        var error = Assert.Throws<DomainValidationException>(() => Locales.Require(locale));
        Assert.Equal("locale", error.Field);
    }

    [Theory]
    [InlineData("prepaid")]
    [InlineData("postpaid")]
    public void Prepaid_and_postpaid_are_the_billing_modes(string mode) => Assert.Equal(mode, BillingMode.Require(mode));

    [Theory]
    [InlineData("Prepaid")]
    [InlineData("credit")]
    [InlineData(null)]
    public void Any_other_billing_mode_throws_with_field_billing_mode(string? mode)
    {
        var error = Assert.Throws<DomainValidationException>(() => BillingMode.Require(mode));
        Assert.Equal("billing_mode", error.Field);
    }

    [Theory]
    [InlineData("UTC")]
    [InlineData("Asia/Tokyo")]
    [InlineData("Europe/Berlin")]
    public void An_iana_time_zone_id_resolves(string id) => Assert.True(TimeZones.Require(id).HasIanaId);

    [Theory]
    [InlineData("Mars/Olympus_Mons")]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData(null)]
    public void An_unknown_time_zone_throws_with_field_time_zone(string? id)
    {
        var error = Assert.Throws<DomainValidationException>(() => TimeZones.Require(id));
        Assert.Equal("time_zone", error.Field);
    }
}
