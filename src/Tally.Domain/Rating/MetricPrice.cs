using System.Globalization;
using System.Text;

namespace Tally.Domain.Rating;

/// <summary>
/// How one metric is priced in a plan: <see cref="Included"/> free billable units per period, then the
/// <see cref="Model"/>'s fields. Every instance satisfies the invariants checked by the constructor; errors are
/// <see cref="DomainValidationException"/>s whose field is a snake_case path relative to the price ("unit_price",
/// "tiers[1].up_to"), so a caller nesting prices prefixes it.
/// </summary>
public sealed record MetricPrice
{
    /// <summary>Most decimal places a price may carry (currency units).</summary>
    public const int MaxPriceDecimals = 6;

    private readonly PriceTier[] _tiers;

    /// <summary>
    /// Checks and creates a price. Rules: <paramref name="metric"/> not blank; <paramref name="included"/> ≥ 0; prices ≥ 0
    /// with at most 6 decimal places (by value: 0.1000000 is fine). per_unit: <paramref name="unitPrice"/> required.
    /// package: <paramref name="packageSize"/> &gt; 0 and <paramref name="packagePrice"/> required. graduated and volume:
    /// at least one tier, each up_to a whole number ≥ 1 and greater than the one before, only the last tier without
    /// up_to, and the last tier must be without it. Fields of another model must be absent (null; an empty tier list
    /// counts as absent).
    /// </summary>
    public MetricPrice(
        string metric,
        PricingModel model,
        long included = 0,
        decimal? unitPrice = null,
        long? packageSize = null,
        decimal? packagePrice = null,
        IReadOnlyList<PriceTier>? tiers = null)
    {
        if (string.IsNullOrWhiteSpace(metric))
        {
            throw new DomainValidationException("metric", "metric is required.");
        }

        if (!Enum.IsDefined(model))
        {
            throw new DomainValidationException("model", $"model {(int)model} is not a pricing model.");
        }

        if (included < 0)
        {
            throw new DomainValidationException("included", $"included must be 0 or more billable units, not {included}.");
        }

        var modelName = model.ToWire();
        var tierList = tiers ?? [];
        var usesTiers = model is PricingModel.Graduated or PricingModel.Volume;
        RequirePresence("unit_price", unitPrice.HasValue, model == PricingModel.PerUnit, modelName);
        RequirePresence("package_size", packageSize.HasValue, model == PricingModel.Package, modelName);
        RequirePresence("package_price", packagePrice.HasValue, model == PricingModel.Package, modelName);
        RequirePresence("tiers", tierList.Count > 0, usesTiers, modelName);

        if (unitPrice is { } price)
        {
            RequirePrice(price, "unit_price");
        }

        if (packageSize is <= 0)
        {
            throw new DomainValidationException("package_size", $"package_size must be 1 or more billable units, not {packageSize}.");
        }

        if (packagePrice is { } package)
        {
            RequirePrice(package, "package_price");
        }

        _tiers = [.. tierList];
        for (var i = 0; i < _tiers.Length; i++)
        {
            RequireTier(_tiers, i);
        }

        Metric = metric;
        Model = model;
        Included = included;
        UnitPrice = unitPrice;
        PackageSize = packageSize;
        PackagePrice = packagePrice;
    }

    /// <summary>The metric (usage type) this price applies to.</summary>
    public string Metric { get; }

    public PricingModel Model { get; }

    /// <summary>Free billable units per period, ≥ 0; rating charges only the units above it.</summary>
    public long Included { get; }

    /// <summary>per_unit only: currency units per billable unit, ≥ 0, ≤ 6 decimal places.</summary>
    public decimal? UnitPrice { get; }

    /// <summary>package only: billable units per package, &gt; 0.</summary>
    public long? PackageSize { get; }

    /// <summary>package only: currency units per started package, ≥ 0, ≤ 6 decimal places.</summary>
    public decimal? PackagePrice { get; }

    /// <summary>graduated and volume only (empty otherwise): tiers in increasing up_to order, the last unbounded.</summary>
    public IReadOnlyList<PriceTier> Tiers => _tiers;

    /// <summary>A per_unit price.</summary>
    public static MetricPrice PerUnit(string metric, decimal unitPrice, long included = 0) =>
        new(metric, PricingModel.PerUnit, included, unitPrice: unitPrice);

    /// <summary>A package price.</summary>
    public static MetricPrice Package(string metric, long packageSize, decimal packagePrice, long included = 0) =>
        new(metric, PricingModel.Package, included, packageSize: packageSize, packagePrice: packagePrice);

    /// <summary>A graduated price.</summary>
    public static MetricPrice Graduated(string metric, IReadOnlyList<PriceTier> tiers, long included = 0) =>
        new(metric, PricingModel.Graduated, included, tiers: tiers);

    /// <summary>A volume price.</summary>
    public static MetricPrice Volume(string metric, IReadOnlyList<PriceTier> tiers, long included = 0) =>
        new(metric, PricingModel.Volume, included, tiers: tiers);

    /// <summary>Value equality, tiers compared element by element.</summary>
    public bool Equals(MetricPrice? other) =>
        other is not null
        && Metric == other.Metric
        && Model == other.Model
        && Included == other.Included
        && UnitPrice == other.UnitPrice
        && PackageSize == other.PackageSize
        && PackagePrice == other.PackagePrice
        && _tiers.AsSpan().SequenceEqual(other._tiers);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Metric, StringComparer.Ordinal);
        hash.Add(Model);
        hash.Add(Included);
        hash.Add(UnitPrice);
        hash.Add(PackageSize);
        hash.Add(PackagePrice);
        foreach (var tier in _tiers)
        {
            hash.Add(tier);
        }

        return hash.ToHashCode();
    }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"Metric = {Metric}, Model = {Model.ToWire()}, Included = {Included}");
        if (UnitPrice is { } unitPrice)
        {
            builder.Append(CultureInfo.InvariantCulture, $", UnitPrice = {unitPrice}");
        }

        if (PackageSize is { } packageSize)
        {
            builder.Append(CultureInfo.InvariantCulture, $", PackageSize = {packageSize}, PackagePrice = {PackagePrice}");
        }

        if (_tiers.Length > 0)
        {
            builder.Append(CultureInfo.InvariantCulture, $", Tiers = [{string.Join(", ", _tiers.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.UpTo?.ToString(CultureInfo.InvariantCulture) ?? "∞"} @ {t.UnitPrice}")))}]");
        }

        return true;
    }

    private static void RequirePresence(string field, bool present, bool required, string modelName)
    {
        if (required && !present)
        {
            throw new DomainValidationException(field, $"{field} is required for model \"{modelName}\".");
        }

        if (!required && present)
        {
            throw new DomainValidationException(field, $"{field} is not allowed for model \"{modelName}\".");
        }
    }

    private static void RequirePrice(decimal price, string field)
    {
        if (price < 0)
        {
            throw new DomainValidationException(field, $"{field} must not be negative.");
        }

        if (decimal.Round(price, MaxPriceDecimals) != price)
        {
            throw new DomainValidationException(field, $"{field} has more than {MaxPriceDecimals} decimal places.");
        }
    }

    private static void RequireTier(PriceTier[] tiers, int index)
    {
        var path = string.Create(CultureInfo.InvariantCulture, $"tiers[{index}]");
        var tier = tiers[index] ?? throw new DomainValidationException(path, $"{path} is required (null tier).");
        RequirePrice(tier.UnitPrice, path + ".unit_price");

        var upToField = path + ".up_to";
        var isLast = index == tiers.Length - 1;
        if (tier.UpTo is not { } upTo)
        {
            if (!isLast)
            {
                throw new DomainValidationException(upToField, $"{upToField} is required: only the last tier may be unbounded.");
            }

            return;
        }

        if (isLast)
        {
            throw new DomainValidationException(upToField, $"{upToField} must be absent: the last tier is unbounded so every quantity has a price.");
        }

        if (upTo < 1 || decimal.Truncate(upTo) != upTo)
        {
            throw new DomainValidationException(upToField, $"{upToField} must be a whole number of billable units, 1 or more.");
        }

        if (index > 0 && tiers[index - 1]?.UpTo is { } previous && upTo <= previous)
        {
            throw new DomainValidationException(upToField,
                string.Create(CultureInfo.InvariantCulture, $"{upToField} must be greater than tiers[{index - 1}].up_to ({previous})."));
        }
    }
}
