using Tally.Domain.Rating;

namespace Tally.Domain.Catalog;

/// <summary>
/// A metered usage type of the catalog: what events of this metric mean, how they aggregate over a period and how
/// the aggregate becomes billable units (F5's rule: quantity / <see cref="Divisor"/>, below 1 → 1, else rounded down).
/// Immutable; every instance satisfies the constructor's checks. Field names in errors are the operator API's.
/// </summary>
public sealed class MetricDefinition
{
    public const int MaxDisplayNameLength = 256;
    public const int MaxUnitNameLength = 32;
    public const int MaxServiceLength = 128;
    public const int MaxDivisorDecimals = 6;

    /// <summary>Largest divisor accepted (10^15 metric units per billable unit).</summary>
    public const decimal MaxDivisor = 1_000_000_000_000_000m;

    /// <summary>
    /// Checks and creates a metric. <paramref name="name"/> is a DNS-1035 label; display and unit names are required
    /// (not blank, display name ≤ 256, unit names ≤ 32 characters); <paramref name="divisor"/> &gt; 0 with at most 6
    /// decimal places; <paramref name="service"/> and <paramref name="sku"/> may be empty (≤ 128 characters);
    /// <paramref name="displayNames"/> maps supported locales to translations.
    /// </summary>
    public MetricDefinition(
        string name,
        string displayName,
        string unitName,
        string billableUnitName,
        decimal divisor,
        Aggregation aggregation,
        string? service = null,
        string? sku = null,
        IReadOnlyDictionary<string, string>? displayNames = null)
    {
        Name = Names.RequireDns1035Label(name, "name");
        DisplayName = Text.Require(displayName, "display_name", MaxDisplayNameLength);
        UnitName = Text.Require(unitName, "unit_name", MaxUnitNameLength);
        BillableUnitName = Text.Require(billableUnitName, "billable_unit_name", MaxUnitNameLength);
        if (divisor <= 0 || divisor > MaxDivisor || decimal.Round(divisor, MaxDivisorDecimals) != divisor)
        {
            throw new DomainValidationException("divisor",
                $"divisor must be greater than 0 and at most {MaxDivisor:0}, with at most {MaxDivisorDecimals} decimal places (metric units per billable unit, e.g. \"1024\" for MB → GB).");
        }

        if (!Enum.IsDefined(aggregation))
        {
            throw new DomainValidationException("aggregation", $"aggregation {(int)aggregation} is not defined.");
        }

        Divisor = divisor;
        Aggregation = aggregation;
        Service = Text.Optional(service, "service", MaxServiceLength);
        Sku = Text.Optional(sku, "sku", MaxServiceLength);
        DisplayNames = LocalizedTexts.Require(displayNames, "display_names", MaxDisplayNameLength);
    }

    /// <summary>The usage type name events carry (DNS-1035 label, e.g. <c>requests</c>).</summary>
    public string Name { get; }

    /// <summary>Human-readable name (base text, used when a locale has no translation).</summary>
    public string DisplayName { get; }

    /// <summary>Unit of event quantities (F5 <c>unit_name</c>, e.g. <c>MB</c>).</summary>
    public string UnitName { get; }

    /// <summary>Unit prices apply to (F5 <c>unit_name_billable</c>, e.g. <c>GB</c>).</summary>
    public string BillableUnitName { get; }

    /// <summary>Metric units per billable unit (&gt; 0, e.g. 1024).</summary>
    public decimal Divisor { get; }

    public Aggregation Aggregation { get; }

    /// <summary>Service name reported by F5's <c>usage_summary</c> ("" when none).</summary>
    public string Service { get; }

    /// <summary>SKU reported by F5's <c>usage_summary</c> ("" when none).</summary>
    public string Sku { get; }

    /// <summary>Translations of <see cref="DisplayName"/> by locale.</summary>
    public IReadOnlyDictionary<string, string> DisplayNames { get; }

    /// <summary>The display name in <paramref name="locale"/>, else the base one.</summary>
    public string DisplayNameFor(string locale) => LocalizedTexts.Pick(DisplayNames, DisplayName, locale);

    /// <summary>Billable units for an aggregated <paramref name="quantity"/> in <see cref="UnitName"/> (see <see cref="Rating.BillableQuantity.From"/>).</summary>
    public long BillableQuantity(decimal quantity) => Rating.BillableQuantity.From(quantity, Divisor);

    public override string ToString() => $"metric {Name} ({UnitName} → {BillableUnitName} / {Divisor}, {Aggregation.ToWire()})";
}
