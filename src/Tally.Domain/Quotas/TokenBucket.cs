namespace Tally.Domain.Quotas;

/// <summary>
/// Token bucket for <see cref="RateLimit"/>: holds up to max(rate, burst) tokens (at least 1), refills
/// <c>rate</c> tokens per period. Not thread-safe: callers serialise access. Rate 0 refuses everything.
/// </summary>
public sealed class TokenBucket(RateLimit limit, DateTimeOffset now)
{
    // Tolerance for floating-point refill, so that waiting exactly the returned time always succeeds.
    private const double Epsilon = 1e-9;

    private double _tokens = Capacity(limit);
    private DateTimeOffset _updated = now;

    public RateLimit Limit { get; } = limit;

    /// <summary>Takes one token. Returns null when allowed, else how long until a token is available (≥ 1 s, for Retry-After).</summary>
    public TimeSpan? TryTake(DateTimeOffset now)
    {
        var perSecond = Limit.Rate / Limit.Period.TotalSeconds;
        if (now > _updated)
        {
            _tokens = Math.Min(Capacity(Limit), _tokens + ((now - _updated).TotalSeconds * perSecond));
            _updated = now;
        }

        if (_tokens >= 1 - Epsilon)
        {
            _tokens = Math.Max(0, _tokens - 1);
            return null;
        }

        if (perSecond <= 0)
        {
            return Limit.Period;
        }

        var wait = TimeSpan.FromTicks((long)Math.Ceiling((1 - _tokens) / perSecond * TimeSpan.TicksPerSecond));
        return wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait;
    }

    private static double Capacity(RateLimit limit) => limit.Rate == 0 ? 0 : Math.Max(1, Math.Max(limit.Rate, limit.Burst));
}
