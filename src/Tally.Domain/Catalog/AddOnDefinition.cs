using System.Globalization;
using System.Text.RegularExpressions;
using Tally.Domain.Rating;

namespace Tally.Domain.Catalog;

/// <summary>
/// An add-on service of the catalog (F5 "addon service", e.g. <c>f5xc_waap_standard</c>): a monthly price and,
/// optionally, per-metric prices on top of the plan's. Immutable; checked by the constructor.
/// </summary>
public sealed class AddOnDefinition
{
    public const int MaxDisplayNameLength = 256;

    /// <summary>Checks and creates an add-on. <paramref name="monthlyPrice"/> must be in <paramref name="currency"/>; prices name each metric once.</summary>
    public AddOnDefinition(
        string name,
        string displayName,
        Currency currency,
        Money monthlyPrice,
        IReadOnlyList<MetricPrice>? prices = null,
        IReadOnlyDictionary<string, string>? displayNames = null)
    {
        Name = AddOnNames.Require(name, "name");
        DisplayName = Text.Require(displayName, "display_name", MaxDisplayNameLength);
        Currency = currency ?? throw new DomainValidationException("currency", "currency is required.");
        MonthlyPrice = CatalogRules.RequireAmount(monthlyPrice, currency, "monthly_price");
        Prices = CatalogRules.RequirePrices(prices, "prices");
        DisplayNames = LocalizedTexts.Require(displayNames, "display_names", MaxDisplayNameLength);
    }

    /// <summary>F5 add-on key or a DNS-1035-style name (see <see cref="AddOnNames"/>).</summary>
    public string Name { get; }

    public string DisplayName { get; }

    public Currency Currency { get; }

    /// <summary>Charged once per billing period while subscribed.</summary>
    public Money MonthlyPrice { get; }

    /// <summary>Per-metric prices that apply while subscribed (each metric once).</summary>
    public IReadOnlyList<MetricPrice> Prices { get; }

    public IReadOnlyDictionary<string, string> DisplayNames { get; }

    /// <summary>The display name in <paramref name="locale"/>, else the base one.</summary>
    public string DisplayNameFor(string locale) => LocalizedTexts.Pick(DisplayNames, DisplayName, locale);

    public override string ToString() => $"add-on {Name} ({MonthlyPrice} per month)";
}

/// <summary>Add-on names: F5's 13 add-on keys, or any name of the same shape.</summary>
public static partial class AddOnNames
{
    /// <summary>The add-on keys of F5's <c>subscriptionSubscribeRequest</c> (<c>addon_choice</c>), sorted.</summary>
    public static IReadOnlyList<string> F5Keys { get; } =
    [
        "f5xc_appstack_standard",
        "f5xc_big_ip_irule_standard",
        "f5xc_bigip_utilities_standard",
        "f5xc_content_delivery_network_advanced",
        "f5xc_content_delivery_network_standard",
        "f5xc_delegated_access_standard",
        "f5xc_securemesh_advanced",
        "f5xc_securemesh_standard",
        "f5xc_site_management_standard",
        "f5xc_synthetic_monitoring_standard",
        "f5xc_waap_advanced",
        "f5xc_waap_standard",
        "f5xc_web_app_scanning_standard",
    ];

    /// <summary>True for one of <see cref="F5Keys"/>.</summary>
    public static bool IsF5Key(string? name) => name is not null && F5Keys.Contains(name, StringComparer.Ordinal);

    /// <summary>
    /// True for a DNS-1035 label in which '_' may stand where '-' may (so F5's keys qualify): 1-63 characters, lower-case
    /// letters, digits, '-' and '_', starting with a letter and ending with a letter or digit.
    /// </summary>
    public static bool IsValid(string? name) => name is { Length: > 0 and <= Names.MaxLabelLength } && Shape().IsMatch(name);

    public static string Require(string? name, string field)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw new DomainValidationException(field, $"{field} is required.");
        }

        return IsValid(name)
            ? name
            : throw new DomainValidationException(field, string.Create(CultureInfo.InvariantCulture,
                $"{field} '{Names.Truncate(name)}' is not an add-on name: 1-{Names.MaxLabelLength} characters, lower-case letters, digits, '-' and '_', starting with a letter and ending with a letter or digit (F5's keys such as f5xc_waap_standard qualify)."));
    }

    [GeneratedRegex("^[a-z]([-_a-z0-9]*[a-z0-9])?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}

/// <summary>Rules shared by plans and add-ons.</summary>
public static class CatalogRules
{
    /// <summary>Most per-metric prices one plan or add-on may carry.</summary>
    public const int MaxPrices = 200;

    /// <summary>Checks that <paramref name="amount"/> has a currency equal to <paramref name="currency"/> and is not negative.</summary>
    public static Money RequireAmount(Money amount, Currency currency, string field)
    {
        if (amount.Currency is null || !amount.Currency.Equals(currency))
        {
            throw new DomainValidationException(field, $"{field} must be in the definition's currency ({currency.Code}), not {amount.Currency?.Code ?? "none"}.");
        }

        if (amount.Minor < 0)
        {
            throw new DomainValidationException(field, $"{field} must not be negative.");
        }

        return amount;
    }

    /// <summary>Checks a price list: no nulls, at most <see cref="MaxPrices"/>, each metric once. Returns an immutable copy.</summary>
    public static IReadOnlyList<MetricPrice> RequirePrices(IReadOnlyList<MetricPrice>? prices, string field)
    {
        if (prices is null || prices.Count == 0)
        {
            return [];
        }

        if (prices.Count > MaxPrices)
        {
            throw new DomainValidationException(field, $"{field} has {prices.Count} entries; at most {MaxPrices} are allowed.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < prices.Count; i++)
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"{field}[{i}]");
            var price = prices[i] ?? throw new DomainValidationException(path, $"{path} is required (null price).");
            if (!seen.Add(price.Metric))
            {
                throw new DomainValidationException(path + ".metric", $"{path}.metric: metric '{price.Metric}' is priced twice.");
            }
        }

        return [.. prices];
    }
}
