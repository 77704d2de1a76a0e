using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tally.Domain.Quotas;

namespace Tally.Domain.Tests;

public sealed class TokenBucketTests
{
    private static readonly DateTimeOffset Start = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static int TakeAll(TokenBucket bucket, DateTimeOffset now, int attempts = 1000)
    {
        var taken = 0;
        for (var i = 0; i < attempts && bucket.TryTake(now) is null; i++)
        {
            taken++;
        }

        return taken;
    }

    [Fact]
    public void Two_per_minute_allows_two_takes_then_asks_to_wait_at_least_a_second()
    {
        var bucket = new TokenBucket(new RateLimit(2, 0, "per-minute"), Start);

        Assert.Null(bucket.TryTake(Start));
        Assert.Null(bucket.TryTake(Start));
        var wait = bucket.TryTake(Start);

        Assert.NotNull(wait);
        Assert.True(wait >= TimeSpan.FromSeconds(1), $"wait was {wait}");
        Assert.True(wait <= TimeSpan.FromMinutes(1), $"wait was {wait}");
    }

    [Fact]
    public void After_one_period_the_bucket_is_full_again()
    {
        var bucket = new TokenBucket(new RateLimit(2, 0, "per-minute"), Start);
        Assert.Equal(2, TakeAll(bucket, Start));

        var later = Start + TimeSpan.FromMinutes(1);
        Assert.Null(bucket.TryTake(later));
        Assert.Null(bucket.TryTake(later));
        Assert.NotNull(bucket.TryTake(later));
    }

    [Fact]
    public void The_wait_for_two_per_minute_is_thirty_seconds_when_empty()
    {
        var bucket = new TokenBucket(new RateLimit(2, 0, "per-minute"), Start);
        TakeAll(bucket, Start);
        var wait = bucket.TryTake(Start);
        Assert.NotNull(wait);
        Assert.InRange(wait.Value.TotalSeconds, 29.999, 30.001);
    }

    [Fact]
    public void Taking_again_after_the_returned_wait_succeeds()
    {
        var bucket = new TokenBucket(new RateLimit(2, 0, "per-minute"), Start);
        TakeAll(bucket, Start);
        var wait = bucket.TryTake(Start);
        Assert.NotNull(wait);
        Assert.Null(bucket.TryTake(Start + wait.Value));
    }

    [Fact]
    public void Waiting_exactly_the_returned_time_is_enough_after_partial_refills()
    {
        // Found by the property below: after a refill of 27.15 s at 2 per minute, the refilled bucket holds
        // 0.99999999… tokens, so the take at now + wait is refused again (wait 1 s).
        var limit = new RateLimit(2, 0, "per-minute");
        var bucket = new TokenBucket(limit, Start);
        var now = Start;
        foreach (var step in new[] { 0, 0, 0, 0, 0, 0, 30, 32, 19 })
        {
            now += TimeSpan.FromTicks(limit.Period.Ticks * step / 400);
            if (bucket.TryTake(now) is { } wait)
            {
                now += wait;
                Assert.Null(bucket.TryTake(now));
            }
        }
    }

    [Fact]
    public void The_wait_is_at_least_one_second_even_when_the_next_token_is_sooner()
    {
        var bucket = new TokenBucket(new RateLimit(100, 0, "per-second"), Start);
        Assert.Equal(100, TakeAll(bucket, Start));
        Assert.Equal(TimeSpan.FromSeconds(1), bucket.TryTake(Start));
    }

    [Fact]
    public void Rate_zero_always_refuses()
    {
        var bucket = new TokenBucket(new RateLimit(0, 50, "per-hour"), Start);
        Assert.Equal(TimeSpan.FromHours(1), bucket.TryTake(Start));
        Assert.NotNull(bucket.TryTake(Start + TimeSpan.FromDays(30)));
    }

    [Theory]
    [InlineData(3, 10, 10)]
    [InlineData(10, 3, 10)]
    [InlineData(5, 5, 5)]
    [InlineData(1, 0, 1)]
    public void Capacity_is_the_larger_of_rate_and_burst(int rate, int burst, int capacity)
    {
        var bucket = new TokenBucket(new RateLimit(rate, burst, "per-hour"), Start);
        Assert.Equal(capacity, TakeAll(bucket, Start));
    }

    [Fact]
    public void A_long_idle_time_refills_only_up_to_capacity()
    {
        var bucket = new TokenBucket(new RateLimit(3, 0, "per-second"), Start);
        TakeAll(bucket, Start);
        Assert.Equal(3, TakeAll(bucket, Start + TimeSpan.FromDays(1)));
    }

    [Fact]
    public void Tokens_refill_in_proportion_to_elapsed_time()
    {
        var bucket = new TokenBucket(new RateLimit(10, 0, "per-second"), Start);
        TakeAll(bucket, Start);
        Assert.Equal(5, TakeAll(bucket, Start + TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public void A_clock_going_backwards_adds_no_tokens()
    {
        var bucket = new TokenBucket(new RateLimit(2, 0, "per-minute"), Start);
        TakeAll(bucket, Start);
        Assert.NotNull(bucket.TryTake(Start - TimeSpan.FromHours(1)));
        Assert.NotNull(bucket.TryTake(Start));
    }

    private sealed record Scenario(RateLimit Limit, IReadOnlyList<int> Steps)
    {
        public override string ToString() =>
            $"rate {Limit.Rate} burst {Limit.Burst} {Limit.Unit}, steps (1/400 period) [{string.Join(",", Steps)}]";
    }

    private static readonly Gen<Scenario> Scenarios =
        from rate in Gen.Choose(0, 12)
        from burst in Gen.Frequency((2, Gen.Constant(0)), (1, Gen.Choose(0, 20)))
        from unit in Gen.Elements("per-second", "per-minute", "per-hour")
        from steps in Gen.ListOf(Gen.Frequency((3, Gen.Constant(0)), (3, Gen.Choose(0, 40)), (1, Gen.Choose(0, 800))))
        select new Scenario(new RateLimit(rate, burst, unit), steps);

    [Property(MaxTest = 300)]
    public Property No_window_of_one_period_allows_more_than_capacity_plus_rate() =>
        Prop.ForAll(Scenarios.ToArbitrary(), scenario =>
        {
            var limit = scenario.Limit;
            var period = limit.Period;
            var bucket = new TokenBucket(limit, Start);
            var allowed = new List<DateTimeOffset>();
            var now = Start;
            foreach (var step in scenario.Steps)
            {
                now += TimeSpan.FromTicks(period.Ticks * step / 400);
                if (bucket.TryTake(now) is null)
                {
                    allowed.Add(now);
                }
            }

            var bound = Math.Max(limit.Rate, limit.Burst) + limit.Rate;
            if (limit.Rate == 0)
            {
                return allowed.Count == 0;
            }

            for (var i = 0; i < allowed.Count; i++)
            {
                var inWindow = allowed.Skip(i).TakeWhile(t => t <= allowed[i] + period).Count();
                if (inWindow > bound)
                {
                    return false;
                }
            }

            return true;
        });

    [Property(MaxTest = 300)]
    public Property Every_refusal_is_a_wait_of_at_least_one_second_after_which_a_take_succeeds() =>
        Prop.ForAll(Scenarios.ToArbitrary(), scenario =>
        {
            var limit = scenario.Limit;
            if (limit.Rate == 0)
            {
                return true;
            }

            var bucket = new TokenBucket(limit, Start);
            var now = Start;
            foreach (var step in scenario.Steps)
            {
                now += TimeSpan.FromTicks(limit.Period.Ticks * step / 400);
                var wait = bucket.TryTake(now);
                if (wait is { } w)
                {
                    if (w < TimeSpan.FromSeconds(1))
                    {
                        return false;
                    }

                    now += w;
                    if (bucket.TryTake(now) is not null)
                    {
                        return false;
                    }
                }
            }

            return true;
        });
}
