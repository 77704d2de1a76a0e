namespace Tally.Domain;

/// <summary>Wall-clock arithmetic in a time zone.</summary>
internal static class ZoneClock
{
    /// <summary>The local date and time (kind Unspecified) that <paramref name="instant"/> shows in <paramref name="zone"/>.</summary>
    public static DateTime Wall(DateTimeOffset instant, TimeZoneInfo zone) => TimeZoneInfo.ConvertTime(instant, zone).DateTime;

    /// <summary>
    /// The first instant (UTC offset) whose wall clock in <paramref name="zone"/> is at or after <paramref name="wall"/>:
    /// the earlier occurrence of an ambiguous time, the end of the gap for a time that does not exist.
    /// </summary>
    public static DateTimeOffset FirstInstantAtOrAfter(DateTime wall, TimeZoneInfo zone)
    {
        wall = DateTime.SpecifyKind(wall, DateTimeKind.Unspecified);

        // An instant showing `wall` lies within ±14 h of `wall` read as UTC. Try every offset the zone uses in that
        // window (sampled hourly) and keep the earliest instant that really shows `wall`.
        var wallAsUtc = new DateTimeOffset(wall, TimeSpan.Zero);
        DateTimeOffset? earliest = null;
        TimeSpan? lastOffset = null;
        for (var hours = -15; hours <= 15; hours++)
        {
            var offset = zone.GetUtcOffset(wallAsUtc.AddHours(hours));
            if (offset == lastOffset)
            {
                continue;
            }

            lastOffset = offset;
            var candidate = wallAsUtc - offset;
            if (Wall(candidate, zone) == wall && (earliest is null || candidate < earliest))
            {
                earliest = candidate;
            }
        }

        if (earliest is { } found)
        {
            return found;
        }

        // `wall` falls in a spring-forward gap: find the transition, the first instant showing a later wall time.
        // Invariant: Wall(low) < wall <= Wall(high).
        var low = wallAsUtc.AddHours(-15);
        var high = wallAsUtc.AddHours(15);
        while (high.Ticks - low.Ticks > 1)
        {
            var middle = low.AddTicks((high.Ticks - low.Ticks) / 2);
            if (Wall(middle, zone) >= wall)
            {
                high = middle;
            }
            else
            {
                low = middle;
            }
        }

        return high;
    }
}
