namespace Tally.Domain.Payments;

/// <summary>F5 <c>payment_methodPaymentMethodRole</c>: which payment method billing charges.</summary>
public enum PaymentMethodRole
{
    /// <summary>No role asked for (F5's default); only meaningful in a create request, never stored.</summary>
    Unknown,

    /// <summary>Always charged first.</summary>
    Primary,

    /// <summary>Charged when charging the primary fails (or when there is no primary).</summary>
    Secondary,

    /// <summary>Kept, but not charged.</summary>
    Normal,
}

/// <summary>
/// Names of <see cref="PaymentMethodRole"/>: F5's wire names (<c>PAYMENT_METHOD_ROLE_PRIMARY</c>, ...) and the storage
/// names of <c>payment_methods.role</c> (<c>primary</c>, <c>secondary</c>, <c>normal</c>; Unknown is never stored).
/// Parsing is exact (case-sensitive).
/// </summary>
public static class PaymentMethodRoleNames
{
    private static readonly string[] WireNames =
        ["PAYMENT_METHOD_ROLE_UNKNOWN", "PAYMENT_METHOD_ROLE_PRIMARY", "PAYMENT_METHOD_ROLE_SECONDARY", "PAYMENT_METHOD_ROLE_NORMAL"];

    private static readonly string?[] StorageNames = [null, "primary", "secondary", "normal"];

    public static string ToWire(this PaymentMethodRole role) => WireNames[(int)role];

    /// <summary>The storage name; throws <see cref="ArgumentOutOfRangeException"/> for <see cref="PaymentMethodRole.Unknown"/>.</summary>
    public static string ToStorage(this PaymentMethodRole role) =>
        StorageNames[(int)role] ?? throw new ArgumentOutOfRangeException(nameof(role), role, "A stored payment method has a known role.");

    /// <summary>
    /// Parses an F5 wire name; null or empty means <see cref="PaymentMethodRole.Unknown"/> (proto3's default).
    /// Throws <see cref="DomainValidationException"/> naming <paramref name="field"/> for anything else.
    /// </summary>
    public static PaymentMethodRole ParseWire(string? text, string field = "role")
    {
        if (string.IsNullOrEmpty(text))
        {
            return PaymentMethodRole.Unknown;
        }

        var index = Array.IndexOf(WireNames, text);
        return index >= 0
            ? (PaymentMethodRole)index
            : throw new DomainValidationException(field, $"{field} must be one of {string.Join(", ", WireNames)}, not '{Names.Truncate(text)}'.");
    }

    /// <summary>Parses a storage name; throws <see cref="FormatException"/> for anything else (a corrupt row).</summary>
    public static PaymentMethodRole ParseStorage(string text)
    {
        var index = Array.IndexOf(StorageNames, text);
        return index > 0 ? (PaymentMethodRole)index : throw new FormatException($"'{text}' is not a stored payment method role.");
    }
}
