namespace Tally.Domain.Invoicing;

/// <summary>
/// An invoice's state: 3scale's seven (<c>open</c> initial; <c>paid</c> and <c>cancelled</c> terminal for 3scale) plus
/// Tally's <c>refunded</c>, reached from <c>paid</c> only.
/// </summary>
public enum InvoiceState
{
    Open,
    Finalized,
    Pending,
    Unpaid,
    Paid,
    Failed,
    Cancelled,
    Refunded,
}

/// <summary>The events that move an invoice (3scale's <c>finalize, issue, mark_as_unpaid, pay, fail, cancel</c>, plus Tally's refund).</summary>
public enum InvoiceEvent
{
    Finalize,
    Issue,
    MarkAsUnpaid,
    Pay,
    Fail,
    Cancel,
    Refund,
}

/// <summary>A transition the state endpoint fires: <see cref="Event"/> moves the invoice from its state to <see cref="To"/>.</summary>
public sealed record InvoiceStateChange(InvoiceEvent Event, InvoiceState To);

/// <summary>
/// The invoice state machine (3scale <c>porta:app/models/invoice.rb</c>):
/// finalize open → finalized; issue open, finalized → pending; mark_as_unpaid pending → unpaid;
/// pay pending, unpaid, failed → paid; fail unpaid → failed; cancel open, finalized, pending, unpaid, failed → cancelled;
/// and Tally's refund paid → refunded. Nothing leaves cancelled or refunded.
/// </summary>
public static class InvoiceStates
{
    /// <summary>Every state in declaration order.</summary>
    public static IReadOnlyList<InvoiceState> All { get; } = Array.AsReadOnly(Enum.GetValues<InvoiceState>());

    /// <summary>The wire name: "open", "finalized", "pending", "unpaid", "paid", "failed", "cancelled", "refunded".</summary>
    public static string ToWire(this InvoiceState state) => state switch
    {
        InvoiceState.Open => "open",
        InvoiceState.Finalized => "finalized",
        InvoiceState.Pending => "pending",
        InvoiceState.Unpaid => "unpaid",
        InvoiceState.Paid => "paid",
        InvoiceState.Failed => "failed",
        InvoiceState.Cancelled => "cancelled",
        InvoiceState.Refunded => "refunded",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown invoice state."),
    };

    /// <summary>The state named exactly (ordinal, lower case) by <paramref name="wire"/>; false for anything else, "cancel" included.</summary>
    public static bool TryParse(string? wire, out InvoiceState state)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.ToWire(), wire, StringComparison.Ordinal))
            {
                state = candidate;
                return true;
            }
        }

        state = default;
        return false;
    }

    /// <summary>The state <paramref name="event"/> leads to from <paramref name="from"/>, or null when the event cannot fire there.</summary>
    public static InvoiceState? After(InvoiceState from, InvoiceEvent @event) => (@event, from) switch
    {
        (InvoiceEvent.Finalize, InvoiceState.Open) => InvoiceState.Finalized,
        (InvoiceEvent.Issue, InvoiceState.Open or InvoiceState.Finalized) => InvoiceState.Pending,
        (InvoiceEvent.MarkAsUnpaid, InvoiceState.Pending) => InvoiceState.Unpaid,
        (InvoiceEvent.Pay, InvoiceState.Pending or InvoiceState.Unpaid or InvoiceState.Failed) => InvoiceState.Paid,
        (InvoiceEvent.Fail, InvoiceState.Unpaid) => InvoiceState.Failed,
        (InvoiceEvent.Cancel, InvoiceState.Open or InvoiceState.Finalized or InvoiceState.Pending or InvoiceState.Unpaid or InvoiceState.Failed) => InvoiceState.Cancelled,
        (InvoiceEvent.Refund, InvoiceState.Paid) => InvoiceState.Refunded,
        _ => null,
    };

    /// <summary>
    /// The state after <paramref name="event"/>; throws <see cref="InvalidOperationException"/> ("Cannot fire pay in state
    /// cancelled.") when it cannot fire from <paramref name="from"/>.
    /// </summary>
    public static InvoiceState Fire(InvoiceState from, InvoiceEvent @event) =>
        After(from, @event) ?? throw new InvalidOperationException($"Cannot fire {@event} in state {from.ToWire()}.");

    /// <summary>
    /// What 3scale's <c>PUT /api/invoices/{id}/state</c> does for <paramref name="target"/> (the <c>state</c> parameter) on an
    /// invoice in <paramref name="from"/>: the event of the transition from <paramref name="from"/> to the target, where
    /// the target is one of finalized, pending, unpaid, paid, failed, cancelled, or "cancel" (alias of cancelled).
    /// Everything else, including "open", "refunded" (refunds are not a 3scale transition), an unknown word, the
    /// current state and null, throws <see cref="DomainValidationException"/> with field "state" and exactly the
    /// message "Cannot transition to {target}" (the target as given; the API answers 422 with it as a base error).
    /// </summary>
    public static InvoiceStateChange ResolveApiTarget(InvoiceState from, string? target)
    {
        var wanted = target == "cancel" ? "cancelled" : target;
        if (TryParse(wanted, out var to) && to != InvoiceState.Refunded)
        {
            foreach (var @event in Enum.GetValues<InvoiceEvent>())
            {
                if (@event != InvoiceEvent.Refund && After(from, @event) == to)
                {
                    return new InvoiceStateChange(@event, to);
                }
            }
        }

        throw new DomainValidationException("state", $"Cannot transition to {(target is null ? "" : Names.Truncate(target))}");
    }

    /// <summary>Line items can be added and removed: open and finalized (3scale <c>editable?</c>).</summary>
    public static bool IsEditable(this InvoiceState state) => state is InvoiceState.Open or InvoiceState.Finalized;

    /// <summary>A charge may be attempted: pending, unpaid and failed (3scale <c>transition_allowed?(:charge)</c>).</summary>
    public static bool IsChargeable(this InvoiceState state) => state is InvoiceState.Pending or InvoiceState.Unpaid or InvoiceState.Failed;

    /// <summary>No event leaves the state: cancelled and refunded (paid still allows Tally's refund).</summary>
    public static bool IsTerminal(this InvoiceState state) => Enum.GetValues<InvoiceEvent>().All(e => After(state, e) is null);

    /// <summary>
    /// F5's <c>usage.invoice</c> status (DESIGN.md): open, finalized → STATUS_PENDING; pending → STATUS_ISSUED;
    /// unpaid, failed → OVERDUE; paid → STATUS_PAID; cancelled → STATUS_CANCELLED; refunded → STATUS_REFUNDED.
    /// </summary>
    public static string ToF5Status(this InvoiceState state) => state switch
    {
        InvoiceState.Open or InvoiceState.Finalized => "STATUS_PENDING",
        InvoiceState.Pending => "STATUS_ISSUED",
        InvoiceState.Unpaid or InvoiceState.Failed => "OVERDUE",
        InvoiceState.Paid => "STATUS_PAID",
        InvoiceState.Cancelled => "STATUS_CANCELLED",
        InvoiceState.Refunded => "STATUS_REFUNDED",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown invoice state."),
    };
}
