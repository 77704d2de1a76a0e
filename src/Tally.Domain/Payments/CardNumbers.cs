namespace Tally.Domain.Payments;

/// <summary>Recognises payment card numbers (PANs), so that they can be refused before they are stored or logged.</summary>
public static class CardNumbers
{
    public const int MinDigits = 13;

    public const int MaxDigits = 19;

    /// <summary>
    /// True when <paramref name="text"/>, ignoring spaces and hyphens, is 13–19 ASCII digits that pass the Luhn check
    /// ("4242 4242 4242 4242", "4242-4242-4242-4242", "378282246310005"). Null or anything else → false.
    /// </summary>
    public static bool LooksLikeCardNumber(string? text)
    {
        if (text is null || text.Length > MaxDigits * 4)
        {
            return false;
        }

        Span<byte> digits = stackalloc byte[MaxDigits];
        var count = 0;
        foreach (var c in text)
        {
            if (c is ' ' or '-')
            {
                continue;
            }

            if (c is < '0' or > '9' || count == MaxDigits)
            {
                return false;
            }

            digits[count++] = (byte)(c - '0');
        }

        return count >= MinDigits && PassesLuhn(digits[..count]);
    }

    /// <summary>
    /// True when <paramref name="text"/> contains a run of digits (single spaces or hyphens allowed between digits) that
    /// <see cref="LooksLikeCardNumber"/> ("Card 4242 4242 4242 4242 exp 12/30" → true; "+1 408 555 0100" → false).
    /// </summary>
    public static bool ContainsCardNumber(string? text)
    {
        if (text is null)
        {
            return false;
        }

        var i = 0;
        while (i < text.Length)
        {
            if (!char.IsAsciiDigit(text[i]))
            {
                i++;
                continue;
            }

            var start = i;
            var end = i + 1;
            while (end < text.Length
                && (char.IsAsciiDigit(text[end]) || (text[end] is ' ' or '-' && end + 1 < text.Length && char.IsAsciiDigit(text[end + 1]))))
            {
                end++;
            }

            if (LooksLikeCardNumber(text[start..end]))
            {
                return true;
            }

            i = end;
        }

        return false;
    }

    /// <summary>The Luhn (mod 10) check over <paramref name="digits"/> (each 0–9), the last one being the check digit.</summary>
    public static bool PassesLuhn(ReadOnlySpan<byte> digits)
    {
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            int d = digits[digits.Length - 1 - i];
            if (i % 2 == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
        }

        return sum % 10 == 0;
    }
}
