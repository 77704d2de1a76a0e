using System.Globalization;
using Tally.Domain;
using Tally.Domain.Catalog;
using Tally.Domain.Quotas;
using Tally.Domain.Rating;
using Tally.Domain.Tenants;
using Tally.Server.Errors;
using Tally.Server.Features.Quotas;

namespace Tally.Server.Features.Catalog;

/// <summary>
/// Converts operator API bodies to domain definitions (validating every field; errors name the field as a path in the
/// body, e.g. <c>prices[0].tiers[1].up_to</c>) and definitions back to their canonical body (every field present,
/// maps sorted), which is also the stored form.
/// </summary>
public static class CatalogMapping
{
    /// <summary>Metric defaults: aggregation "sum", billable unit = unit, divisor "1".</summary>
    public static MetricDefinition ToMetric(string name, MetricBody body)
    {
        RequireSameName(name, body.Name);
        return new MetricDefinition(
            name,
            body.DisplayName!,
            body.UnitName!,
            body.BillableUnitName ?? body.UnitName!,
            body.Divisor is null ? 1m : ParseDecimal(body.Divisor, "divisor"),
            Aggregations.Parse(body.Aggregation ?? "sum", "aggregation"),
            body.Service,
            body.Sku,
            body.DisplayNames);
    }

    public static MetricBody FromMetric(MetricDefinition metric, DateTimeOffset? updatedAt = null) => new(
        metric.Name,
        metric.DisplayName,
        Sorted(metric.DisplayNames),
        metric.UnitName,
        metric.BillableUnitName,
        metric.Divisor.ToString(CultureInfo.InvariantCulture),
        metric.Aggregation.ToWire(),
        metric.Service,
        metric.Sku,
        updatedAt);

    public static AddOnDefinition ToAddOn(string name, AddOnBody body)
    {
        RequireSameName(name, body.Name);
        var currency = Currency.Of(body.Currency, "currency");
        return new AddOnDefinition(
            name,
            body.DisplayName!,
            currency,
            body.MonthlyPrice is null ? Money.Zero(currency) : Money.ParseUnits(body.MonthlyPrice, currency, "monthly_price"),
            Prices(body.Prices, "prices"),
            body.DisplayNames);
    }

    public static AddOnBody FromAddOn(AddOnDefinition addOn, DateTimeOffset? updatedAt = null) => new(
        addOn.Name,
        addOn.DisplayName,
        Sorted(addOn.DisplayNames),
        addOn.Currency.Code,
        addOn.MonthlyPrice.ToUnitsString(),
        [.. addOn.Prices.Select(FromPrice)],
        updatedAt);

    /// <summary>
    /// Plan defaults: flat price and setup fee "0", billing mode "postpaid", tenant type UNKNOWN, renewal PERIOD_MONTH,
    /// no trial, transition flow of F5's zero values, empty default quota, no add-ons, no prices, not hidden.
    /// <c>currency</c>, <c>title</c> and <c>usage_plan_type</c> are required.
    /// </summary>
    public static PlanDefinition ToPlan(string name, PlanBody body)
    {
        RequireSameName(name, body.Name);
        var currency = Currency.Of(body.Currency, "currency");
        if (body.UsagePlanType is null)
        {
            throw new DomainValidationException("usage_plan_type", "usage_plan_type is required: FREE, INDIVIDUAL, TEAM, ORGANIZATION or PLAN_TYPE_UNSPECIFIED.");
        }

        return new PlanDefinition(
            name,
            body.Title!,
            currency,
            CatalogEnums.ParsePlanType(body.UsagePlanType),
            flatPrice: body.FlatPrice is null ? null : Money.ParseUnits(body.FlatPrice, currency, "flat_price"),
            setupFee: body.SetupFee is null ? null : Money.ParseUnits(body.SetupFee, currency, "setup_fee"),
            billingMode: BillingMode.Require(body.BillingMode ?? BillingMode.Postpaid),
            subtitle: body.Subtitle,
            description: body.Description,
            tenantType: body.TenantType is null ? TenantType.Unknown : CatalogEnums.ParseTenantType(body.TenantType),
            renewalPeriodUnit: body.RenewalPeriodUnit is null ? PeriodUnit.Month : CatalogEnums.ParsePeriodUnit(body.RenewalPeriodUnit, "renewal_period_unit"),
            trialPeriod: body.TrialPeriod ?? 0,
            trialPeriodUnit: body.TrialPeriodUnit is null ? PeriodUnit.Unknown : CatalogEnums.ParsePeriodUnit(body.TrialPeriodUnit, "trial_period_unit"),
            transitionFlow: Flow(body.TransitionFlow),
            defaultQuota: Quota(body.DefaultQuota),
            includedAddOns: body.IncludedAddonServices,
            allowedAddOns: body.AllowedAddonServices,
            billingDisabled: body.BillingDisabled ?? false,
            prices: Prices(body.Prices, "prices"),
            hidden: body.Hidden ?? false,
            titles: body.Titles,
            subtitles: body.Subtitles,
            descriptions: body.Descriptions);
    }

    public static PlanBody FromPlan(PlanDefinition plan, DateTimeOffset? updatedAt = null) => new(
        plan.Name,
        plan.Title,
        plan.Subtitle,
        plan.Description,
        Sorted(plan.Titles),
        Sorted(plan.Subtitles),
        Sorted(plan.Descriptions),
        plan.Currency.Code,
        plan.FlatPrice.ToUnitsString(),
        plan.SetupFee.ToUnitsString(),
        plan.BillingMode,
        plan.BillingDisabled,
        plan.UsagePlanType.ToWire(),
        plan.TenantType.ToWire(),
        plan.RenewalPeriodUnit.ToWire(),
        plan.TrialPeriod,
        plan.TrialPeriodUnit.ToWire(),
        new TransitionFlowBody(
            plan.TransitionFlow.Method.ToWire(),
            [.. plan.TransitionFlow.RequiredFields.Select(f => f.ToWire())],
            plan.TransitionFlow.RequiresManualApproval),
        ToF5(plan.DefaultQuota),
        [.. plan.IncludedAddOns],
        [.. plan.AllowedAddOns],
        [.. plan.Prices.Select(FromPrice)],
        plan.Hidden,
        updatedAt);

    /// <summary>The F5 wire form of a quota spec, every map present and sorted by key.</summary>
    public static F5QuotaSpec ToF5(QuotaSpec spec) => new(
        spec.ObjectLimits.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => new F5LimitType(kv.Value), StringComparer.Ordinal),
        spec.ResourceLimits.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => new F5FloatLimitType(kv.Value), StringComparer.Ordinal),
        spec.ApiLimits.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => new F5RateLimitType(kv.Value.Rate, kv.Value.Burst, kv.Value.Unit), StringComparer.Ordinal));

    public static PriceBody FromPrice(MetricPrice price) => new(
        price.Metric,
        price.Model.ToWire(),
        price.Included.ToString(CultureInfo.InvariantCulture),
        price.UnitPrice?.ToString(CultureInfo.InvariantCulture),
        price.PackageSize?.ToString(CultureInfo.InvariantCulture),
        price.PackagePrice?.ToString(CultureInfo.InvariantCulture),
        price.Tiers.Count == 0 ? null : [.. price.Tiers.Select(t => new TierBody(t.UpTo?.ToString(CultureInfo.InvariantCulture), t.UnitPrice.ToString(CultureInfo.InvariantCulture)))]);

    /// <summary>Runs <paramref name="action"/>, re-throwing validation errors with <paramref name="prefix"/> before their field (and message).</summary>
    public static T Nested<T>(string prefix, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (DomainValidationException e)
        {
            throw new DomainValidationException(prefix + e.Field, Prefix(prefix, e.Field, e.Message));
        }
        catch (RequestValidationException e)
        {
            throw new RequestValidationException(prefix + e.Field, Prefix(prefix, e.Field, e.Message));
        }
    }

    /// <summary>Puts <paramref name="prefix"/> before a message that starts with its field, else before "field: message".</summary>
    public static string Prefix(string prefix, string field, string message) =>
        message.StartsWith(field, StringComparison.Ordinal) ? prefix + message : $"{prefix}{field}: {message}";

    private static void RequireSameName(string pathName, string? bodyName)
    {
        if (bodyName is not null && bodyName != pathName)
        {
            throw new RequestValidationException("name", $"name '{Names.Truncate(bodyName)}' differs from the name in the path ('{pathName}'); entries cannot be renamed.");
        }
    }

    private static MetricPrice[] Prices(List<PriceBody>? prices, string field)
    {
        if (prices is null)
        {
            return [];
        }

        if (prices.Count > CatalogRules.MaxPrices)
        {
            throw new DomainValidationException(field, $"{field} has {prices.Count} entries; at most {CatalogRules.MaxPrices} are allowed.");
        }

        var result = new MetricPrice[prices.Count];
        for (var i = 0; i < prices.Count; i++)
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"{field}[{i}]");
            var body = prices[i] ?? throw new DomainValidationException(path, $"{path} must be an object.");
            result[i] = Nested(path + ".", () => Price(body));
        }

        return result;
    }

    /// <summary>Most tiers one price may have.</summary>
    public const int MaxTiers = 100;

    private static MetricPrice Price(PriceBody body)
    {
        var metric = Names.RequireDns1035Label(body.Metric, "metric");
        var model = PricingModels.Parse(body.Model, "model");
        var tiers = body.Tiers ?? [];
        if (tiers.Count > MaxTiers)
        {
            throw new DomainValidationException("tiers", $"tiers has {tiers.Count} entries; at most {MaxTiers} are allowed.");
        }

        var parsed = new PriceTier[tiers.Count];
        for (var i = 0; i < tiers.Count; i++)
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"tiers[{i}]");
            var tier = tiers[i] ?? throw new DomainValidationException(path, $"{path} must be an object.");
            parsed[i] = new PriceTier(
                tier.UpTo is null ? null : ParseDecimal(tier.UpTo, path + ".up_to"),
                ParseDecimal(tier.UnitPrice ?? throw new DomainValidationException(path + ".unit_price", $"{path}.unit_price is required."), path + ".unit_price"));
        }

        return new MetricPrice(
            metric,
            model,
            body.Included is null ? 0 : ParseWhole(body.Included, "included"),
            body.UnitPrice is null ? null : ParseDecimal(body.UnitPrice, "unit_price"),
            body.PackageSize is null ? null : ParseWhole(body.PackageSize, "package_size"),
            body.PackagePrice is null ? null : ParseDecimal(body.PackagePrice, "package_price"),
            parsed);
    }

    private static TransitionFlow Flow(TransitionFlowBody? body)
    {
        if (body is null)
        {
            return TransitionFlow.None;
        }

        var fields = body.RequiredFields ?? [];
        var parsed = new TransitionRequiredField[fields.Count];
        for (var i = 0; i < fields.Count; i++)
        {
            parsed[i] = CatalogEnums.ParseRequiredField(fields[i], string.Create(CultureInfo.InvariantCulture, $"transition_flow.required_fields[{i}]"));
        }

        return new TransitionFlow(
            body.Method is null ? TransitionMethod.Unspecified : CatalogEnums.ParseTransitionMethod(body.Method),
            parsed,
            body.RequiresManualApproval ?? false);
    }

    private static QuotaSpec Quota(F5QuotaSpec? spec)
    {
        if (spec is null)
        {
            return QuotaSpec.Empty;
        }

        try
        {
            return spec.ToDomain();
        }
        catch (DomainValidationException e) when (e.Field.StartsWith("spec.", StringComparison.Ordinal))
        {
            var field = "default_quota." + e.Field["spec.".Length..];
            throw new DomainValidationException(field, e.Message.Replace(e.Field, field, StringComparison.Ordinal));
        }
    }

    /// <summary>A plain decimal string: digits with at most one '.', optionally a leading '-' (refused later as negative where it matters).</summary>
    public static decimal ParseDecimal(string text, string field)
    {
        if (text.Length is 0 or > 40
            || !decimal.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw new DomainValidationException(field, $"{field} '{Names.Truncate(text)}' is not a decimal string such as \"0.01\".");
        }

        return value;
    }

    /// <summary>A whole number ≥ 0 as a decimal string ("100").</summary>
    public static long ParseWhole(string text, string field)
    {
        if (text.Length is 0 or > 19 || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw new DomainValidationException(field, $"{field} '{Names.Truncate(text)}' is not a whole number string such as \"100\" (0 or more).");
        }

        return value;
    }


    private static Dictionary<string, string> Sorted(IReadOnlyDictionary<string, string> texts)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var locale in Locales.Supported)
        {
            if (texts.TryGetValue(locale, out var text))
            {
                result[locale] = text;
            }
        }

        return result;
    }
}
