using System.Globalization;
using System.Text.RegularExpressions;
using Tally.Domain.Catalog;

namespace Tally.Domain.PlanTransitions;

/// <summary>F5 <c>plan_transitionState</c>.</summary>
public enum PlanTransitionState
{
    Unspecified,

    /// <summary>Created and running (or about to run).</summary>
    Creating,

    /// <summary>A step failed, or the operator rejected it; final.</summary>
    Failed,

    /// <summary>Every step done; final.</summary>
    Finished,

    /// <summary>Waiting for the operator to approve or reject.</summary>
    WaitingForApproval,
}

/// <summary>When a plan change takes effect.</summary>
public enum PlanChangeTiming
{
    /// <summary>At once (upgrades, equal prices, a first plan); the current period is prorated.</summary>
    Now,

    /// <summary>At the end of the current billing period (downgrades).</summary>
    EndOfPeriod,
}

/// <summary>What a tenant supplied with a transition request that the target plan's flow may require.</summary>
/// <param name="HasPaymentToken">A non-empty <c>payment_provider_token</c> was sent.</param>
/// <param name="Domain">The <c>domain</c> as sent, or null.</param>
/// <param name="BillingAddress">The <c>billing_address</c>'s fields as sent (F5 <c>contactGlobalSpecType</c>), or null.</param>
public sealed record TransitionInput(bool HasPaymentToken, string? Domain, IReadOnlyDictionary<string, string?>? BillingAddress);

/// <summary>The rules of plan transitions: the state machine, required fields, approval and timing. Pure.</summary>
public static partial class PlanTransitionRules
{
    private static readonly string[] StateNames =
        ["STATE_UNSPECIFIED", "STATE_CREATING", "STATE_FAILED", "STATE_FINISHED", "STATE_WAITING_FOR_APPROVAL"];

    /// <summary>Contact fields <c>TRANSITION_REQUIRED_FIELD_CONTACTS</c> needs in <c>billing_address</c>.</summary>
    public static readonly IReadOnlyList<string> RequiredContactFields = ["address1", "city", "zip_code", "country"];

    public static string ToWire(this PlanTransitionState state) => StateNames[(int)state];

    /// <summary>Parses an F5 state name (exact, upper case); throws <see cref="DomainValidationException"/> naming <paramref name="field"/>.</summary>
    public static PlanTransitionState ParseState(string? text, string field)
    {
        var index = Array.IndexOf(StateNames, text);
        if (index <= 0)
        {
            throw new DomainValidationException(field, $"{field} must be one of {string.Join(", ", StateNames.Skip(1))}.");
        }

        return (PlanTransitionState)index;
    }

    /// <summary>Finished and failed transitions never change again.</summary>
    public static bool IsFinal(this PlanTransitionState state) => state is PlanTransitionState.Finished or PlanTransitionState.Failed;

    /// <summary>
    /// The operator must approve a move onto a plan whose flow says so, whose method is
    /// <see cref="TransitionMethod.Support"/> (a support request) or <see cref="TransitionMethod.Recreate"/> (Tally never
    /// deletes a tenant on its own).
    /// </summary>
    public static bool RequiresManualApproval(TransitionFlow flow) =>
        flow.RequiresManualApproval || flow.Method is TransitionMethod.Support or TransitionMethod.Recreate;

    /// <summary>The state a new request starts in.</summary>
    public static PlanTransitionState Initial(TransitionFlow flow) =>
        RequiresManualApproval(flow) ? PlanTransitionState.WaitingForApproval : PlanTransitionState.Creating;

    /// <summary>Approving moves a waiting request to <see cref="PlanTransitionState.Creating"/>; anything else is refused.</summary>
    public static PlanTransitionState Approve(PlanTransitionState state) => state == PlanTransitionState.WaitingForApproval
        ? PlanTransitionState.Creating
        : throw new InvalidOperationException($"Only a transition waiting for approval can be approved; this one is {state.ToWire()}.");

    /// <summary>Rejecting fails a waiting request; anything else is refused.</summary>
    public static PlanTransitionState Reject(PlanTransitionState state) => state == PlanTransitionState.WaitingForApproval
        ? PlanTransitionState.Failed
        : throw new InvalidOperationException($"Only a transition waiting for approval can be rejected; this one is {state.ToWire()}.");

    /// <summary>A running request ends finished or failed.</summary>
    public static PlanTransitionState Complete(PlanTransitionState state, bool succeeded) => state == PlanTransitionState.Creating
        ? succeeded ? PlanTransitionState.Finished : PlanTransitionState.Failed
        : throw new InvalidOperationException($"Only a running transition can complete; this one is {state.ToWire()}.");

    /// <summary>
    /// Checks <paramref name="input"/> against the plan's required fields. Throws <see cref="DomainValidationException"/>
    /// naming the first missing or invalid field (<c>payload.payment_provider_token</c>, <c>payload.domain</c>,
    /// <c>payload.billing_address.&lt;field&gt;</c>). A domain, when sent, must be a valid hostname even if not required.
    /// </summary>
    public static void RequireFields(TransitionFlow flow, TransitionInput input)
    {
        var required = flow.RequiredFields;
        if (required.Contains(TransitionRequiredField.PaymentToken) && !input.HasPaymentToken)
        {
            throw new DomainValidationException("payload.payment_provider_token", "payload.payment_provider_token is required to move onto this plan.");
        }

        if (input.Domain is not null && !IsHostname(input.Domain))
        {
            throw new DomainValidationException("payload.domain",
                "payload.domain must be a hostname: dot-separated labels of 1-63 letters, digits or '-' (not starting or ending with '-'), 253 characters at most.");
        }

        if (required.Contains(TransitionRequiredField.Domain) && string.IsNullOrEmpty(input.Domain))
        {
            throw new DomainValidationException("payload.domain", "payload.domain is required to move onto this plan.");
        }

        if (required.Contains(TransitionRequiredField.Contacts))
        {
            foreach (var field in RequiredContactFields)
            {
                if (input.BillingAddress is null || string.IsNullOrWhiteSpace(input.BillingAddress.GetValueOrDefault(field)))
                {
                    var path = "payload.billing_address." + field;
                    throw new DomainValidationException(path, $"{path} is required to move onto this plan (contacts: {string.Join(", ", RequiredContactFields)}).");
                }
            }
        }
    }

    /// <summary>
    /// Upgrades (a higher flat price) and moves between plans of equal price take effect now; downgrades (a lower flat
    /// price) at the end of the current period, so the tenant keeps what it paid for. A tenant on no plan moves now.
    /// Throws <see cref="ArgumentException"/> when the plans' currencies differ.
    /// </summary>
    public static PlanChangeTiming Timing(PlanDefinition? current, PlanDefinition target)
    {
        if (current is null)
        {
            return PlanChangeTiming.Now;
        }

        if (current.Currency != target.Currency)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Plans '{current.Name}' ({current.Currency.Code}) and '{target.Name}' ({target.Currency.Code}) are priced in different currencies."));
        }

        return target.FlatPrice.Minor < current.FlatPrice.Minor ? PlanChangeTiming.EndOfPeriod : PlanChangeTiming.Now;
    }

    /// <summary>RFC 1123 hostname: 1-253 characters, dot-separated labels of 1-63 letters, digits or '-', no label starting or ending with '-'.</summary>
    public static bool IsHostname(string value) => value.Length is > 0 and <= 253 && Hostname().IsMatch(value);

    [GeneratedRegex("^(?=.{1,253}\\z)[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Hostname();
}
