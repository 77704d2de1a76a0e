namespace Tally.Domain.Tests;

public sealed class MoneyTests
{
    private static readonly Currency Usd = Currency.Of("USD");
    private static readonly Currency Jpy = Currency.Of("JPY");
    private static readonly Currency Bhd = Currency.Of("BHD");

    [Fact]
    public void A_currency_is_required() =>
        Assert.Throws<ArgumentNullException>(() => new Money(1, null!));

    [Fact]
    public void Zero_has_no_minor_units_and_the_given_currency()
    {
        var zero = Money.Zero(Jpy);
        Assert.Equal(0, zero.Minor);
        Assert.Equal(Jpy, zero.Currency);
    }

    [Fact]
    public void Amounts_with_the_same_minor_units_and_currency_are_equal()
    {
        Assert.Equal(new Money(1234, Currency.Of("USD")), new Money(1234, Usd));
        Assert.NotEqual(new Money(1234, Usd), new Money(1234, Currency.Of("EUR")));
        Assert.NotEqual(new Money(1234, Usd), new Money(1235, Usd));
    }

    [Theory]
    [InlineData("1.005", "USD", 101)]
    [InlineData("1.004999", "USD", 100)]
    [InlineData("123.4567", "USD", 12346)]
    [InlineData("0.005", "USD", 1)]
    [InlineData("0.0049", "USD", 0)]
    [InlineData("-0.125", "USD", -13)]
    [InlineData("12.5", "JPY", 13)]
    [InlineData("12.4999", "JPY", 12)]
    [InlineData("-12.5", "JPY", -13)]
    [InlineData("1.2345", "BHD", 1235)]
    [InlineData("0", "USD", 0)]
    public void Round_rounds_once_half_away_from_zero_to_minor_units(string units, string code, long minor) =>
        Assert.Equal(new Money(minor, Currency.Of(code)), Money.Round(decimal.Parse(units, System.Globalization.CultureInfo.InvariantCulture), Currency.Of(code)));

    [Fact]
    public void Round_throws_overflow_when_the_minor_units_do_not_fit_in_a_long() =>
        Assert.Throws<OverflowException>(() => Money.Round(100_000_000_000_000_000m, Usd));

    [Theory]
    [InlineData("99.00", "USD", 9900)]
    [InlineData("0", "USD", 0)]
    [InlineData("1234.5", "USD", 123450)]
    [InlineData("0.01", "USD", 1)]
    [InlineData("007.10", "USD", 710)]
    [InlineData("1200", "JPY", 1200)]
    [InlineData("1.234", "BHD", 1234)]
    [InlineData("92233720368547758.07", "USD", long.MaxValue)]
    [InlineData("9223372036854775807", "JPY", long.MaxValue)]
    public void ParseUnits_reads_an_invariant_decimal_in_currency_units(string text, string code, long minor) =>
        Assert.Equal(new Money(minor, Currency.Of(code)), Money.ParseUnits(text, Currency.Of(code), "price"));

    [Theory]
    [InlineData(null, "required")]
    [InlineData("", "required")]
    [InlineData("1e3", "plain decimal")]
    [InlineData("1E3", "plain decimal")]
    [InlineData("1,000.00", "plain decimal")]
    [InlineData("+5", "plain decimal")]
    [InlineData(" 5", "plain decimal")]
    [InlineData("5 ", "plain decimal")]
    [InlineData(".5", "plain decimal")]
    [InlineData("5.", "plain decimal")]
    [InlineData("1.2.3", "plain decimal")]
    [InlineData("abc", "plain decimal")]
    [InlineData("-", "plain decimal")]
    [InlineData("NaN", "plain decimal")]
    [InlineData("٣", "plain decimal")]
    [InlineData("-1.00", "negative")]
    [InlineData("-0", "negative")]
    [InlineData("1.001", "3 decimal places; USD allows at most 2")]
    [InlineData("92233720368547758.08", "too large")]
    [InlineData("100000000000000000000000000000000000", "too large")]
    public void ParseUnits_refuses_bad_text_naming_the_field_and_the_problem(string? text, string problem)
    {
        var error = Assert.Throws<DomainValidationException>(() => Money.ParseUnits(text, Usd, "plans[0].flat_price"));
        Assert.Equal("plans[0].flat_price", error.Field);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("1200.00")]
    [InlineData("1.0")]
    public void ParseUnits_refuses_any_decimal_places_for_a_currency_without_minor_units(string text)
    {
        var error = Assert.Throws<DomainValidationException>(() => Money.ParseUnits(text, Jpy, "amount"));
        Assert.Equal("amount", error.Field);
        Assert.Contains("JPY has no minor units", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(9900, "USD", "99.00")]
    [InlineData(5, "USD", "0.05")]
    [InlineData(-50, "USD", "-0.50")]
    [InlineData(0, "USD", "0.00")]
    [InlineData(1200, "JPY", "1200")]
    [InlineData(1234, "BHD", "1.234")]
    [InlineData(long.MaxValue, "USD", "92233720368547758.07")]
    [InlineData(long.MinValue, "USD", "-92233720368547758.08")]
    public void ToUnitsString_writes_exactly_the_currency_exponent_decimals(long minor, string code, string text) =>
        Assert.Equal(text, new Money(minor, Currency.Of(code)).ToUnitsString());

    [Fact]
    public void ToUnitsString_ignores_the_thread_culture()
    {
        var previous = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            Assert.Equal("1234.50", new Money(123450, Usd).ToUnitsString());
            Assert.Equal("1234.50 USD", new Money(123450, Usd).ToString());
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void ToUnits_is_exact()
    {
        Assert.Equal(12.34m, new Money(1234, Usd).ToUnits());
        Assert.Equal(1200m, new Money(1200, Jpy).ToUnits());
        Assert.Equal(0.001m, new Money(1, Bhd).ToUnits());
    }

    [Theory]
    [InlineData(1234, "USD", 1234)]
    [InlineData(1200, "JPY", 120000)]
    [InlineData(1234, "BHD", 123)]
    [InlineData(1235, "BHD", 124)]
    [InlineData(-1235, "BHD", -124)]
    [InlineData(0, "KRW", 0)]
    public void ToHundredths_is_units_times_100_rounded_half_away_from_zero(long minor, string code, long hundredths) =>
        Assert.Equal(hundredths, new Money(minor, Currency.Of(code)).ToHundredths());

    [Fact]
    public void ToHundredths_throws_overflow_rather_than_wrapping() =>
        Assert.Throws<OverflowException>(() => new Money(long.MaxValue / 10, Jpy).ToHundredths());

    [Fact]
    public void Adding_and_subtracting_is_exact_in_minor_units()
    {
        Assert.Equal(new Money(1500, Usd), new Money(1000, Usd) + new Money(500, Usd));
        Assert.Equal(new Money(-500, Usd), new Money(500, Usd) - new Money(1000, Usd));
    }

    [Fact]
    public void Combining_different_currencies_throws()
    {
        Assert.Throws<InvalidOperationException>(() => new Money(1, Usd) + new Money(1, Jpy));
        Assert.Throws<InvalidOperationException>(() => new Money(1, Usd) - new Money(1, Jpy));
        Assert.Throws<InvalidOperationException>(() => Money.Sum([new Money(1, Usd)], Jpy));
    }

    [Fact]
    public void Arithmetic_past_the_range_of_a_long_throws_overflow() =>
        Assert.Throws<OverflowException>(() => new Money(long.MaxValue, Usd) + new Money(1, Usd));

    [Fact]
    public void Sum_adds_rounded_amounts_exactly_and_is_zero_when_empty()
    {
        Assert.Equal(Money.Zero(Usd), Money.Sum([], Usd));
        var lines = new[] { Money.Round(0.005m, Usd), Money.Round(0.005m, Usd), Money.Round(0.005m, Usd) };
        Assert.Equal(new Money(3, Usd), Money.Sum(lines, Usd));
    }
}
