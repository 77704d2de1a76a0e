using System.Globalization;
using Tally.Domain.Invoicing;
using Tally.Domain.Tenants;

namespace Tally.Domain.Tests;

public sealed class InvoiceStateTests
{
    // Every (state, target) pair of the 3scale state endpoint; null = 422 "Cannot transition to {target}".
    private static readonly string[] Targets = ["open", "finalized", "pending", "unpaid", "paid", "failed", "cancelled", "cancel", "refunded", "wrong_state", ""];

    private static readonly Dictionary<InvoiceState, Dictionary<string, InvoiceEvent>> Allowed = new()
    {
        [InvoiceState.Open] = new() { ["finalized"] = InvoiceEvent.Finalize, ["pending"] = InvoiceEvent.Issue, ["cancelled"] = InvoiceEvent.Cancel, ["cancel"] = InvoiceEvent.Cancel },
        [InvoiceState.Finalized] = new() { ["pending"] = InvoiceEvent.Issue, ["cancelled"] = InvoiceEvent.Cancel, ["cancel"] = InvoiceEvent.Cancel },
        [InvoiceState.Pending] = new() { ["unpaid"] = InvoiceEvent.MarkAsUnpaid, ["paid"] = InvoiceEvent.Pay, ["cancelled"] = InvoiceEvent.Cancel, ["cancel"] = InvoiceEvent.Cancel },
        [InvoiceState.Unpaid] = new() { ["paid"] = InvoiceEvent.Pay, ["failed"] = InvoiceEvent.Fail, ["cancelled"] = InvoiceEvent.Cancel, ["cancel"] = InvoiceEvent.Cancel },
        [InvoiceState.Failed] = new() { ["paid"] = InvoiceEvent.Pay, ["cancelled"] = InvoiceEvent.Cancel, ["cancel"] = InvoiceEvent.Cancel },
        [InvoiceState.Paid] = [],
        [InvoiceState.Cancelled] = [],
        [InvoiceState.Refunded] = [],
    };

    public static TheoryData<InvoiceState, string> Pairs()
    {
        var data = new TheoryData<InvoiceState, string>();
        foreach (var state in InvoiceStates.All)
        {
            foreach (var target in Targets)
            {
                data.Add(state, target);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void The_state_endpoint_fires_exactly_the_transitions_3scale_allows(InvoiceState from, string target)
    {
        if (Allowed[from].TryGetValue(target, out var expectedEvent))
        {
            var change = InvoiceStates.ResolveApiTarget(from, target);
            Assert.Equal(expectedEvent, change.Event);
            Assert.Equal(target == "cancel" ? "cancelled" : target, change.To.ToWire());
            Assert.Equal(change.To, InvoiceStates.Fire(from, change.Event));
        }
        else
        {
            var error = Assert.Throws<DomainValidationException>(() => InvoiceStates.ResolveApiTarget(from, target));
            Assert.Equal("state", error.Field);
            Assert.Equal($"Cannot transition to {target}", error.Message);
        }
    }

    [Fact]
    public void A_missing_target_cannot_be_reached()
    {
        var error = Assert.Throws<DomainValidationException>(() => InvoiceStates.ResolveApiTarget(InvoiceState.Open, null));
        Assert.Equal("Cannot transition to ", error.Message);
    }

    [Theory]
    [InlineData(InvoiceState.Open, true, false)]
    [InlineData(InvoiceState.Finalized, true, false)]
    [InlineData(InvoiceState.Pending, false, true)]
    [InlineData(InvoiceState.Unpaid, false, true)]
    [InlineData(InvoiceState.Failed, false, true)]
    [InlineData(InvoiceState.Paid, false, false)]
    [InlineData(InvoiceState.Cancelled, false, false)]
    [InlineData(InvoiceState.Refunded, false, false)]
    public void Only_open_and_finalized_invoices_are_editable_and_only_pending_unpaid_and_failed_ones_chargeable(InvoiceState state, bool editable, bool chargeable)
    {
        Assert.Equal(editable, state.IsEditable());
        Assert.Equal(chargeable, state.IsChargeable());
    }

    [Theory]
    [InlineData(InvoiceState.Open, "STATUS_PENDING")]
    [InlineData(InvoiceState.Finalized, "STATUS_PENDING")]
    [InlineData(InvoiceState.Pending, "STATUS_ISSUED")]
    [InlineData(InvoiceState.Unpaid, "OVERDUE")]
    [InlineData(InvoiceState.Failed, "OVERDUE")]
    [InlineData(InvoiceState.Paid, "STATUS_PAID")]
    [InlineData(InvoiceState.Cancelled, "STATUS_CANCELLED")]
    [InlineData(InvoiceState.Refunded, "STATUS_REFUNDED")]
    public void Each_state_maps_to_the_F5_status_of_the_design(InvoiceState state, string status) =>
        Assert.Equal(status, state.ToF5Status());

    [Fact]
    public void Only_a_paid_invoice_can_be_refunded_and_nothing_leaves_cancelled_or_refunded()
    {
        foreach (var state in InvoiceStates.All)
        {
            Assert.Equal(state == InvoiceState.Paid ? InvoiceState.Refunded : null, InvoiceStates.After(state, InvoiceEvent.Refund));
        }

        Assert.True(InvoiceState.Cancelled.IsTerminal());
        Assert.True(InvoiceState.Refunded.IsTerminal());
        Assert.False(InvoiceState.Paid.IsTerminal());
        Assert.Equal(
            ["open", "finalized", "pending", "unpaid", "paid", "failed", "cancelled", "refunded"],
            InvoiceStates.All.Select(s => s.ToWire()));
    }

    [Fact]
    public void Firing_an_event_that_does_not_apply_throws()
    {
        var error = Assert.Throws<InvalidOperationException>(() => InvoiceStates.Fire(InvoiceState.Cancelled, InvoiceEvent.Pay));
        Assert.Contains("cancelled", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wire_names_parse_back_and_the_alias_cancel_is_not_a_state()
    {
        foreach (var state in InvoiceStates.All)
        {
            Assert.True(InvoiceStates.TryParse(state.ToWire(), out var parsed));
            Assert.Equal(state, parsed);
        }

        Assert.False(InvoiceStates.TryParse("cancel", out _));
        Assert.False(InvoiceStates.TryParse("Paid", out _));
    }
}

public sealed class FriendlyIdTests
{
    [Fact]
    public void Formats_as_year_month_and_eight_digits_and_parses_back()
    {
        var id = new FriendlyId(2026, 11, 42);
        Assert.Equal("2026-11-00000042", id.ToString());
        Assert.Equal(id, FriendlyId.Parse("2026-11-00000042"));
        Assert.Equal("2026-11-99999999", new FriendlyId(2026, 11, FriendlyId.MaxSequence).ToString());
    }

    [Fact]
    public void The_first_id_of_a_period_is_number_one_of_its_local_month_and_next_counts_up()
    {
        // 2026-11-30T16:00Z is already December in Tokyo.
        var december = BillingPeriod.Containing(DateTimeOffset.Parse("2026-11-30T16:00:00Z", CultureInfo.InvariantCulture), TimeZones.Require("Asia/Tokyo"));
        var first = FriendlyId.First(december);
        Assert.Equal("2026-12-00000001", first.ToString());
        Assert.Equal("2026-12-00000002", first.Next().ToString());
        var error = Assert.Throws<DomainValidationException>(() => new FriendlyId(2026, 12, FriendlyId.MaxSequence).Next());
        Assert.Equal("sequence", error.Field);
    }

    [Theory]
    [InlineData(0, 1, 1, "year")]
    [InlineData(10000, 1, 1, "year")]
    [InlineData(2026, 0, 1, "month")]
    [InlineData(2026, 13, 1, "month")]
    [InlineData(2026, 1, 0, "sequence")]
    [InlineData(2026, 1, 100_000_000, "sequence")]
    public void The_constructor_refuses_out_of_range_parts(int year, int month, int sequence, string field) =>
        Assert.Equal(field, Assert.Throws<DomainValidationException>(() => new FriendlyId(year, month, sequence)).Field);

    [Theory]
    [InlineData("2026-11-0000004")]
    [InlineData("2026-11-000000042")]
    [InlineData("2026-13-00000001")]
    [InlineData("2026-00-00000001")]
    [InlineData("2026-11-00000000")]
    [InlineData("2026-00000001")]
    [InlineData("2026-11-00000001\n")]
    [InlineData(" 2026-11-00000001")]
    [InlineData("2026-11-0000000١")]
    [InlineData("")]
    [InlineData(null)]
    public void Parse_refuses_anything_but_a_valid_monthly_id(string? text)
    {
        Assert.False(FriendlyId.TryParse(text, out _));
        Assert.Equal("friendly_id", Assert.Throws<DomainValidationException>(() => FriendlyId.Parse(text)).Field);
    }

    [Theory]
    [InlineData("2026-11-00000042", true)]
    [InlineData("2026-00000042", true)]
    [InlineData("2026-13-00000000", true)]
    [InlineData("2026-1-00000042", false)]
    [InlineData("26-11-00000042", false)]
    [InlineData("2026-11-0000042", false)]
    [InlineData("2026-11-00000042\n", false)]
    [InlineData("2026/11/00000042", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void The_update_endpoint_accepts_3scales_monthly_and_yearly_forms(string? text, bool accepted)
    {
        Assert.Equal(accepted, FriendlyId.IsAcceptedUpdateForm(text));
        if (accepted)
        {
            Assert.Equal(text, FriendlyId.RequireUpdateForm(text));
        }
        else
        {
            var error = Assert.Throws<DomainValidationException>(() => FriendlyId.RequireUpdateForm(text));
            Assert.Equal("format should be YYYY-MM-XXXXXXXX or YYYY-XXXXXXXX", error.Message);
        }
    }
}

public sealed class InvoiceTotalsTests
{
    private static readonly Currency Usd = Currency.Of("USD");
    private static readonly Currency Jpy = Currency.Of("JPY");

    [Fact]
    public void Vat_is_computed_once_on_the_subtotal_not_per_line()
    {
        // Three lines of 0.07: per line 0.0133 → 0.01 each = 0.03; on the subtotal 0.21 × 19 % = 0.0399 → 0.04.
        var totals = InvoiceTotals.Compute(Usd, [new Money(7, Usd), new Money(7, Usd), new Money(7, Usd)], 19m);
        Assert.Equal(new Money(21, Usd), totals.Subtotal);
        Assert.Equal(new Money(4, Usd), totals.Vat);
        Assert.Equal(new Money(25, Usd), totals.Total);
        Assert.Equal(19m, totals.VatRate);
    }

    [Fact]
    public void Vat_rounds_half_away_from_zero_and_the_total_is_the_exact_sum()
    {
        // 12.50 × 10 % = 1.25 exactly; 0.05 × 10 % = 0.005 → 0.01.
        var totals = InvoiceTotals.Compute(Usd, [new Money(1250, Usd)], 10m);
        Assert.Equal(new Money(125, Usd), totals.Vat);
        Assert.Equal(new Money(1375, Usd), totals.Total);
        Assert.Equal(new Money(1, Usd), InvoiceTotals.Compute(Usd, [new Money(5, Usd)], 10m).Vat);
    }

    [Fact]
    public void A_jpy_invoice_rounds_vat_to_whole_yen()
    {
        // 1,005 + 30 = 1,035 yen × 10 % = 103.5 → 104.
        var totals = InvoiceTotals.Compute(Jpy, [new Money(1005, Jpy), new Money(30, Jpy)], InvoiceTotals.ParseVatRate("10.0"));
        Assert.Equal(new Money(1035, Jpy), totals.Subtotal);
        Assert.Equal(new Money(104, Jpy), totals.Vat);
        Assert.Equal(new Money(1139, Jpy), totals.Total);
    }

    [Fact]
    public void Refund_lines_lower_the_subtotal_and_a_negative_subtotal_has_negative_vat()
    {
        // 31.00 − 30.00 + 0.30 = 1.30; 7 % = 0.091 → 0.09.
        var totals = InvoiceTotals.Compute(Usd, [new Money(3100, Usd), new Money(-3000, Usd), new Money(30, Usd)], 7m);
        Assert.Equal(new Money(130, Usd), totals.Subtotal);
        Assert.Equal(new Money(9, Usd), totals.Vat);
        Assert.Equal(new Money(139, Usd), totals.Total);

        // −0.25 × 10 % = −0.025 → −0.03 (away from zero).
        var credit = InvoiceTotals.Compute(Usd, [new Money(-25, Usd)], 10m);
        Assert.Equal(new Money(-3, Usd), credit.Vat);
        Assert.Equal(new Money(-28, Usd), credit.Total);
    }

    [Fact]
    public void No_lines_or_a_zero_rate_give_no_vat()
    {
        var empty = InvoiceTotals.Compute(Usd, Array.Empty<Money>(), 19m);
        Assert.Equal(Money.Zero(Usd), empty.Total);
        var untaxed = InvoiceTotals.Compute(Usd, [new Money(999, Usd)], InvoiceTotals.ParseVatRate("0"));
        Assert.Equal(Money.Zero(Usd), untaxed.Vat);
        Assert.Equal(new Money(999, Usd), untaxed.Total);
    }

    [Fact]
    public void Mixed_currencies_are_refused_naming_the_line()
    {
        var error = Assert.Throws<DomainValidationException>(() => InvoiceTotals.Compute(Usd, [new Money(100, Usd), new Money(100, Jpy)], 0m));
        Assert.Equal("line_items[1].amount", error.Field);
    }

    [Theory]
    [InlineData("19", 19)]
    [InlineData("10.0", 10)]
    [InlineData("7.25", 7.25)]
    [InlineData("0", 0)]
    [InlineData("100", 100)]
    [InlineData("0.0001", 0.0001)]
    public void Vat_rates_parse_from_plain_percent_strings(string text, decimal rate) =>
        Assert.Equal(rate, InvoiceTotals.ParseVatRate(text));

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("-1")]
    [InlineData("100.01")]
    [InlineData("19%")]
    [InlineData("1e1")]
    [InlineData(" 19")]
    [InlineData("19.")]
    [InlineData(".5")]
    [InlineData("0.00001")]
    [InlineData("1,5")]
    public void Other_vat_rate_strings_are_refused(string? text) =>
        Assert.Equal("vat_rate", Assert.Throws<DomainValidationException>(() => InvoiceTotals.ParseVatRate(text)).Field);

    [Theory]
    [InlineData(-0.5)]
    [InlineData(100.5)]
    [InlineData(0.00001)]
    public void Compute_refuses_a_rate_out_of_bounds_or_too_precise(decimal rate) =>
        Assert.Equal("vat_rate", Assert.Throws<DomainValidationException>(() => InvoiceTotals.Compute(Usd, [new Money(1, Usd)], rate)).Field);
}

public sealed class LineItemTests
{
    private static readonly Currency Usd = Currency.Of("USD");
    private static readonly BillingPeriod November = BillingPeriod.Of(2026, 11, TimeZones.Require("UTC"));

    private static LineItem Line(
        string name = "Fixed fee ('Team')",
        decimal quantity = 1m,
        Money? amount = null,
        DateTimeOffset? end = null,
        string sourceKey = "plan:sub-1:2026-11",
        LineItemKind kind = LineItemKind.PlanCost) =>
        new(kind, name, null, quantity, amount ?? new Money(3000, Usd), November.Start, end ?? November.End, sourceKey);

    [Fact]
    public void A_valid_line_keeps_its_values_with_an_empty_description_for_null()
    {
        var line = Line();
        Assert.Equal("", line.Description);
        Assert.Equal(new Money(3000, Usd), line.Amount);
        Assert.Equal("LineItem::PlanCost", line.Kind.ToWire());
        Assert.Equal("LineItem::VariableCost", LineItemKind.VariableCost.ToWire());
        Assert.True(LineItemKinds.TryParse("LineItem::VariableCost", out var kind));
        Assert.Equal(LineItemKind.VariableCost, kind);
        Assert.False(LineItemKinds.TryParse("VariableCost", out _));
    }

    [Fact]
    public void A_refund_line_may_have_a_negative_amount() =>
        Assert.Equal(-3000, Line(amount: new Money(-3000, Usd)).Amount.Minor);

    [Fact]
    public void Bad_values_are_refused_naming_the_field()
    {
        Assert.Equal("name", Assert.Throws<DomainValidationException>(() => Line(name: " ")).Field);
        Assert.Equal("name", Assert.Throws<DomainValidationException>(() => Line(name: new string('x', 513))).Field);
        Assert.Equal("quantity", Assert.Throws<DomainValidationException>(() => Line(quantity: -1m)).Field);
        Assert.Equal("amount", Assert.Throws<DomainValidationException>(() => Line(amount: default(Money))).Field);
        Assert.Equal("period_end", Assert.Throws<DomainValidationException>(() => Line(end: November.Start.AddTicks(-1))).Field);
        Assert.Equal("source_key", Assert.Throws<DomainValidationException>(() => Line(sourceKey: "")).Field);
        Assert.Equal("source_key", Assert.Throws<DomainValidationException>(() => Line(sourceKey: "plan: x")).Field);
        Assert.Equal("kind", Assert.Throws<DomainValidationException>(() => Line(kind: (LineItemKind)7)).Field);
    }

    [Fact]
    public void Source_keys_follow_the_documented_scheme_with_the_periods_local_month()
    {
        // 2026-11-30T16:00Z is December in Tokyo: keys name the local month.
        var tokyoDecember = BillingPeriod.Of(2026, 12, TimeZones.Require("Asia/Tokyo"));
        Assert.Equal("plan:sub-1:2026-12", SourceKeys.Plan("sub-1", tokyoDecember));
        Assert.Equal("setup:sub-1", SourceKeys.Setup("sub-1"));
        Assert.Equal("addon:as-7:2026-11", SourceKeys.AddOn("as-7", November));
        Assert.Equal("usage:requests:2026-11", SourceKeys.Usage("requests", November));
        Assert.Equal("late:requests:2026-11:20261202T0800001234567Z",
            SourceKeys.Late("requests", November, new DateTimeOffset(2026, 12, 2, 17, 0, 0, TimeSpan.FromHours(9)).AddTicks(1234567)));
        Assert.Equal("manual:42", SourceKeys.Manual("42"));
        Assert.Equal("source_key", Assert.Throws<DomainValidationException>(() => SourceKeys.Usage("a:b", November)).Field);
        Assert.Equal("source_key", Assert.Throws<DomainValidationException>(() => SourceKeys.Setup("")).Field);
    }

    [Fact]
    public void Totals_can_be_computed_from_line_items() =>
        Assert.Equal(new Money(3570, Usd), InvoiceTotals.Compute(Usd, [Line()], 19m).Total);
}

public sealed class ChargePolicyTests
{
    private static readonly DateTimeOffset Issued = new(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void By_default_an_invoice_is_due_two_days_after_issue_and_fails_after_three_attempts_three_days_apart()
    {
        // 3scale's lifecycle: issued June 3, attempts June 5 (unpaid), June 8 (unpaid), June 11 (failed).
        var policy = ChargePolicy.Default;
        var due = policy.DueAt(Issued);
        Assert.Equal(Issued.AddDays(2), due);
        Assert.False(policy.IsDue(InvoiceState.Pending, due, null, due.AddTicks(-1)));
        Assert.True(policy.IsDue(InvoiceState.Pending, due, null, due));

        var first = policy.AfterFailure(InvoiceState.Pending, 1, due);
        Assert.Equal([InvoiceEvent.MarkAsUnpaid], first.Events);
        Assert.Equal(InvoiceState.Unpaid, first.State);
        Assert.Equal(due.AddDays(3), first.NextAttemptAt);
        Assert.False(policy.IsDue(InvoiceState.Unpaid, due, due, due.AddDays(3).AddTicks(-1)));
        Assert.True(policy.IsDue(InvoiceState.Unpaid, due, due, due.AddDays(3)));

        var second = policy.AfterFailure(InvoiceState.Unpaid, 2, due.AddDays(3));
        Assert.Empty(second.Events);
        Assert.Equal(InvoiceState.Unpaid, second.State);
        Assert.Equal(due.AddDays(6), second.NextAttemptAt);

        var third = policy.AfterFailure(InvoiceState.Unpaid, 3, due.AddDays(6));
        Assert.Equal([InvoiceEvent.Fail], third.Events);
        Assert.Equal(InvoiceState.Failed, third.State);
        Assert.Null(third.NextAttemptAt);
        Assert.False(policy.IsDue(InvoiceState.Failed, due, due.AddDays(6), due.AddDays(30)));
    }

    [Fact]
    public void With_a_single_attempt_a_pending_invoice_fails_through_unpaid_and_each_event_applies()
    {
        var outcome = new ChargePolicy(1, TimeSpan.FromHours(1), TimeSpan.Zero).AfterFailure(InvoiceState.Pending, 1, Issued);
        Assert.Equal([InvoiceEvent.MarkAsUnpaid, InvoiceEvent.Fail], outcome.Events);
        Assert.Equal(outcome.State, outcome.Events.Aggregate(InvoiceState.Pending, InvoiceStates.Fire));
    }

    [Fact]
    public void A_successful_charge_pays_a_chargeable_invoice_only()
    {
        Assert.Equal(InvoiceState.Paid, ChargePolicy.AfterSuccess(InvoiceState.Failed).State);
        Assert.Throws<InvalidOperationException>(() => ChargePolicy.AfterSuccess(InvoiceState.Open));
        Assert.Throws<InvalidOperationException>(() => ChargePolicy.Default.AfterFailure(InvoiceState.Failed, 1, Issued));
        Assert.Throws<ArgumentOutOfRangeException>(() => ChargePolicy.Default.AfterFailure(InvoiceState.Unpaid, 4, Issued));
    }

    [Fact]
    public void Bad_policies_are_refused()
    {
        Assert.Equal("max_attempts", Assert.Throws<DomainValidationException>(() => new ChargePolicy(0, TimeSpan.FromDays(1), TimeSpan.Zero)).Field);
        Assert.Equal("retry_interval", Assert.Throws<DomainValidationException>(() => new ChargePolicy(3, TimeSpan.Zero, TimeSpan.Zero)).Field);
        Assert.Equal("due_after", Assert.Throws<DomainValidationException>(() => new ChargePolicy(3, TimeSpan.FromDays(1), TimeSpan.FromDays(-1))).Field);
    }
}

public sealed class InvoiceCoverageTests
{
    private static readonly TimeZoneInfo Tokyo = TimeZones.Require("Asia/Tokyo");

    [Fact]
    public void A_postpaid_invoice_bills_the_past_month_and_a_prepaid_one_the_coming_months_fees_with_the_past_months_usage()
    {
        // 2026-11-30T16:00Z is Dec 1, 01:00 in Tokyo: the run is in December there.
        var runAt = new DateTimeOffset(2026, 11, 30, 16, 0, 0, TimeSpan.Zero);
        var november = BillingPeriod.Of(2026, 11, Tokyo);
        var december = BillingPeriod.Of(2026, 12, Tokyo);
        Assert.Equal(new InvoiceCoverage(november, november, november), InvoiceCoverage.At(BillingMode.Postpaid, runAt, Tokyo));
        Assert.Equal(new InvoiceCoverage(december, december, november), InvoiceCoverage.At(BillingMode.Prepaid, runAt, Tokyo));
        Assert.Equal("billing_mode", Assert.Throws<DomainValidationException>(() => InvoiceCoverage.At("monthly", runAt, Tokyo)).Field);
    }
}
