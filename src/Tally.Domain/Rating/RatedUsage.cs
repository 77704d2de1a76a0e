namespace Tally.Domain.Rating;

/// <summary>
/// The result of rating one metric for one period: <see cref="Quantity"/> as aggregated (metric unit),
/// <see cref="QuantityBillable"/> in whole billable units (<see cref="BillableQuantity.From"/>),
/// <see cref="ChargeableUnits"/> = billable units above the included allowance, and <see cref="Amount"/>
/// rounded once to minor units.
/// </summary>
public sealed record RatedUsage(decimal Quantity, long QuantityBillable, long ChargeableUnits, Money Amount);
