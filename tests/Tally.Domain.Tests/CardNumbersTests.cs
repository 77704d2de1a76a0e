using Tally.Domain.Payments;

namespace Tally.Domain.Tests;

public sealed class CardNumbersTests
{
    [Theory]
    [InlineData("4242424242424242")]
    [InlineData("4242 4242 4242 4242")]
    [InlineData("4242-4242-4242-4242")]
    [InlineData(" 4242 4242 4242 4242 ")]
    [InlineData("5555555555554444")]
    [InlineData("378282246310005")]
    [InlineData("4000056655665556")]
    [InlineData("4222222222222")]
    [InlineData("6011111111111117")]
    [InlineData("4000000000000000006")]
    public void Thirteen_to_nineteen_digits_passing_luhn_look_like_a_card_number(string text) =>
        Assert.True(CardNumbers.LooksLikeCardNumber(text));

    [Theory]
    [InlineData("4242424242424241")]
    [InlineData("424242424242")]
    [InlineData("42424242424242424242")]
    [InlineData("tok_visa")]
    [InlineData("tok_4242424242424242")]
    [InlineData("4242424242424242x")]
    [InlineData("4242_4242_4242_4242")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    [InlineData("４２４２４２４２４２４２４２４２")]
    public void Too_short_too_long_failing_luhn_or_other_characters_do_not(string? text) =>
        Assert.False(CardNumbers.LooksLikeCardNumber(text));

    [Theory]
    [InlineData("Card 4242 4242 4242 4242 exp 12/30", true)]
    [InlineData("ref:5555555555554444;", true)]
    [InlineData("+1 408 555 0100", false)]
    [InlineData("+11234567890", false)]
    [InlineData("1234 Main road", false)]
    [InlineData("4242424242424241", false)]
    public void A_card_number_inside_text_is_found(string text, bool expected) =>
        Assert.Equal(expected, CardNumbers.ContainsCardNumber(text));

    [Fact]
    public void Luhn_accepts_the_check_digit_and_refuses_any_single_digit_change()
    {
        byte[] digits = [7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 3];
        Assert.True(CardNumbers.PassesLuhn(digits));
        for (var i = 0; i < digits.Length; i++)
        {
            var changed = (byte[])digits.Clone();
            changed[i] = (byte)((changed[i] + 1) % 10);
            Assert.False(CardNumbers.PassesLuhn(changed));
        }
    }
}
