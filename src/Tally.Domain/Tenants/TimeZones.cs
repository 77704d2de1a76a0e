namespace Tally.Domain.Tenants;

/// <summary>IANA time-zone ids for billing periods.</summary>
public static class TimeZones
{
    /// <summary>Returns the zone for an IANA id ("Asia/Tokyo"); throws <see cref="DomainValidationException"/> when unknown.</summary>
    public static TimeZoneInfo Require(string? id, string field = "time_zone")
    {
        if (!string.IsNullOrWhiteSpace(id) && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) && zone.HasIanaId)
        {
            return zone;
        }

        throw new DomainValidationException(field, $"{field} '{id}' is not an IANA time-zone id such as \"UTC\" or \"Asia/Tokyo\".");
    }
}
