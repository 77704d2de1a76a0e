namespace Tally.Domain.Rating;

/// <summary>
/// One tier of a graduated or volume price: it covers billable units above the previous tier's <see cref="UpTo"/>
/// (0 for the first tier) up to and including <see cref="UpTo"/>; null = no upper bound (last tier only).
/// <see cref="UnitPrice"/> is in currency units per billable unit. Checked by <see cref="MetricPrice"/>.
/// </summary>
public sealed record PriceTier(decimal? UpTo, decimal UnitPrice);
