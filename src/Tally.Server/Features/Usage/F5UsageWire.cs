using System.Globalization;

namespace Tally.Server.Features.Usage;

// Wire types of F5's ves.io.schema.usage and billing usage_summary APIs (specs/f5xc/official/*usage*.json and the
// merged file). Amounts are hundredths of the currency as int64 strings; instants are RFC 3339 strings in UTC.

public sealed record F5UsageRangeRequest(string? Namespace, string? From, string? To);

public sealed record F5MonthlyUsageRequest(string? Namespace);

public sealed record F5HourlyUsageRequest(string? Namespace, string? Query);

public sealed record F5UsageSummaryRequest(string? StartTime, string? EndTime);

public sealed record F5CalculatedUsageItem(
    string UsageType,
    IReadOnlyList<string> MetricLabels,
    double Quantity,
    string UnitName,
    string QuantityBillable,
    string UnitNameBillable,
    string Amount,
    string CurrencyCode,
    string StartTimestamp,
    string EndTimestamp,
    bool Fixed,
    string Status);

public sealed record F5Coupon(string Title, string DiscountType, int DiscountAmount);

public sealed record F5CurrentUsageResponse(IReadOnlyList<F5CalculatedUsageItem> UsageItems, string TotalCost, string Discount, IReadOnlyList<F5Coupon> Coupons);

public sealed record F5MonthlyUsageItem(string Amount, string CurrencyCode, string StartTimestamp, string EndTimestamp);

public sealed record F5MonthlyUsageResponse(IReadOnlyList<F5MonthlyUsageItem> MonthlyUsageItems);

public sealed record F5UsageItem(
    string UsageType,
    string MetricLabel,
    string Namespace,
    string ObjectName,
    double Quantity,
    string UnitName,
    string StartTimestamp,
    string EndTimestamp,
    string HourlyBreakdownQuery);

public sealed record F5UsageDetailsResponse(IReadOnlyList<F5UsageItem> UsageItems);

public sealed record F5HourlyItem(string StartTimestamp, string EndTimestamp, double Quantity, string UnitName, string Deployment, string Container);

public sealed record F5HourlyUsageResponse(IReadOnlyList<F5HourlyItem> HourlyUsageItems);

public sealed record F5MetricValue(double Timestamp, string Value);

public sealed record F5UsageMetricData(string Unit, F5MetricValue MetricValue);

public sealed record F5BillingMetricData(string Unit, string Value);

public sealed record F5UsageSummaryItem(string Name, string Service, F5UsageMetricData UsageMetricData, F5BillingMetricData BillingMetricData);

public sealed record F5UsageSummaryResponse(IReadOnlyList<F5UsageSummaryItem> UsageSummaryItems);

/// <summary>Formats of F5's usage wire.</summary>
public static class F5UsageFormat
{
    /// <summary>RFC 3339 in UTC with a Z and no fraction when whole seconds ("2026-11-01T00:00:00Z").</summary>
    public static string Instant(DateTimeOffset instant) =>
        instant.ToUniversalTime().ToString(instant.Millisecond == 0 && instant.Microsecond == 0 ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    /// <summary>An int64 as F5 writes it: a JSON string.</summary>
    public static string Whole(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A decimal quantity as a plain string with at most 6 decimals, trailing zeros dropped ("0.833333", "15").</summary>
    public static string Quantity(decimal value) =>
        Math.Round(value, 6, MidpointRounding.AwayFromZero).ToString("0.######", CultureInfo.InvariantCulture);
}
