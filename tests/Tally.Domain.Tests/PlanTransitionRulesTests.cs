using Tally.Domain.Catalog;
using Tally.Domain.PlanTransitions;

namespace Tally.Domain.Tests;

public sealed class PlanTransitionRulesTests
{
    private static PlanDefinition Plan(string name, long flatMinor, string currency = "USD") =>
        new(name, name, Currency.Of(currency), PlanType.Team, flatPrice: new Money(flatMinor, Currency.Of(currency)));

    private static TransitionFlow Flow(params TransitionRequiredField[] fields) => new(TransitionMethod.Wizard, fields, false);

    private static readonly Dictionary<string, string?> FullAddress = new()
    {
        ["address1"] = "1 Main St", ["city"] = "Springfield", ["zip_code"] = "12345", ["country"] = "US",
    };

    [Theory]
    [InlineData(TransitionMethod.Wizard, false, PlanTransitionState.Creating)]
    [InlineData(TransitionMethod.Unspecified, false, PlanTransitionState.Creating)]
    [InlineData(TransitionMethod.Wizard, true, PlanTransitionState.WaitingForApproval)]
    [InlineData(TransitionMethod.Support, false, PlanTransitionState.WaitingForApproval)]
    [InlineData(TransitionMethod.Recreate, false, PlanTransitionState.WaitingForApproval)]
    public void A_request_waits_for_approval_when_the_flow_asks_for_it_or_goes_through_support(TransitionMethod method, bool manual, PlanTransitionState expected)
    {
        var flow = new TransitionFlow(method, [], manual);

        Assert.Equal(expected, PlanTransitionRules.Initial(flow));
        Assert.Equal(expected == PlanTransitionState.WaitingForApproval, PlanTransitionRules.RequiresManualApproval(flow));
    }

    [Fact]
    public void Only_a_waiting_request_can_be_approved_or_rejected_and_only_a_running_one_completes()
    {
        Assert.Equal(PlanTransitionState.Creating, PlanTransitionRules.Approve(PlanTransitionState.WaitingForApproval));
        Assert.Equal(PlanTransitionState.Failed, PlanTransitionRules.Reject(PlanTransitionState.WaitingForApproval));
        Assert.Equal(PlanTransitionState.Finished, PlanTransitionRules.Complete(PlanTransitionState.Creating, succeeded: true));
        Assert.Equal(PlanTransitionState.Failed, PlanTransitionRules.Complete(PlanTransitionState.Creating, succeeded: false));
        foreach (var state in new[] { PlanTransitionState.Creating, PlanTransitionState.Finished, PlanTransitionState.Failed })
        {
            Assert.Throws<InvalidOperationException>(() => PlanTransitionRules.Approve(state));
            Assert.Throws<InvalidOperationException>(() => PlanTransitionRules.Reject(state));
        }

        Assert.Throws<InvalidOperationException>(() => PlanTransitionRules.Complete(PlanTransitionState.WaitingForApproval, true));
        Assert.Throws<InvalidOperationException>(() => PlanTransitionRules.Complete(PlanTransitionState.Finished, true));
    }

    [Fact]
    public void States_round_trip_through_their_F5_names_and_unknown_names_are_refused()
    {
        foreach (var state in Enum.GetValues<PlanTransitionState>().Where(s => s != PlanTransitionState.Unspecified))
        {
            Assert.Equal(state, PlanTransitionRules.ParseState(state.ToWire(), "state"));
        }

        Assert.Equal("STATE_WAITING_FOR_APPROVAL", PlanTransitionState.WaitingForApproval.ToWire());
        Assert.Equal("state", Assert.Throws<DomainValidationException>(() => PlanTransitionRules.ParseState("STATE_UNSPECIFIED", "state")).Field);
        Assert.Throws<DomainValidationException>(() => PlanTransitionRules.ParseState("state_finished", "state"));
        Assert.Throws<DomainValidationException>(() => PlanTransitionRules.ParseState(null, "state"));
    }

    [Theory]
    [InlineData(TransitionRequiredField.PaymentToken, "payload.payment_provider_token")]
    [InlineData(TransitionRequiredField.Domain, "payload.domain")]
    [InlineData(TransitionRequiredField.Contacts, "payload.billing_address.address1")]
    public void A_missing_required_field_is_named(TransitionRequiredField field, string expected)
    {
        var error = Assert.Throws<DomainValidationException>(() =>
            PlanTransitionRules.RequireFields(Flow(field), new TransitionInput(false, null, null)));

        Assert.Equal(expected, error.Field);
    }

    [Fact]
    public void Every_required_field_present_passes_and_an_incomplete_address_names_the_missing_line()
    {
        var flow = Flow(TransitionRequiredField.PaymentToken, TransitionRequiredField.Domain, TransitionRequiredField.Contacts);
        PlanTransitionRules.RequireFields(flow, new TransitionInput(true, "shop.example.com", FullAddress));

        var partial = new Dictionary<string, string?>(FullAddress) { ["zip_code"] = " " };
        var error = Assert.Throws<DomainValidationException>(() => PlanTransitionRules.RequireFields(flow, new TransitionInput(true, "shop.example.com", partial)));
        Assert.Equal("payload.billing_address.zip_code", error.Field);
    }

    [Theory]
    [InlineData("example.com", true)]
    [InlineData("domain1", true)]
    [InlineData("a-b.c-d.example", true)]
    [InlineData("-bad.example.com", false)]
    [InlineData("bad-.example.com", false)]
    [InlineData("exa mple.com", false)]
    [InlineData("example..com", false)]
    [InlineData("", false)]
    [InlineData("https://example.com", false)]
    public void A_domain_must_be_a_hostname_even_when_not_required(string domain, bool valid)
    {
        Assert.Equal(valid, PlanTransitionRules.IsHostname(domain));
        var check = () => PlanTransitionRules.RequireFields(Flow(), new TransitionInput(false, domain, null));
        if (valid)
        {
            check();
        }
        else
        {
            Assert.Equal("payload.domain", Assert.Throws<DomainValidationException>(check).Field);
        }
    }

    [Fact]
    public void A_hostname_label_longer_than_63_characters_or_a_name_longer_than_253_is_refused()
    {
        Assert.False(PlanTransitionRules.IsHostname(new string('a', 64) + ".com"));
        Assert.True(PlanTransitionRules.IsHostname(new string('a', 63) + ".com"));
        var labelsOf50 = string.Join('.', Enumerable.Repeat(new string('a', 50), 5)); // 254 characters
        Assert.False(PlanTransitionRules.IsHostname(labelsOf50));
        Assert.True(PlanTransitionRules.IsHostname(labelsOf50[1..]));
    }

    [Fact]
    public void Upgrades_and_equal_prices_take_effect_now_and_downgrades_at_the_end_of_the_period()
    {
        var free = Plan("free", 0);
        var team = Plan("team", 9900);
        var team2 = Plan("team2", 9900);

        Assert.Equal(PlanChangeTiming.Now, PlanTransitionRules.Timing(null, team));
        Assert.Equal(PlanChangeTiming.Now, PlanTransitionRules.Timing(free, team));
        Assert.Equal(PlanChangeTiming.Now, PlanTransitionRules.Timing(team, team2));
        Assert.Equal(PlanChangeTiming.EndOfPeriod, PlanTransitionRules.Timing(team, free));
        Assert.Throws<ArgumentException>(() => PlanTransitionRules.Timing(team, Plan("yen", 1000, "JPY")));
    }
}
