using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Tally.Domain;
using Tally.Domain.Access;
using Tally.Domain.Catalog;
using Tally.Domain.Invoicing;
using Tally.Domain.Rating;
using Tally.Domain.Tenants;
using Tally.Server.Auth;
using Tally.Server.Errors;
using Tally.Server.Features.Catalog;
using Tally.Server.Features.Invoices;
using Tally.Server.Features.Quotas;
using Tally.Server.Features.Subscriptions;
using Tally.Server.Hosting;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Features.Usage;

/// <summary>
/// F5's usage APIs (ves.io.schema.usage and billing usage_summary) for tenant tokens with the <c>usage</c> permission.
/// Namespace <c>system</c> means the whole tenant; another namespace narrows every figure to it. Every query reads the
/// roll-ups (per-metric totals: whole UTC days from the daily ones, edge hours from the hourly ones; per-object figures:
/// the hourly ones): an hour belongs to the period or range that contains its start.
/// </summary>
public static class F5UsageEndpoints
{
    /// <summary>Longest range <c>usage_details</c> and <c>usage_summary</c> accept.</summary>
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(366);

    /// <summary>Months <c>monthly_usage</c> reports: the current one and the 12 before it.</summary>
    public const int Months = 13;

    public static IEndpointRouteBuilder MapF5Usage(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/web/namespaces/{namespace}").WithTags("F5 usage");
        group.MapPost("/current_usage", CurrentUsageAsync).WithF5Operation("ves.io.schema.usage.CustomCalculatedUsageAPI.ListCurrentUsage")
            .AcceptsF5Body<F5UsageRangeRequest>(required: true)
            .WithSummary("Rated usage of the current billing period (or of from/to inside it), with the plan fee.");
        group.MapPost("/monthly_usage", MonthlyUsageAsync).WithF5Operation("ves.io.schema.usage.CustomCalculatedUsageAPI.ListMonthlyUsage")
            .AcceptsF5Body<F5MonthlyUsageRequest>(required: true)
            .WithSummary("Total of each of the last 12 months and the current one, oldest first: the invoiced subtotal of a closed month with issued invoices, else its usage rated now.");
        group.MapPost("/usage_details", UsageDetailsAsync).WithF5Operation("ves.io.schema.usage.CustomAggregatedUsageAPI.ListUsageDetails")
            .AcceptsF5Body<F5UsageRangeRequest>(required: true)
            .WithSummary("Usage per namespace, metric and object over a range, each with a query for its hourly breakdown.");
        group.MapPost("/hourly_usage_details", HourlyUsageDetailsAsync).WithF5Operation("ves.io.schema.usage.CustomAggregatedUsageAPI.ListHourlyUsageDetails")
            .AcceptsF5Body<F5HourlyUsageRequest>(required: true)
            .WithSummary("The hourly breakdown named by a usage_details hourly_breakdown_query.");
        routes.MapPost("/api/data/namespaces/system/billing/usage_summary", UsageSummaryAsync).WithTags("F5 usage")
            .WithF5Operation("ves.io.schema.billing.CustomPublicAPI.BillingUsageSummary")
            .AcceptsF5Body<F5UsageSummaryRequest>(required: true)
            .WithSummary("Usage per service and SKU between start_time and end_time (default: the last 6 hours).");
        return routes;
    }

    public static async Task<Results<Ok<F5CurrentUsageResponse>, ProblemHttpResult>> CurrentUsageAsync(
        [FromRoute(Name = "namespace")] string ns, HttpRequest request, Caller caller,
        TallyDatabase database, CatalogService catalog, UsageQueries queries, TimeProvider clock, CancellationToken ct)
    {
        var body = await F5Body.ReadAsync<F5UsageRangeRequest>(request, ct) ?? new F5UsageRangeRequest(null, null, null);
        var (tenant, denied) = await AuthorizeAsync(database, caller.Grant, ns, body.Namespace, ct);
        if (denied is not null)
        {
            return denied;
        }

        var period = BillingPeriod.Containing(clock.GetUtcNow(), TimeZones.Require(tenant!.TimeZone));
        var from = ParseInstant(body.From, "from") ?? period.Start;
        var to = ParseInstant(body.To, "to") ?? period.End;
        if (from < period.Start || from >= period.End)
        {
            throw new RequestValidationException("from", $"from must lie in the current billing period [{F5UsageFormat.Instant(period.Start)}, {F5UsageFormat.Instant(period.End)}).");
        }

        if (to <= from || to > period.End)
        {
            throw new RequestValidationException("to", $"to must be after from and not after the end of the current billing period ({F5UsageFormat.Instant(period.End)}).");
        }

        var rating = await RatingContextAsync(tenant, catalog, ct);
        var usage = await queries.ByMetricAsync(tenant.TenantId, Narrow(ns), UsageQueries.CeilingHour(from), UsageQueries.CeilingHour(to), ct);
        var locale = CatalogLocales.Negotiate(request);
        var lines = UsageStatement.Rate(
            rating.Plan, rating.Currency, rating.Metrics, Metered(usage), includeFixed: ns == NamespaceRow.System && rating.Plan is not null, locale);
        var items = lines.Select(l => new F5CalculatedUsageItem(
            l.UsageType,
            l.Metric is null ? [] : [l.Metric],
            (double)l.Quantity,
            l.UnitName,
            F5UsageFormat.Whole(l.QuantityBillable),
            l.UnitNameBillable,
            F5UsageFormat.Whole(l.Amount.ToHundredths()),
            l.Amount.Currency.Code,
            F5UsageFormat.Instant(from),
            F5UsageFormat.Instant(to),
            l.Fixed,
            l.HasData ? "STATUS_ACTIVE" : "STATUS_NO_DATA")).ToList();

        // Add-on fees (system only, like the plan fee): each subscription overlapping [from, to), prorated to its part of the period.
        IReadOnlyList<AddOnFee> fees = [];
        if (ns == NamespaceRow.System)
        {
            await using var db = database.CreateContext();
            var subscriptions = await AddOnSubscriptions.OverlappingAsync(db, tenant.TenantId, from, to, ct);
            fees = AddOnFees.In(subscriptions, period, await catalog.GetSnapshotAsync(ct), rating.Currency);
        }

        items.InsertRange(lines.Count(l => l.Fixed), fees.Select(f => new F5CalculatedUsageItem(
            f.AddOn.DisplayNameFor(locale),
            [],
            (double)Math.Round(f.Fraction, 6, MidpointRounding.AwayFromZero),
            "month",
            "1",
            "month",
            F5UsageFormat.Whole(f.Amount.ToHundredths()),
            f.Amount.Currency.Code,
            F5UsageFormat.Instant(f.From),
            F5UsageFormat.Instant(f.To),
            true,
            "STATUS_ACTIVE")));
        var total = Money.Sum(lines.Select(l => l.Amount).Concat(fees.Select(f => f.Amount)), rating.Currency);
        return TypedResults.Ok(new F5CurrentUsageResponse(items, F5UsageFormat.Whole(total.ToHundredths()), "0", []));
    }

    public static async Task<Results<Ok<F5MonthlyUsageResponse>, ProblemHttpResult>> MonthlyUsageAsync(
        [FromRoute(Name = "namespace")] string ns, HttpRequest request, Caller caller,
        TallyDatabase database, CatalogService catalog, UsageQueries queries, TimeProvider clock, CancellationToken ct)
    {
        var body = await F5Body.ReadAsync<F5MonthlyUsageRequest>(request, ct) ?? new F5MonthlyUsageRequest(null);
        var (tenant, denied) = await AuthorizeAsync(database, caller.Grant, ns, body.Namespace, ct);
        if (denied is not null)
        {
            return denied;
        }

        var rating = await RatingContextAsync(tenant!, catalog, ct);
        var now = clock.GetUtcNow();
        var periods = new BillingPeriod[Months];
        periods[^1] = BillingPeriod.Containing(now, TimeZones.Require(tenant!.TimeZone));
        for (var i = Months - 2; i >= 0; i--)
        {
            periods[i] = periods[i + 1].Previous();
        }

        // All 13 months in one statement (whole UTC days from the daily roll-ups, the edge hours from the hourly ones).
        var monthly = await queries.ByMetricRangesAsync(
            tenant.TenantId, Narrow(ns), [.. periods.Select(p => new HourRange(UsageQueries.CeilingHour(p.Start), UsageQueries.CeilingHour(p.End)))], ct);
        // Plan history: each month is rated with the last plan subscription of the month that had begun by now.
        var snapshot = await catalog.GetSnapshotAsync(ct);
        List<PlanSubscriptionRow> plans;
        List<AddOnSubscriptionRow> addOns;
        Dictionary<string, Money> invoiced;
        await using (var db = database.CreateContext())
        {
            var first = periods[0].Start;
            plans = await db.PlanSubscriptions.AsNoTracking()
                .Where(p => p.TenantId == tenant.TenantId && (p.EndsAt == null || p.EndsAt > first)).ToListAsync(ct);
            addOns = ns == NamespaceRow.System ? await AddOnSubscriptions.OverlappingAsync(db, tenant.TenantId, first, periods[^1].End, ct) : [];
            invoiced = ns == NamespaceRow.System ? await InvoicedAsync(db, tenant.TenantId, [.. periods.Where(p => p.End <= now)], ct) : [];
        }

        var items = new List<F5MonthlyUsageItem>(Months);
        for (var i = 0; i < Months; i++)
        {
            var period = periods[i];
            if (invoiced.TryGetValue(SourceKeys.Month(period), out var billed))
            {
                items.Add(new F5MonthlyUsageItem(
                    F5UsageFormat.Whole(billed.ToHundredths()), billed.Currency.Code, F5UsageFormat.Instant(period.Start), F5UsageFormat.Instant(period.End)));
                continue;
            }

            var usage = monthly[i];
            var subscription = plans
                .Where(p => p.StartsAt < period.End && p.StartsAt <= now && (p.EndsAt is null || p.EndsAt > period.Start))
                .MaxBy(p => p.StartsAt);
            var plan = subscription is null ? null : snapshot.Plans.GetValueOrDefault(subscription.Plan)?.Definition;
            var currency = plan?.Currency ?? rating.Currency;
            var lines = UsageStatement.Rate(
                plan, currency, rating.Metrics, Metered(usage), includeFixed: ns == NamespaceRow.System && plan is not null, "en");
            var fees = AddOnFees.In(addOns, period, snapshot, currency);
            var total = Money.Sum(lines.Select(l => l.Amount).Concat(fees.Select(f => f.Amount)), currency);
            items.Add(new F5MonthlyUsageItem(
                F5UsageFormat.Whole(total.ToHundredths()), total.Currency.Code, F5UsageFormat.Instant(period.Start), F5UsageFormat.Instant(period.End)));
        }

        return TypedResults.Ok(new F5MonthlyUsageResponse(items));
    }

    public static async Task<Results<Ok<F5UsageDetailsResponse>, ProblemHttpResult>> UsageDetailsAsync(
        [FromRoute(Name = "namespace")] string ns, HttpRequest request, Caller caller,
        TallyDatabase database, CatalogService catalog, UsageQueries queries, TimeProvider clock, CancellationToken ct)
    {
        var body = await F5Body.ReadAsync<F5UsageRangeRequest>(request, ct) ?? new F5UsageRangeRequest(null, null, null);
        var (tenant, denied) = await AuthorizeAsync(database, caller.Grant, ns, body.Namespace, ct);
        if (denied is not null)
        {
            return denied;
        }

        var period = BillingPeriod.Containing(clock.GetUtcNow(), TimeZones.Require(tenant!.TimeZone));
        var (from, to) = Range(ParseInstant(body.From, "from") ?? period.Start, ParseInstant(body.To, "to") ?? period.End, "to");
        var fromHour = UsageQueries.CeilingHour(from);
        var toHour = UsageQueries.CeilingHour(to);
        var metrics = await MetricsByNameAsync(catalog, ct);
        var locale = CatalogLocales.Negotiate(request);
        var totals = await queries.ByObjectAsync(tenant.TenantId, Narrow(ns), fromHour, toHour, ct);
        var items = totals.Select(t =>
        {
            var metric = metrics.GetValueOrDefault(t.Metric);
            var quantity = new MeteredUsage(t.Metric, t.SumMicros, t.MaxMicros, t.EventCount).Quantity(metric?.Aggregation ?? Aggregation.Sum);
            var query = new HourlyQuery(tenant.TenantId, t.Namespace, t.Metric, t.ObjectName, fromHour, toHour);
            return new F5UsageItem(
                Label(metric, t.Metric, locale), t.Metric, t.Namespace, t.ObjectName, (double)quantity, metric?.UnitName ?? "",
                F5UsageFormat.Instant(from), F5UsageFormat.Instant(to), query.Encode());
        }).ToList();
        return TypedResults.Ok(new F5UsageDetailsResponse(items));
    }

    public static async Task<Results<Ok<F5HourlyUsageResponse>, ProblemHttpResult>> HourlyUsageDetailsAsync(
        [FromRoute(Name = "namespace")] string ns, HttpRequest request, Caller caller,
        TallyDatabase database, CatalogService catalog, UsageQueries queries, CancellationToken ct)
    {
        var body = await F5Body.ReadAsync<F5HourlyUsageRequest>(request, ct) ?? throw F5Body.Required();
        var (tenant, denied) = await AuthorizeAsync(database, caller.Grant, ns, body.Namespace, ct);
        if (denied is not null)
        {
            return denied;
        }

        // Another tenant's query is refused exactly like a forged one: the answer says nothing about it.
        var query = HourlyQuery.Decode(body.Query);
        if (query is null || query.Tenant != tenant!.TenantId || (ns != NamespaceRow.System && ns != query.Namespace) || !caller.Grant.CanAccessNamespace(query.Namespace))
        {
            throw new RequestValidationException("query", "query must be an hourly_breakdown_query returned by usage_details for this tenant and namespace, passed as is.");
        }

        var metric = (await MetricsByNameAsync(catalog, ct)).GetValueOrDefault(query.Metric);
        var hours = await queries.HoursAsync(query.Tenant, query.Namespace, query.Metric, query.ObjectName, query.FromHour, query.ToHour, ct);
        var items = hours.Select(h => new F5HourlyItem(
            F5UsageFormat.Instant(DateTimeOffset.FromUnixTimeSeconds(h.HourStart)),
            F5UsageFormat.Instant(DateTimeOffset.FromUnixTimeSeconds(h.HourStart + 3600)),
            (double)new MeteredUsage(query.Metric, h.SumMicros, h.MaxMicros, h.EventCount).Quantity(metric?.Aggregation ?? Aggregation.Sum),
            metric?.UnitName ?? "",
            "",
            "")).ToList();
        return TypedResults.Ok(new F5HourlyUsageResponse(items));
    }

    public static async Task<Results<Ok<F5UsageSummaryResponse>, ProblemHttpResult>> UsageSummaryAsync(
        HttpRequest request, Caller caller, TallyDatabase database, CatalogService catalog, UsageQueries queries, TimeProvider clock, CancellationToken ct)
    {
        var body = await F5Body.ReadAsync<F5UsageSummaryRequest>(request, ct) ?? new F5UsageSummaryRequest(null, null);
        var (tenant, denied) = await AuthorizeAsync(database, caller.Grant, NamespaceRow.System, null, ct);
        if (denied is not null)
        {
            return denied;
        }

        // The spec's defaults: a missing bound is the other one ± 6 hours; both missing = the last 6 hours.
        var start = ParseQueryTime(body.StartTime, "start_time");
        var end = ParseQueryTime(body.EndTime, "end_time");
        var window = TimeSpan.FromHours(6);
        var (first, last) = (start, end) switch
        {
            (null, null) => (clock.GetUtcNow() - window, clock.GetUtcNow()),
            (null, { } e) => (e - window, e),
            ({ } s, null) => (s, s + window),
            ({ } s, { } e) => (s, e),
        };
        var (from, to) = Range(first, last, "end_time");
        var metrics = await MetricsByNameAsync(catalog, ct);
        var locale = CatalogLocales.Negotiate(request);
        var usage = await queries.ByMetricAsync(tenant!.TenantId, null, UsageQueries.CeilingHour(from), UsageQueries.CeilingHour(to), ct);
        var items = usage
            .Select(u => (Usage: u, Metric: metrics.GetValueOrDefault(u.Metric)))
            .Where(x => x.Metric is { Sku.Length: > 0 })
            .OrderBy(x => x.Metric!.Service, StringComparer.Ordinal).ThenBy(x => x.Metric!.Sku, StringComparer.Ordinal)
            .Select(x =>
            {
                var quantity = new MeteredUsage(x.Usage.Metric, x.Usage.SumMicros, x.Usage.MaxMicros, x.Usage.EventCount).Quantity(x.Metric!.Aggregation);
                return new F5UsageSummaryItem(
                    Label(x.Metric, x.Usage.Metric, locale),
                    x.Metric.Service,
                    new F5UsageMetricData(x.Metric.UnitName, new F5MetricValue(to.ToUnixTimeSeconds(), F5UsageFormat.Quantity(quantity))),
                    new F5BillingMetricData(x.Metric.BillableUnitName, F5UsageFormat.Quantity(quantity / x.Metric.Divisor)));
            }).ToList();
        return TypedResults.Ok(new F5UsageSummaryResponse(items));
    }

    /// <summary>
    /// Tenant tokens only; the namespace must exist in the token's tenant and be on its allow-list; the <c>usage</c>
    /// permission is needed (reading, so viewers may). A body <c>namespace</c> must match the path.
    /// </summary>
    private static async Task<(TenantRow? Tenant, ProblemHttpResult? Problem)> AuthorizeAsync(
        TallyDatabase database, Grant grant, string ns, string? bodyNamespace, CancellationToken ct)
    {
        if (grant.TenantId is not { } tenantId)
        {
            return (null, TenantScope.TenantTokenRequired());
        }

        if (!string.IsNullOrEmpty(bodyNamespace) && bodyNamespace != ns)
        {
            throw new RequestValidationException("namespace", $"namespace '{bodyNamespace}' in the body does not match '{ns}' in the path.");
        }

        await using var db = database.CreateContext();
        if ((await TenantScope.RequireNamespaceAsync(db, grant, tenantId, ns, ct) ?? TenantScope.RequirePermission(grant, Permissions.Usage)) is { } denied)
        {
            return (null, denied);
        }

        var tenant = await db.Tenants.AsNoTracking().SingleAsync(t => t.TenantId == tenantId, ct);
        return (tenant, null);
    }

    /// <summary>
    /// The invoiced amount of each closed month in <paramref name="closed"/> that has issued invoices (pending, unpaid,
    /// paid, failed, refunded) of the tenant for it: the sum of their subtotals (before VAT, like the re-rated months),
    /// keyed by <c>YYYY-MM</c>. A month whose invoices are in more than one currency is left out (re-rated instead).
    /// </summary>
    private static async Task<Dictionary<string, Money>> InvoicedAsync(TallyDbContext db, string tenantId, IReadOnlyList<BillingPeriod> closed, CancellationToken ct)
    {
        if (closed.Count == 0)
        {
            return [];
        }

        var months = closed.Select(SourceKeys.Month).ToList();
        var states = F5Invoices.Billed.Select(s => s.ToWire()).ToList();
        var rows = await db.Invoices.AsNoTracking()
            .Where(i => i.TenantId == tenantId && months.Contains(i.Period) && states.Contains(i.State))
            .Select(i => new { i.Period, i.Currency, i.SubtotalMinor })
            .ToListAsync(ct);
        return rows.GroupBy(r => r.Period)
            .Where(g => g.Select(r => r.Currency).Distinct().Count() == 1)
            .ToDictionary(g => g.Key, g =>
            {
                var currency = Currency.Of(g.First().Currency);
                return Money.Sum(g.Select(r => new Money(r.SubtotalMinor, currency)), currency);
            });
    }

    private static string? Narrow(string ns) => ns == NamespaceRow.System ? null : ns;

    /// <summary>What rating a tenant's usage needs. <see cref="Currency"/>: the plan's, else the tenant's.</summary>
    private sealed record RatingContext(PlanDefinition? Plan, Currency Currency, IReadOnlyDictionary<string, MetricDefinition> Metrics);

    private static async Task<RatingContext> RatingContextAsync(TenantRow tenant, CatalogService catalog, CancellationToken ct)
    {
        var plan = await catalog.GetTenantPlanAsync(tenant.TenantId, ct);
        return new RatingContext(
            plan?.Plan, plan?.Plan.Currency ?? Currency.Of(tenant.Currency), await MetricsByNameAsync(catalog, ct));
    }

    private static async Task<IReadOnlyDictionary<string, MetricDefinition>> MetricsByNameAsync(CatalogService catalog, CancellationToken ct) =>
        (await catalog.ListMetricsAsync(ct)).ToDictionary(m => m.Name, StringComparer.Ordinal);

    private static List<MeteredUsage> Metered(IEnumerable<UsageTotal> totals) =>
        [.. totals.Select(t => new MeteredUsage(t.Metric, t.SumMicros, t.MaxMicros, t.EventCount))];

    private static string Label(MetricDefinition? metric, string name, string locale) =>
        metric?.DisplayNameFor(locale) ?? name;

    private static (DateTimeOffset From, DateTimeOffset To) Range(DateTimeOffset from, DateTimeOffset to, string toField)
    {
        if (to <= from)
        {
            throw new RequestValidationException(toField, $"{toField} must be after the start of the range.");
        }

        if (to - from > MaxRange)
        {
            throw new RequestValidationException(toField, $"The range may span at most {MaxRange.TotalDays} days.");
        }

        return (from, to);
    }

    /// <summary>RFC 3339 with an offset or Z; null when absent or empty.</summary>
    private static DateTimeOffset? ParseInstant(string? text, string field)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return text.Length >= 20 && (text.EndsWith('Z') || text.EndsWith('z') || text[^6] is '+' or '-')
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var instant)
            ? instant
            : throw new RequestValidationException(field, $"{field} '{text}' is not an RFC 3339 date-time such as 2026-11-01T00:00:00Z.");
    }

    /// <summary>F5's <c>query_time</c> rule: unix seconds ("1730419200", fractions allowed) or RFC 3339.</summary>
    private static DateTimeOffset? ParseQueryTime(string? text, string field)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds))
        {
            return seconds <= 253402300799m
                ? DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond))
                : throw new RequestValidationException(field, $"{field} '{text}' is beyond year 9999.");
        }

        try
        {
            return ParseInstant(text, field);
        }
        catch (RequestValidationException)
        {
            throw new RequestValidationException(field, $"{field} '{text}' is neither unix seconds nor an RFC 3339 date-time.");
        }
    }

    /// <summary>
    /// The opaque <c>hourly_breakdown_query</c>: base64url of a small JSON naming the tenant, the row and the hour range.
    /// It carries no secret: <c>hourly_usage_details</c> answers only when its tenant is the caller's.
    /// </summary>
    private sealed record HourlyQuery(string Tenant, string Namespace, string Metric, string ObjectName, long FromHour, long ToHour)
    {
        private const int Version = 1;

        public string Encode()
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(new Wire(Version, Tenant, Namespace, Metric, ObjectName, FromHour, ToHour), WireOptions);
            return Convert.ToBase64String(json).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        }

        public static HourlyQuery? Decode(string? text)
        {
            if (string.IsNullOrEmpty(text) || text.Length > 4096)
            {
                return null;
            }

            try
            {
                var base64 = text.Replace('-', '+').Replace('_', '/');
                base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
                var wire = JsonSerializer.Deserialize<Wire>(Convert.FromBase64String(base64), WireOptions);
                return wire is { V: Version, T.Length: > 0, N.Length: > 0, M.Length: > 0, O: not null } && wire.F < wire.U && wire.U - wire.F <= (long)MaxRange.TotalSeconds + 7200
                    ? new HourlyQuery(wire.T, wire.N, wire.M, wire.O, wire.F, wire.U)
                    : null;
            }
            catch (FormatException)
            {
                return null;
            }
            catch (JsonException)
            {
                return null;
            }
        }

        private static readonly JsonSerializerOptions WireOptions = new() { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow };

        private sealed record Wire(int V, string T, string N, string M, string O, long F, long U);
    }
}
