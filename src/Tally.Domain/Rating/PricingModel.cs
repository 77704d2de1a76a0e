namespace Tally.Domain.Rating;

/// <summary>How a metric's chargeable units are priced. Wire: "per_unit", "package", "graduated", "volume".</summary>
public enum PricingModel
{
    /// <summary>Every chargeable unit at <see cref="MetricPrice.UnitPrice"/>.</summary>
    PerUnit,

    /// <summary><see cref="MetricPrice.PackagePrice"/> per started package of <see cref="MetricPrice.PackageSize"/> units.</summary>
    Package,

    /// <summary>Each tier prices the units that fall inside it.</summary>
    Graduated,

    /// <summary>The tier that contains the total prices every unit.</summary>
    Volume,
}

public static class PricingModels
{
    /// <summary>The wire name: "per_unit", "package", "graduated" or "volume". Throws <see cref="ArgumentOutOfRangeException"/> for an undefined value.</summary>
    public static string ToWire(this PricingModel model) => model switch
    {
        PricingModel.PerUnit => "per_unit",
        PricingModel.Package => "package",
        PricingModel.Graduated => "graduated",
        PricingModel.Volume => "volume",
        _ => throw new ArgumentOutOfRangeException(nameof(model), model, "Unknown pricing model."),
    };

    /// <summary>Parses a wire name (exact, lower case); throws <see cref="DomainValidationException"/> with <paramref name="field"/> otherwise.</summary>
    public static PricingModel Parse(string? text, string field = "model") => text switch
    {
        "per_unit" => PricingModel.PerUnit,
        "package" => PricingModel.Package,
        "graduated" => PricingModel.Graduated,
        "volume" => PricingModel.Volume,
        _ => throw new DomainValidationException(field,
            $"{field} must be \"per_unit\", \"package\", \"graduated\" or \"volume\", not '{(text is null ? "null" : Names.Truncate(text))}'."),
    };
}
