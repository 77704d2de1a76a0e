using Tally.Domain.Tenants;

namespace Tally.Server.Features.Catalog;

/// <summary>Picks a catalog locale (<see cref="Locales.Supported"/>) from <c>Accept-Language</c> and names it the F5 way.</summary>
public static class CatalogLocales
{
    public const string Fallback = "en";

    /// <summary>F5's "ISO dashed" lower-case form of each supported locale: en-us, ja-jp, zh-tw, de-de, ko-kr.</summary>
    public static string ToF5(string locale) => locale switch
    {
        "ja" => "ja-jp",
        "zh-TW" => "zh-tw",
        "de" => "de-de",
        "ko" => "ko-kr",
        _ => "en-us",
    };

    /// <summary>
    /// The best supported locale for the request's <c>Accept-Language</c> (highest q first, ties in header order;
    /// q=0 ignored), else <see cref="Fallback"/>. A tag matches by language: en-GB → en, ja-JP → ja, de-AT → de,
    /// ko-KR → ko; Chinese matches zh-TW when traditional (zh-TW, zh-HK, zh-MO, zh-Hant…) or bare "zh"; "*" → en.
    /// </summary>
    public static string Negotiate(HttpRequest request)
    {
        IList<Microsoft.Net.Http.Headers.StringWithQualityHeaderValue> ranges;
        try
        {
            ranges = request.GetTypedHeaders().AcceptLanguage;
        }
        catch (FormatException)
        {
            return Fallback;
        }

        foreach (var range in ranges.Select((r, i) => (r, i)).OrderByDescending(x => x.r.Quality ?? 1).ThenBy(x => x.i).Select(x => x.r))
        {
            if (range.Quality is <= 0 || Match(range.Value.Value) is not { } locale)
            {
                continue;
            }

            return locale;
        }

        return Fallback;
    }

    /// <summary>The supported locale a single language tag stands for, or null.</summary>
    public static string? Match(string? tag)
    {
        if (string.IsNullOrWhiteSpace(tag))
        {
            return null;
        }

        if (tag == "*")
        {
            return Fallback;
        }

        var parts = tag.Split('-');
        var language = parts[0].ToLowerInvariant();
        if (language == "zh")
        {
            var rest = parts.Skip(1).Select(p => p.ToUpperInvariant()).ToList();
            return rest.Count == 0 || rest.Contains("TW") || rest.Contains("HK") || rest.Contains("MO") || rest.Contains("HANT") ? "zh-TW" : null;
        }

        return Locales.Supported.FirstOrDefault(l => l == language);
    }
}
