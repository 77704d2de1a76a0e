using System.Collections.Frozen;
using Tally.Domain.Tenants;

namespace Tally.Domain.Catalog;

/// <summary>
/// Catalog texts per locale (<see cref="Locales.Supported"/>: en, ja, zh-TW, de, ko). A definition carries its base text
/// (shown when a locale has none) and an optional map of translations keyed by locale.
/// </summary>
public static class LocalizedTexts
{
    /// <summary>An empty translation map.</summary>
    public static IReadOnlyDictionary<string, string> None { get; } = FrozenDictionary<string, string>.Empty;

    /// <summary>
    /// Checks a translation map: keys are supported locales (exact spelling, "zh-TW"), values 1..<paramref name="maxLength"/>
    /// characters and not blank. Returns an immutable copy (empty for null). Throws <see cref="DomainValidationException"/>
    /// naming <c>field.locale</c>.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Require(IReadOnlyDictionary<string, string>? texts, string field, int maxLength)
    {
        if (texts is null || texts.Count == 0)
        {
            return None;
        }

        foreach (var (locale, text) in texts)
        {
            var path = $"{field}.{Names.Truncate(locale ?? "")}";
            if (locale is null || !Locales.Supported.Contains(locale, StringComparer.Ordinal))
            {
                throw new DomainValidationException(path, $"{path}: '{Names.Truncate(locale ?? "")}' is not a supported locale (one of {string.Join(", ", Locales.Supported)}).");
            }

            Text.Require(text, path, maxLength);
        }

        return texts.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The text for <paramref name="locale"/> when translated, else <paramref name="fallback"/>.</summary>
    public static string Pick(IReadOnlyDictionary<string, string> texts, string fallback, string locale) =>
        texts.TryGetValue(locale, out var text) ? text : fallback;
}

/// <summary>Length and presence rules for catalog strings.</summary>
public static class Text
{
    /// <summary>Throws <see cref="DomainValidationException"/> unless <paramref name="value"/> is 1..<paramref name="maxLength"/> characters and not blank.</summary>
    public static string Require(string? value, string field, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new DomainValidationException(field, $"{field} is required and must not be blank.");
        }

        return Optional(value, field, maxLength);
    }

    /// <summary>Throws <see cref="DomainValidationException"/> when <paramref name="value"/> is longer than <paramref name="maxLength"/> characters; null becomes "".</summary>
    public static string Optional(string? value, string field, int maxLength)
    {
        value ??= "";
        if (value.Length > maxLength)
        {
            throw new DomainValidationException(field, $"{field} is longer than {maxLength} characters.");
        }

        return value;
    }
}
