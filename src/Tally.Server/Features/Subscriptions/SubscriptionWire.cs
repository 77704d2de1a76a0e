using System.Text.Json;
using System.Text.Json.Serialization;
using Tally.Domain;
using Tally.Domain.Catalog;
using Tally.Server.Errors;
using Tally.Server.Features.Catalog;
using Tally.Server.Features.Quotas;
using Tally.Server.Hosting;

namespace Tally.Server.Features.Subscriptions;

// Wire types of F5's ves.io.schema.usage.subscription (custom_list) and ves.io.schema.subscription (add-ons) APIs,
// specs/f5xc/official/*usage.subscription* and *.subscription.*; instants are RFC 3339 strings in UTC.

/// <summary>F5 <c>subscriptionPeriod</c>: one billing period of a subscription; invoice links are invoice names (friendly ids).</summary>
public sealed record F5SubscriptionPeriod(
    string Uid,
    string StartDate,
    string EndDate,
    string InternalStartDate,
    string InternalEndDate,
    bool Trial,
    IReadOnlyList<string> Invoices,
    IReadOnlyList<string> ClosedInvoice,
    IReadOnlyList<string> PendingInvoice);

/// <summary>F5 <c>subscriptionSubscriptionType</c>. Null members are omitted.</summary>
public sealed record F5SubscriptionType(
    string Name,
    string PlanName,
    string PlanObjectName,
    bool Current,
    bool Cancelled,
    string? CancellationDate,
    string StartDate,
    string? LastBillingPeriodStartDate,
    string? LastBillingPeriodEndDate,
    IReadOnlyList<F5SubscriptionPeriod> PreviousBillingPeriods);

/// <summary>F5 <c>subscriptionListSubscriptionsRsp</c>.</summary>
public sealed record F5ListSubscriptionsRsp(IReadOnlyList<F5SubscriptionType> Subscriptions);

/// <summary>
/// F5 <c>subscriptionSubscribeRequest</c> / <c>subscriptionUnsubscribeRequest</c> (oneof <c>addon_choice</c>): exactly one
/// member set to <c>{}</c>. Declared for the OpenAPI document; the body is read by <see cref="AddOnChoice.Read"/>.
/// </summary>
public sealed record F5AddOnChoiceRequest(
    [property: JsonPropertyName("f5xc_appstack_standard")] F5Empty? AppstackStandard = null,
    [property: JsonPropertyName("f5xc_big_ip_irule_standard")] F5Empty? BigIpIruleStandard = null,
    [property: JsonPropertyName("f5xc_bigip_utilities_standard")] F5Empty? BigipUtilitiesStandard = null,
    [property: JsonPropertyName("f5xc_content_delivery_network_advanced")] F5Empty? ContentDeliveryNetworkAdvanced = null,
    [property: JsonPropertyName("f5xc_content_delivery_network_standard")] F5Empty? ContentDeliveryNetworkStandard = null,
    [property: JsonPropertyName("f5xc_delegated_access_standard")] F5Empty? DelegatedAccessStandard = null,
    [property: JsonPropertyName("f5xc_securemesh_advanced")] F5Empty? SecuremeshAdvanced = null,
    [property: JsonPropertyName("f5xc_securemesh_standard")] F5Empty? SecuremeshStandard = null,
    [property: JsonPropertyName("f5xc_site_management_standard")] F5Empty? SiteManagementStandard = null,
    [property: JsonPropertyName("f5xc_synthetic_monitoring_standard")] F5Empty? SyntheticMonitoringStandard = null,
    [property: JsonPropertyName("f5xc_waap_advanced")] F5Empty? WaapAdvanced = null,
    [property: JsonPropertyName("f5xc_waap_standard")] F5Empty? WaapStandard = null,
    [property: JsonPropertyName("f5xc_web_app_scanning_standard")] F5Empty? WebAppScanningStandard = null);

/// <summary>Operator view of one plan subscription (<c>GET /api/admin/tenants/{tenant}/subscriptions</c>).</summary>
public sealed record TenantPlanSubscription(string Id, string Plan, DateTimeOffset StartsAt, DateTimeOffset? EndsAt, DateTimeOffset? TrialEndsAt);

/// <summary>Operator view of one add-on subscription.</summary>
public sealed record TenantAddOnSubscription(string Id, string Addon, DateTimeOffset StartsAt, DateTimeOffset? EndsAt);

/// <summary>A tenant's plan and add-on subscriptions, each list oldest first.</summary>
public sealed record TenantSubscriptionsResponse(IReadOnlyList<TenantPlanSubscription> Plans, IReadOnlyList<TenantAddOnSubscription> Addons);

/// <summary>Reads F5's oneof <c>addon_choice</c>.</summary>
public static class AddOnChoice
{
    /// <summary>
    /// The add-on key a subscribe/unsubscribe body sets. Throws <see cref="RequestValidationException"/>: field <c>body</c>
    /// when the body is missing or not an object; the member's name when it is not one of F5's 13 add-on keys or its value
    /// is not an empty object; <c>addon_choice</c> when no key or more than one is set.
    /// </summary>
    public static string Read(JsonDocument? body)
    {
        if (body is null || body.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw F5Body.Required();
        }

        string? chosen = null;
        foreach (var member in body.RootElement.EnumerateObject())
        {
            var name = Names.Truncate(member.Name);
            if (!AddOnNames.IsF5Key(member.Name))
            {
                throw new RequestValidationException(name, $"'{name}' is not an F5 add-on key; set exactly one of {string.Join(", ", AddOnNames.F5Keys)} to {{}}.");
            }

            if (member.Value.ValueKind != JsonValueKind.Object || member.Value.EnumerateObject().Any())
            {
                throw new RequestValidationException(name, $"{name} must be an empty object {{}}.");
            }

            if (chosen is not null)
            {
                throw new RequestValidationException("addon_choice", chosen == member.Name
                    ? $"'{name}' is given twice; set exactly one add-on key."
                    : $"Set exactly one add-on key; the body sets '{chosen}' and '{name}'.");
            }

            chosen = member.Name;
        }

        return chosen ?? throw new RequestValidationException("addon_choice", $"Set exactly one add-on key to {{}}: one of {string.Join(", ", AddOnNames.F5Keys)}.");
    }
}
