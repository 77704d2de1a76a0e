using System.Text.Json.Nodes;

namespace Tally.Server.Features.PlanTransitions;

/// <summary>F5 <c>plan_transitionInitiatePlanTransitionReq</c>.</summary>
public sealed record InitiatePlanTransitionRequest(string? Namespace, string? NewPlan, TransitionPayload? Payload);

/// <summary>
/// F5 <c>plan_transitionTransitionPayload</c>. <c>billing_provider_account_id</c> and <c>tp_subscription_id</c> are set by
/// the backend in F5 ("anything passed from UI will be ignored"): accepted and ignored here too.
/// </summary>
public sealed record TransitionPayload(
    string? PaymentProviderToken = null,
    string? Domain = null,
    ContactWire? BillingAddress = null,
    ContactWire? PaymentAddress = null,
    IReadOnlyList<string>? SubscribeAddonServices = null,
    IReadOnlyList<string>? UnsubscribeAddonServices = null,
    bool? CreateSupportTicket = null,
    string? SupportTicketInfo = null,
    string? DeletionReason = null,
    string? DeletionFeedback = null,
    string? BillingProviderAccountId = null,
    string? TpSubscriptionId = null);

/// <summary>F5 <c>schemacontactGlobalSpecType</c> (all optional strings; <c>contact_type</c> an F5 enum name).</summary>
public sealed record ContactWire(
    string? Address1 = null,
    string? Address2 = null,
    string? City = null,
    string? ContactType = null,
    string? Country = null,
    string? County = null,
    string? PhoneNumber = null,
    string? State = null,
    string? StateCode = null,
    string? ZipCode = null)
{
    /// <summary>The fields by their wire names (nulls kept).</summary>
    public IReadOnlyDictionary<string, string?> ToDictionary() => new Dictionary<string, string?>(StringComparer.Ordinal)
    {
        ["address1"] = Address1,
        ["address2"] = Address2,
        ["city"] = City,
        ["contact_type"] = ContactType,
        ["country"] = Country,
        ["county"] = County,
        ["phone_number"] = PhoneNumber,
        ["state"] = State,
        ["state_code"] = StateCode,
        ["zip_code"] = ZipCode,
    };

    /// <summary>The non-null fields as a JSON object.</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject();
        foreach (var (key, value) in ToDictionary())
        {
            if (value is not null)
            {
                json[key] = value;
            }
        }

        return json;
    }
}

/// <summary>F5 <c>plan_transitionInitiatePlanTransitionRsp</c>.</summary>
public sealed record InitiatePlanTransitionResponse(string Id, bool RequiresManualApproval);

/// <summary>F5 <c>plan_transitionGetPlanTransitionRsp</c>: the state only.</summary>
public sealed record PlanTransitionStateResponse(string State);

/// <summary>Operator view of a transition. <c>payload</c> never holds the payment token.</summary>
public sealed record PlanTransitionView(
    string Id,
    string Tenant,
    string? FromPlan,
    string NewPlan,
    string State,
    string? Reason,
    bool RequiresManualApproval,
    string? PaymentMethod,
    JsonNode? Payload,
    string RequestedBy,
    string? DecidedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

public sealed record PlanTransitionList(IReadOnlyList<PlanTransitionView> Items);

/// <summary>Body of the operator's reject (optional): why, shown to support staff and kept as the failure reason.</summary>
public sealed record RejectPlanTransitionRequest(string? Reason);
