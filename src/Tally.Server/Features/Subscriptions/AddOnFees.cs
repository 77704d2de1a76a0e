using Tally.Domain;
using Tally.Domain.Catalog;
using Tally.Domain.Subscriptions;
using Tally.Server.Features.Catalog;
using Tally.Storage.Entities;

namespace Tally.Server.Features.Subscriptions;

/// <summary>
/// The monthly fee of one add-on subscription in one billing period: the add-on's monthly price prorated to
/// <c>[From, To)</c>, the part of the period the subscription covers (<see cref="Fraction"/> of it).
/// </summary>
public sealed record AddOnFee(AddOnSubscriptionRow Subscription, AddOnDefinition AddOn, DateTimeOffset From, DateTimeOffset To, decimal Fraction, Money Amount);

/// <summary>Add-on fees of a billing period.</summary>
public static class AddOnFees
{
    /// <summary>
    /// One fee per subscription in <paramref name="subscriptions"/> that overlaps <paramref name="period"/> (an open end
    /// counts to the period's end), in the order given. Subscriptions of add-ons missing from <paramref name="catalog"/> or
    /// priced in another currency than <paramref name="currency"/> are left out.
    /// </summary>
    public static IReadOnlyList<AddOnFee> In(IEnumerable<AddOnSubscriptionRow> subscriptions, BillingPeriod period, CatalogSnapshot catalog, Currency currency)
    {
        ArgumentNullException.ThrowIfNull(period);
        ArgumentNullException.ThrowIfNull(catalog);
        var fees = new List<AddOnFee>();
        foreach (var row in subscriptions)
        {
            var end = row.EndsAt ?? period.End;
            if (row.StartsAt >= period.End || end <= period.Start
                || catalog.AddOns.GetValueOrDefault(row.AddOn)?.Definition is not { } addOn || !addOn.Currency.Equals(currency))
            {
                continue;
            }

            var from = row.StartsAt > period.Start ? row.StartsAt : period.Start;
            var to = end < period.End ? end : period.End;
            fees.Add(new AddOnFee(row, addOn, from, to, Proration.Fraction(period, from, to), Proration.Share(addOn.MonthlyPrice, period, from, to)));
        }

        return fees;
    }
}
