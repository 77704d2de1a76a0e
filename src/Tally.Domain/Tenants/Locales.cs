namespace Tally.Domain.Tenants;

/// <summary>Locales Tally renders invoices and catalog texts in.</summary>
public static class Locales
{
    public static IReadOnlyList<string> Supported { get; } = ["en", "ja", "zh-TW", "de", "ko"];

    public static string Require(string? value, string field = "locale") =>
        value is not null && Supported.Contains(value, StringComparer.Ordinal)
            ? value
            : throw new DomainValidationException(field, $"{field} must be one of {string.Join(", ", Supported)}, not '{value}'.");
}
