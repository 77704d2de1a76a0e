namespace Tally.Domain.Tests;

public sealed class CurrencyTests
{
    [Theory]
    [InlineData("USD", 2)]
    [InlineData("JPY", 0)]
    [InlineData("KRW", 0)]
    [InlineData("TWD", 2)]
    [InlineData("EUR", 2)]
    [InlineData("KWD", 3)]
    public void Of_returns_the_iso_4217_minor_unit_exponent(string code, int exponent)
    {
        var currency = Currency.Of(code);
        Assert.Equal(code, currency.Code);
        Assert.Equal(exponent, currency.Exponent);
        Assert.Equal(code, currency.ToString());
    }

    [Theory]
    [InlineData("XXX")]
    [InlineData("usd")]
    [InlineData("US")]
    [InlineData("")]
    [InlineData(" USD")]
    [InlineData(null)]
    public void An_unknown_or_lower_case_code_throws_with_field_currency(string? code)
    {
        var error = Assert.Throws<DomainValidationException>(() => Currency.Of(code));
        Assert.Equal("currency", error.Field);
    }

    [Fact]
    public void The_field_name_of_the_error_can_be_chosen_by_the_caller()
    {
        var error = Assert.Throws<DomainValidationException>(() => Currency.Of("ABC", "plan.currency"));
        Assert.Equal("plan.currency", error.Field);
    }

    [Fact]
    public void The_same_code_gives_equal_currencies() =>
        Assert.Equal(Currency.Of("JPY"), Currency.Of("JPY"));

    [Fact]
    public void Known_codes_are_sorted_and_each_one_resolves()
    {
        Assert.Equal(Currency.KnownCodes.Order(StringComparer.Ordinal), Currency.KnownCodes);
        Assert.Contains("USD", Currency.KnownCodes);
        Assert.All(Currency.KnownCodes, code => Assert.Equal(code, Currency.Of(code).Code));
    }
}
