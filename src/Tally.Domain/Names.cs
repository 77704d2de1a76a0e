using System.Text.RegularExpressions;

namespace Tally.Domain;

/// <summary>Name rules shared by tenants, namespaces and F5 objects.</summary>
public static partial class Names
{
    /// <summary>Longest DNS-1035 label (RFC 1035: 63 octets).</summary>
    public const int MaxLabelLength = 63;

    /// <summary>True when <paramref name="value"/> is a DNS-1035 label: lower-case letter first, then letters, digits or '-', not ending in '-', 1..63 chars.</summary>
    public static bool IsDns1035Label(string? value) =>
        value is { Length: > 0 and <= MaxLabelLength } && Dns1035().IsMatch(value);

    /// <summary>Throws <see cref="DomainValidationException"/> unless <paramref name="value"/> is a DNS-1035 label.</summary>
    public static string RequireDns1035Label(string? value, string field)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new DomainValidationException(field, $"{field} is required.");
        }

        if (!IsDns1035Label(value))
        {
            throw new DomainValidationException(field,
                $"{field} '{Truncate(value)}' is not a DNS-1035 label: 1-63 characters, lower-case letters, digits and '-', starting with a letter and not ending with '-'.");
        }

        return value;
    }

    /// <summary>For error messages that quote input: the first 80 characters and "…" when longer.</summary>
    public static string Truncate(string value) => value.Length <= 80 ? value : value[..80] + "…";

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Dns1035();
}
