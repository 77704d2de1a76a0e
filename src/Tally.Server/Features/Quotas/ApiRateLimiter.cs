using System.Collections.Concurrent;
using System.Globalization;
using Tally.Domain.Quotas;
using Tally.Server.Auth;
using Tally.Server.Errors;
using Tally.Storage.Entities;

namespace Tally.Server.Features.Quotas;

/// <summary>
/// Token buckets per (caller, operation): a tenant's <c>api_limits</c> on Tally's own F5 operations, keyed by the F5
/// operation id (e.g. <c>ves.io.schema.quota.API.Create</c>), and per-address limits of token-less routes (caller
/// "address:" + the client address; tenant ids never contain ':'). Buckets live in this process: N processes allow up to
/// N × the rate. When more than <see cref="MaxBuckets"/> are tracked the table is dropped and starts again, so memory stays
/// bounded under a spray of client addresses.
/// </summary>
public sealed class ApiRateLimiter(TimeProvider clock)
{
    public const int MaxBuckets = 100_000;

    private readonly ConcurrentDictionary<(string Caller, string Operation), TokenBucket> _buckets = new();

    /// <summary>Null when allowed; otherwise the wait before a retry (≥ 1 s).</summary>
    public TimeSpan? TryAcquire(string caller, string operation, RateLimit limit)
    {
        var now = clock.GetUtcNow();
        if (_buckets.Count > MaxBuckets)
        {
            _buckets.Clear();
        }

        var bucket = _buckets.AddOrUpdate(
            (caller, operation),
            _ => new TokenBucket(limit, now),
            (_, existing) => existing.Limit == limit ? existing : new TokenBucket(limit, now));
        lock (bucket)
        {
            return bucket.TryTake(now);
        }
    }
}

/// <summary>Endpoint filter: 429 with Retry-After when the caller's tenant exceeds the api limit of this F5 operation.</summary>
public sealed class F5OperationRateLimit(string operation) : IEndpointFilter
{
    /// <summary>Never rate-limited, so a tenant can always replace or delete a quota object that locked it out.</summary>
    public static readonly IReadOnlySet<string> Exempt = new HashSet<string>(StringComparer.Ordinal)
    {
        "ves.io.schema.quota.API.Replace",
        "ves.io.schema.quota.API.Delete",
    };

    public string Operation { get; } = operation;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!Exempt.Contains(Operation) && http.Features.Get<Caller>()?.Grant.TenantId is { } tenant)
        {
            var limits = await http.RequestServices.GetRequiredService<QuotaLimitsService>().GetAsync(tenant, NamespaceRow.System, http.RequestAborted);
            if (limits.Apis.TryGetValue(Operation, out var limit)
                && http.RequestServices.GetRequiredService<ApiRateLimiter>().TryAcquire(tenant, Operation, limit) is { } wait)
            {
                var seconds = (int)Math.Ceiling(wait.TotalSeconds);
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return Problems.TooManyRequests($"The tenant's api limit for {Operation} ({limit.Rate} {limit.Unit}, burst {limit.Burst}) is used up; retry in {seconds} s.");
            }
        }

        return await next(context);
    }
}

public static class F5OperationExtensions
{
    /// <summary>Names the F5 operation of a route (its OpenAPI operation id) and applies the tenant's api limit to it.</summary>
    public static RouteHandlerBuilder WithF5Operation(this RouteHandlerBuilder builder, string operation) =>
        builder.WithName(operation).AddEndpointFilter(new F5OperationRateLimit(operation));
}
