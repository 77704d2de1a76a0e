namespace Tally.Domain.Tenants;

/// <summary>Whether a tenant pays before (prepaid) or after (postpaid) the period. Wire values: "prepaid", "postpaid".</summary>
public static class BillingMode
{
    public const string Prepaid = "prepaid";
    public const string Postpaid = "postpaid";

    public static string Require(string? value, string field = "billing_mode") =>
        value is Prepaid or Postpaid
            ? value
            : throw new DomainValidationException(field, $"{field} must be \"prepaid\" or \"postpaid\", not '{value}'.");
}
