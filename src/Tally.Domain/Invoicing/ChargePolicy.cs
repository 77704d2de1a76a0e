namespace Tally.Domain.Invoicing;

/// <summary>What an automatic charge attempt's outcome does to an invoice: the events to fire, in order, and when to try again.</summary>
public sealed record ChargeOutcome(IReadOnlyList<InvoiceEvent> Events, InvoiceState State, DateTimeOffset? NextAttemptAt);

/// <summary>
/// Due dates and the automatic charging schedule (3scale's dunning, made configurable): an invoice is due
/// <see cref="DueAfter"/> after it is issued; automatic attempts are made while it is pending or unpaid, at most
/// <see cref="MaxAttempts"/> failed ones, each at least <see cref="RetryInterval"/> after the previous. The first failure
/// moves pending → unpaid; the failure that reaches <see cref="MaxAttempts"/> moves it on to failed; success pays it.
/// Manual charges (the API's charge endpoint) are not counted and change nothing when they fail.
/// </summary>
public sealed record ChargePolicy
{
    /// <summary>3 attempts, 3 days apart, due 2 days after issue (3scale's hard-coded values).</summary>
    public static ChargePolicy Default { get; } = new(3, TimeSpan.FromDays(3), TimeSpan.FromDays(2));

    /// <summary>
    /// Throws <see cref="DomainValidationException"/>: "max_attempts" unless 1..100, "retry_interval" unless positive,
    /// "due_after" when negative.
    /// </summary>
    public ChargePolicy(int maxAttempts, TimeSpan retryInterval, TimeSpan dueAfter)
    {
        if (maxAttempts is < 1 or > 100)
        {
            throw new DomainValidationException("max_attempts", $"max_attempts must be between 1 and 100, not {maxAttempts}.");
        }

        if (retryInterval <= TimeSpan.Zero)
        {
            throw new DomainValidationException("retry_interval", "retry_interval must be positive.");
        }

        if (dueAfter < TimeSpan.Zero)
        {
            throw new DomainValidationException("due_after", "due_after must not be negative.");
        }

        MaxAttempts = maxAttempts;
        RetryInterval = retryInterval;
        DueAfter = dueAfter;
    }

    /// <summary>Automatic attempts before the invoice fails, ≥ 1.</summary>
    public int MaxAttempts { get; }

    /// <summary>Least time between two automatic attempts, &gt; 0.</summary>
    public TimeSpan RetryInterval { get; }

    /// <summary>Time from issue to due date, ≥ 0.</summary>
    public TimeSpan DueAfter { get; }

    /// <summary>The due instant of an invoice issued at <paramref name="issuedAt"/>.</summary>
    public DateTimeOffset DueAt(DateTimeOffset issuedAt) => issuedAt + DueAfter;

    /// <summary>
    /// True when an automatic attempt should be made at <paramref name="now"/>: the invoice is pending or unpaid, due
    /// (<paramref name="dueAt"/> ≤ now), and never attempted or last attempted at least <see cref="RetryInterval"/> ago.
    /// </summary>
    public bool IsDue(InvoiceState state, DateTimeOffset dueAt, DateTimeOffset? lastAttemptAt, DateTimeOffset now) =>
        state is InvoiceState.Pending or InvoiceState.Unpaid
        && dueAt <= now
        && (lastAttemptAt is not { } last || last + RetryInterval <= now);

    /// <summary>A successful charge of an invoice in a chargeable state: pay. Throws <see cref="InvalidOperationException"/> otherwise.</summary>
    public static ChargeOutcome AfterSuccess(InvoiceState state) =>
        state.IsChargeable()
            ? new ChargeOutcome([InvoiceEvent.Pay], InvoiceState.Paid, null)
            : throw new InvalidOperationException($"An invoice in state {state.ToWire()} cannot be charged.");

    /// <summary>
    /// The outcome of failed automatic attempt number <paramref name="failedAttempts"/> (1-based, counting this one) made
    /// at <paramref name="attemptedAt"/> on an invoice in <paramref name="state"/> (pending or unpaid): below
    /// <see cref="MaxAttempts"/> the invoice is (or stays) unpaid and the next attempt is due <see cref="RetryInterval"/>
    /// later; at <see cref="MaxAttempts"/> it fails (from pending through unpaid) with no further attempt. Throws
    /// <see cref="InvalidOperationException"/> for another state, <see cref="ArgumentOutOfRangeException"/> unless
    /// 1 ≤ <paramref name="failedAttempts"/> ≤ <see cref="MaxAttempts"/>.
    /// </summary>
    public ChargeOutcome AfterFailure(InvoiceState state, int failedAttempts, DateTimeOffset attemptedAt)
    {
        if (state is not (InvoiceState.Pending or InvoiceState.Unpaid))
        {
            throw new InvalidOperationException($"Automatic charges are made on pending and unpaid invoices, not {state.ToWire()} ones.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(failedAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(failedAttempts, MaxAttempts);
        var events = new List<InvoiceEvent>();
        if (state == InvoiceState.Pending)
        {
            events.Add(InvoiceEvent.MarkAsUnpaid);
        }

        if (failedAttempts == MaxAttempts)
        {
            events.Add(InvoiceEvent.Fail);
            return new ChargeOutcome(events, InvoiceState.Failed, null);
        }

        return new ChargeOutcome(events, InvoiceState.Unpaid, attemptedAt + RetryInterval);
    }
}
