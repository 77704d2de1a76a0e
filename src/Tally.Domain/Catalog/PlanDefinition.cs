using System.Globalization;
using Tally.Domain.Quotas;
using Tally.Domain.Rating;
using Tally.Domain.Tenants;

namespace Tally.Domain.Catalog;

/// <summary>F5 <c>planUsagePlanTransitionFlow</c>: how a tenant moves onto a plan. Required fields are distinct and specified.</summary>
public sealed class TransitionFlow
{
    public static readonly TransitionFlow None = new(TransitionMethod.Unspecified, [], false);

    public TransitionFlow(TransitionMethod method, IReadOnlyList<TransitionRequiredField>? requiredFields, bool requiresManualApproval)
    {
        if (!Enum.IsDefined(method))
        {
            throw new DomainValidationException("transition_flow.method", $"transition_flow.method {(int)method} is not defined.");
        }

        var fields = requiredFields ?? [];
        for (var i = 0; i < fields.Count; i++)
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"transition_flow.required_fields[{i}]");
            if (!Enum.IsDefined(fields[i]) || fields[i] == TransitionRequiredField.Unspecified)
            {
                throw new DomainValidationException(path, $"{path} must be a specified field (PAYMENT_TOKEN, DOMAIN or CONTACTS).");
            }

            if (fields.Take(i).Contains(fields[i]))
            {
                throw new DomainValidationException(path, $"{path}: {fields[i].ToWire()} is listed twice.");
            }
        }

        Method = method;
        RequiredFields = [.. fields];
        RequiresManualApproval = requiresManualApproval;
    }

    public TransitionMethod Method { get; }

    public IReadOnlyList<TransitionRequiredField> RequiredFields { get; }

    /// <summary>Moving onto the plan must be approved by the operator.</summary>
    public bool RequiresManualApproval { get; }
}

/// <summary>
/// A plan of the catalog: everything F5's <c>planPlanInternal</c> shows to tenants, plus what billing needs (currency,
/// setup fee, prepaid or postpaid, per-metric prices). Immutable; every instance satisfies the constructor's checks.
/// Field names in errors are the operator API's (snake_case paths such as <c>prices[0].tiers[1].up_to</c>).
/// References to metrics and add-ons are names; whether they exist is checked where the catalog is stored.
/// </summary>
public sealed class PlanDefinition
{
    public const int MaxTitleLength = 256;
    public const int MaxDescriptionLength = 20_000;
    public const int MaxTrialPeriod = 1000;
    public const int MaxAddOns = 64;

    /// <summary>Largest flat price: F5 sends <c>flat_price</c> as int32 hundredths of the currency.</summary>
    public const long MaxFlatPriceHundredths = int.MaxValue;

    /// <summary>
    /// Checks and creates a plan. Rules: DNS-1035 <paramref name="name"/>; <paramref name="title"/> required (≤ 256),
    /// subtitle ≤ 256, description ≤ 20,000 characters; translations keyed by supported locale; amounts in
    /// <paramref name="currency"/>, not negative, the flat price at most 21,474,836.47 units (F5's int32 cents);
    /// billing mode "prepaid" or "postpaid"; renewal period unit PERIOD_MONTH (Tally bills calendar months);
    /// trial period 0..1000, and a positive trial needs a unit; prices name each metric once; add-on names valid,
    /// each at most once and never in both lists.
    /// </summary>
    public PlanDefinition(
        string name,
        string title,
        Currency currency,
        PlanType usagePlanType,
        Money? flatPrice = null,
        Money? setupFee = null,
        string billingMode = Tenants.BillingMode.Postpaid,
        string? subtitle = null,
        string? description = null,
        TenantType tenantType = TenantType.Unknown,
        PeriodUnit renewalPeriodUnit = PeriodUnit.Month,
        int trialPeriod = 0,
        PeriodUnit trialPeriodUnit = PeriodUnit.Unknown,
        TransitionFlow? transitionFlow = null,
        QuotaSpec? defaultQuota = null,
        IReadOnlyList<string>? includedAddOns = null,
        IReadOnlyList<string>? allowedAddOns = null,
        bool billingDisabled = false,
        IReadOnlyList<MetricPrice>? prices = null,
        bool hidden = false,
        IReadOnlyDictionary<string, string>? titles = null,
        IReadOnlyDictionary<string, string>? subtitles = null,
        IReadOnlyDictionary<string, string>? descriptions = null)
    {
        Name = Names.RequireDns1035Label(name, "name");
        Title = Text.Require(title, "title", MaxTitleLength);
        Subtitle = Text.Optional(subtitle, "subtitle", MaxTitleLength);
        Description = Text.Optional(description, "description", MaxDescriptionLength);
        Titles = LocalizedTexts.Require(titles, "titles", MaxTitleLength);
        Subtitles = LocalizedTexts.Require(subtitles, "subtitles", MaxTitleLength);
        Descriptions = LocalizedTexts.Require(descriptions, "descriptions", MaxDescriptionLength);

        Currency = currency ?? throw new DomainValidationException("currency", "currency is required.");
        FlatPrice = CatalogRules.RequireAmount(flatPrice ?? Money.Zero(currency), currency, "flat_price");
        if (FlatPrice.Minor > 0 && Hundredths(FlatPrice) > MaxFlatPriceHundredths)
        {
            throw new DomainValidationException("flat_price", $"flat_price is larger than F5's usage plan API can carry (int32 cents: at most 21474836.47 {currency.Code}).");
        }

        SetupFee = CatalogRules.RequireAmount(setupFee ?? Money.Zero(currency), currency, "setup_fee");
        BillingMode = Tenants.BillingMode.Require(billingMode);
        BillingDisabled = billingDisabled;

        UsagePlanType = Enum.IsDefined(usagePlanType) ? usagePlanType : throw new DomainValidationException("usage_plan_type", "usage_plan_type is not defined.");
        TenantType = Enum.IsDefined(tenantType) ? tenantType : throw new DomainValidationException("tenant_type", "tenant_type is not defined.");
        if (renewalPeriodUnit != PeriodUnit.Month)
        {
            throw new DomainValidationException("renewal_period_unit", $"renewal_period_unit must be PERIOD_MONTH: Tally bills calendar months (not {renewalPeriodUnit.ToWire()}).");
        }

        RenewalPeriodUnit = renewalPeriodUnit;
        if (trialPeriod is < 0 or > MaxTrialPeriod)
        {
            throw new DomainValidationException("trial_period", $"trial_period must be 0 to {MaxTrialPeriod}, not {trialPeriod}.");
        }

        if (!Enum.IsDefined(trialPeriodUnit) || (trialPeriod > 0 && trialPeriodUnit == PeriodUnit.Unknown))
        {
            throw new DomainValidationException("trial_period_unit", "trial_period_unit must be PERIOD_DAY, PERIOD_WEEK, PERIOD_MONTH or PERIOD_YEAR when trial_period is more than 0.");
        }

        TrialPeriod = trialPeriod;
        TrialPeriodUnit = trialPeriodUnit;
        TransitionFlow = transitionFlow ?? TransitionFlow.None;
        DefaultQuota = defaultQuota ?? QuotaSpec.Empty;
        IncludedAddOns = AddOnList(includedAddOns, "included_addon_services", []);
        AllowedAddOns = AddOnList(allowedAddOns, "allowed_addon_services", IncludedAddOns);
        Prices = CatalogRules.RequirePrices(prices, "prices");
        Hidden = hidden;
    }

    /// <summary>DNS-1035 label, e.g. <c>team-v1</c>.</summary>
    public string Name { get; }

    public string Title { get; }

    public string Subtitle { get; }

    /// <summary>Markdown.</summary>
    public string Description { get; }

    public IReadOnlyDictionary<string, string> Titles { get; }

    public IReadOnlyDictionary<string, string> Subtitles { get; }

    public IReadOnlyDictionary<string, string> Descriptions { get; }

    public Currency Currency { get; }

    /// <summary>Charged once per billing period.</summary>
    public Money FlatPrice { get; }

    /// <summary>Charged once, on the first invoice after the plan is assigned.</summary>
    public Money SetupFee { get; }

    /// <summary>"prepaid" or "postpaid".</summary>
    public string BillingMode { get; }

    /// <summary>F5 <c>billing_disabled</c>: no automatic billing for tenants on this plan.</summary>
    public bool BillingDisabled { get; }

    public PlanType UsagePlanType { get; }

    public TenantType TenantType { get; }

    /// <summary>Always <see cref="PeriodUnit.Month"/>.</summary>
    public PeriodUnit RenewalPeriodUnit { get; }

    /// <summary>Length of the trial in <see cref="TrialPeriodUnit"/>s; 0 = no trial.</summary>
    public int TrialPeriod { get; }

    public PeriodUnit TrialPeriodUnit { get; }

    public TransitionFlow TransitionFlow { get; }

    /// <summary>The base of a tenant's quota limits (overridden key by key by its quota objects).</summary>
    public QuotaSpec DefaultQuota { get; }

    /// <summary>Add-ons that come with the plan (names).</summary>
    public IReadOnlyList<string> IncludedAddOns { get; }

    /// <summary>Add-ons a tenant on the plan may subscribe to (names); disjoint from <see cref="IncludedAddOns"/>.</summary>
    public IReadOnlyList<string> AllowedAddOns { get; }

    /// <summary>Per-metric prices, each metric once.</summary>
    public IReadOnlyList<MetricPrice> Prices { get; }

    /// <summary>Not offered to tenants on other plans (legacy or custom plans); still shown to tenants on it.</summary>
    public bool Hidden { get; }

    public bool HasTrial => TrialPeriod > 0;

    public string TitleFor(string locale) => LocalizedTexts.Pick(Titles, Title, locale);

    public string SubtitleFor(string locale) => LocalizedTexts.Pick(Subtitles, Subtitle, locale);

    public string DescriptionFor(string locale) => LocalizedTexts.Pick(Descriptions, Description, locale);

    /// <summary>The price of <paramref name="metric"/> in this plan, or null when the plan does not price it.</summary>
    public MetricPrice? PriceOf(string metric) => Prices.FirstOrDefault(p => p.Metric == metric);

    public override string ToString() => $"plan {Name} ({FlatPrice} per month, {BillingMode})";

    private static long Hundredths(Money amount)
    {
        try
        {
            return amount.ToHundredths();
        }
        catch (OverflowException)
        {
            return long.MaxValue;
        }
    }

    private static string[] AddOnList(IReadOnlyList<string>? names, string field, IReadOnlyList<string> exclusive)
    {
        if (names is null || names.Count == 0)
        {
            return [];
        }

        if (names.Count > MaxAddOns)
        {
            throw new DomainValidationException(field, $"{field} has {names.Count} entries; at most {MaxAddOns} are allowed.");
        }

        for (var i = 0; i < names.Count; i++)
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"{field}[{i}]");
            AddOnNames.Require(names[i], path);
            if (names.Take(i).Contains(names[i], StringComparer.Ordinal))
            {
                throw new DomainValidationException(path, $"{path}: add-on '{names[i]}' is listed twice.");
            }

            if (exclusive.Contains(names[i], StringComparer.Ordinal))
            {
                throw new DomainValidationException(path, $"{path}: add-on '{names[i]}' is already in included_addon_services.");
            }
        }

        return [.. names];
    }
}
