using System.Collections.Concurrent;
using Tally.Domain.Quotas;

namespace Tally.Server.Features.PlanTransitions;

/// <summary>
/// Rate limit of the token-less plan-transition lookup, per client address: <see cref="Limit"/> (a token bucket, so
/// guessing ids is slow). Buckets live in this process; when more than <see cref="MaxClients"/> addresses are tracked
/// the table is dropped and starts again (memory stays bounded under a spray of addresses).
/// </summary>
public sealed class ClientRateLimiter(TimeProvider clock)
{
    public const int MaxClients = 10_000;

    /// <summary>60 lookups a minute, no burst beyond that.</summary>
    public static readonly RateLimit Limit = new(60, 0, "per-minute");

    private readonly ConcurrentDictionary<string, TokenBucket> _buckets = new(StringComparer.Ordinal);

    /// <summary>Null when the call may go ahead; otherwise how long the client must wait (≥ 1 s).</summary>
    public TimeSpan? TryAcquire(string client)
    {
        var now = clock.GetUtcNow();
        if (_buckets.Count > MaxClients)
        {
            _buckets.Clear();
        }

        var bucket = _buckets.GetOrAdd(client, _ => new TokenBucket(Limit, now));
        lock (bucket)
        {
            return bucket.TryTake(now);
        }
    }
}
