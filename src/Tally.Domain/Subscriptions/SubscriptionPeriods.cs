namespace Tally.Domain.Subscriptions;

/// <summary>
/// One billing period of a subscription: the part <c>[Start, End)</c> of the calendar month <see cref="Month"/> during which
/// the subscription ran, on one side of its trial end. <see cref="Trial"/> when the part lies inside the trial.
/// </summary>
public sealed record SubscriptionPeriod(BillingPeriod Month, DateTimeOffset Start, DateTimeOffset End, bool Trial);

/// <summary>The billing periods of a subscription.</summary>
public static class SubscriptionPeriods
{
    /// <summary>
    /// The billing periods of a subscription <c>[start, end)</c> (<paramref name="end"/> null = open-ended) that have begun
    /// by <paramref name="now"/> (start ≤ now), oldest first: the calendar months of <paramref name="zone"/> clipped to the
    /// subscription, each split at <paramref name="trialEndsAt"/> when the trial ends inside it. A part is a trial part when
    /// it ends at or before the trial end. The last part of an open-ended subscription runs to its month's end, past
    /// <paramref name="now"/>. Consecutive parts tile <c>[start, min(end, last month's end))</c> without gap or overlap.
    /// Empty when the subscription starts after <paramref name="now"/> or is empty (end = start). All instants UTC.
    /// Throws <see cref="DomainValidationException"/> (field <c>ends_at</c>) when <paramref name="end"/> is before
    /// <paramref name="start"/>.
    /// </summary>
    public static IReadOnlyList<SubscriptionPeriod> Of(
        DateTimeOffset start, DateTimeOffset? end, DateTimeOffset? trialEndsAt, DateTimeOffset now, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        start = start.ToUniversalTime();
        if (end < start)
        {
            throw new DomainValidationException("ends_at", $"A subscription cannot end ({end:O}) before it starts ({start:O}).");
        }

        var limit = end?.ToUniversalTime() ?? DateTimeOffset.MaxValue;
        var trialEnd = trialEndsAt?.ToUniversalTime();
        var periods = new List<SubscriptionPeriod>();
        var month = BillingPeriod.Containing(start, zone);
        var cursor = start;
        while (cursor < limit && cursor <= now)
        {
            var partEnd = month.End < limit ? month.End : limit;
            if (trialEnd is { } t && t > cursor && t < partEnd)
            {
                periods.Add(new SubscriptionPeriod(month, cursor, t, Trial: true));
                cursor = t;
                if (cursor > now)
                {
                    break;
                }
            }

            periods.Add(new SubscriptionPeriod(month, cursor, partEnd, Trial: trialEnd is { } e && partEnd <= e));
            cursor = partEnd;
            if (cursor < limit && cursor <= now)
            {
                month = month.Next();
            }
        }

        return periods;
    }
}
