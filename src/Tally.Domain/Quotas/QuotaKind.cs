namespace Tally.Domain.Quotas;

/// <summary>What an admission counts: object instances (whole numbers) or resources (fractions allowed). Wire: "objects", "resources".</summary>
public enum QuotaKind
{
    Objects,
    Resources,
}

public static class QuotaKinds
{
    public static string ToWire(this QuotaKind kind) => kind == QuotaKind.Objects ? "objects" : "resources";

    public static QuotaKind Parse(string? value, string field = "kind") => value switch
    {
        "objects" => QuotaKind.Objects,
        "resources" => QuotaKind.Resources,
        _ => throw new DomainValidationException(field, $"{field} must be \"objects\" or \"resources\", not '{value}'."),
    };
}
