namespace Tally.Domain.Tests;

public sealed class NamesTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("acme")]
    [InlineData("acme-prod")]
    [InlineData("a1")]
    [InlineData("a-1-b")]
    [InlineData("x0")]
    public void A_lower_case_label_starting_with_a_letter_is_a_dns_1035_label(string value) =>
        Assert.True(Names.IsDns1035Label(value));

    [Theory]
    [InlineData("Acme")]
    [InlineData("acmE")]
    [InlineData("1acme")]
    [InlineData("-acme")]
    [InlineData("acme-")]
    [InlineData("ac_me")]
    [InlineData("ac.me")]
    [InlineData("ac me")]
    [InlineData(" acme")]
    [InlineData("acmé")]
    public void Upper_case_leading_digits_or_dashes_a_trailing_dash_and_other_characters_are_refused(string value) =>
        Assert.False(Names.IsDns1035Label(value));

    [Theory]
    [InlineData("acme\n")]
    [InlineData("a\n")]
    public void A_label_with_a_trailing_newline_is_refused(string value) =>
        Assert.False(Names.IsDns1035Label(value));

    [Fact]
    public void Empty_and_null_are_not_labels()
    {
        Assert.False(Names.IsDns1035Label(""));
        Assert.False(Names.IsDns1035Label(null));
    }

    [Fact]
    public void Sixty_three_characters_are_accepted_and_sixty_four_refused()
    {
        Assert.True(Names.IsDns1035Label(new string('a', 63)));
        Assert.True(Names.IsDns1035Label("a" + new string('-', 61) + "b"));
        Assert.False(Names.IsDns1035Label(new string('a', 64)));
    }

    [Fact]
    public void Require_returns_a_valid_label_unchanged() =>
        Assert.Equal("acme-prod", Names.RequireDns1035Label("acme-prod", "name"));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Acme")]
    [InlineData("acme-")]
    public void Require_throws_with_the_given_field_for_a_missing_or_invalid_label(string? value)
    {
        var error = Assert.Throws<DomainValidationException>(() => Names.RequireDns1035Label(value, "metadata.name"));
        Assert.Equal("metadata.name", error.Field);
    }

    [Fact]
    public void Require_truncates_a_very_long_name_in_its_message()
    {
        var error = Assert.Throws<DomainValidationException>(() => Names.RequireDns1035Label(new string('A', 500), "name"));
        Assert.DoesNotContain(new string('A', 81), error.Message, StringComparison.Ordinal);
    }
}
