using Microsoft.Extensions.Time.Testing;
using Tally.Domain;
using Tally.Server.Features.PaymentMethods;

namespace Tally.Server.Tests.PaymentMethods;

/// <summary>The built-in <c>test</c> gateway, without a server.</summary>
public sealed class TestPaymentGatewayTests
{
    private static readonly Currency Usd = Currency.Of("USD");
    private static readonly Currency Eur = Currency.Of("EUR");

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));

    private TestPaymentGateway NewGateway() => new(_clock);

    [Theory]
    [InlineData("tok_visa", "visa", "4242")]
    [InlineData("tok_mastercard", "mastercard", "4444")]
    [InlineData("tok_amex", "amex", "8431")]
    [InlineData("tok_chargeCustomerFail", "visa", "0341")]
    public async Task Approving_tokens_create_a_masked_card_that_expires_after_the_clocks_now(string token, string brand, string last4)
    {
        var result = await NewGateway().CreatePaymentMethodAsync(token, CancellationToken.None);

        var card = Assert.IsType<GatewayCard>(result.Card);
        Assert.Null(result.DeclineReason);
        Assert.Equal((brand, last4, 11, 2029), (card.Brand, card.Last4, card.ExpMonth, card.ExpYear));
        Assert.StartsWith("pm_test_", card.Reference, StringComparison.Ordinal);
        Assert.DoesNotMatch("[0-9]", card.Reference);
    }

    [Theory]
    [InlineData("tok_chargeDeclined", "card_declined")]
    [InlineData("tok_chargeDeclinedInsufficientFunds", "insufficient_funds")]
    [InlineData("tok_chargeDeclinedExpiredCard", "expired_card")]
    [InlineData("tok_VISA", "invalid_token")]
    [InlineData("", "invalid_token")]
    public async Task Refusing_tokens_are_declined_at_creation_with_their_reason(string token, string reason)
    {
        var result = await NewGateway().CreatePaymentMethodAsync(token, CancellationToken.None);

        Assert.Null(result.Card);
        Assert.Equal(reason, result.DeclineReason);
    }

    [Fact]
    public async Task The_same_idempotency_key_returns_the_same_charge_and_a_new_key_a_new_one()
    {
        var gateway = NewGateway();
        var card = (await gateway.CreatePaymentMethodAsync("tok_visa", CancellationToken.None)).Card!;

        var first = await gateway.ChargeAsync(card.Reference, new Money(9900, Usd), "inv-1", CancellationToken.None);
        var again = await gateway.ChargeAsync(card.Reference, new Money(9900, Usd), "inv-1", CancellationToken.None);
        var other = await gateway.ChargeAsync(card.Reference, new Money(9900, Usd), "inv-2", CancellationToken.None);
        var reused = await gateway.ChargeAsync(card.Reference, new Money(100, Usd), "inv-1", CancellationToken.None);

        Assert.True(first.Approved);
        Assert.Equal(first, again);
        Assert.True(other.Approved);
        Assert.NotEqual(first.ChargeReference, other.ChargeReference);
        Assert.Equal("idempotency_key_reused", reused.DeclineReason);
        var refund = await gateway.RefundAsync(first.ChargeReference!, new Money(9900, Usd), "r-1", CancellationToken.None);
        Assert.True(refund.Refunded);
        Assert.Equal("amount_too_large", (await gateway.RefundAsync(first.ChargeReference!, new Money(1, Usd), "r-2", CancellationToken.None)).DeclineReason);
    }

    [Fact]
    public async Task A_customer_fail_card_is_created_but_every_charge_is_declined_the_same_way_for_the_same_key()
    {
        var gateway = NewGateway();
        var card = (await gateway.CreatePaymentMethodAsync("tok_chargeCustomerFail", CancellationToken.None)).Card!;

        var first = await gateway.ChargeAsync(card.Reference, new Money(500, Usd), "k", CancellationToken.None);
        var again = await gateway.ChargeAsync(card.Reference, new Money(500, Usd), "k", CancellationToken.None);
        var another = await gateway.ChargeAsync(card.Reference, new Money(1, Usd), "k2", CancellationToken.None);

        Assert.Equal(GatewayChargeResult.Decline("card_declined"), first);
        Assert.Equal(first, again);
        Assert.Equal("card_declined", another.DeclineReason);
    }

    [Fact]
    public async Task A_method_made_by_one_gateway_instance_is_charged_alike_by_another_and_unknown_references_are_declined()
    {
        var visa = (await NewGateway().CreatePaymentMethodAsync("tok_visa", CancellationToken.None)).Card!;
        var failing = (await NewGateway().CreatePaymentMethodAsync("tok_chargeCustomerFail", CancellationToken.None)).Card!;
        var restarted = NewGateway();

        Assert.True((await restarted.ChargeAsync(visa.Reference, new Money(1, Usd), "a", CancellationToken.None)).Approved);
        Assert.Equal("card_declined", (await restarted.ChargeAsync(failing.Reference, new Money(1, Usd), "b", CancellationToken.None)).DeclineReason);
        Assert.Equal("no_such_payment_method", (await restarted.ChargeAsync("pm_live_visa_abc", new Money(1, Usd), "c", CancellationToken.None)).DeclineReason);
        Assert.Equal("no_such_payment_method", (await restarted.ChargeAsync("pm_test_gold_abc", new Money(1, Usd), "d", CancellationToken.None)).DeclineReason);
    }

    [Fact]
    public async Task Partial_refunds_add_up_to_the_charge_and_are_idempotent()
    {
        var gateway = NewGateway();
        var card = (await gateway.CreatePaymentMethodAsync("tok_amex", CancellationToken.None)).Card!;
        var charge = (await gateway.ChargeAsync(card.Reference, new Money(1000, Usd), "c", CancellationToken.None)).ChargeReference!;

        var first = await gateway.RefundAsync(charge, new Money(600, Usd), "r1", CancellationToken.None);
        var repeated = await gateway.RefundAsync(charge, new Money(600, Usd), "r1", CancellationToken.None);
        var tooMuch = await gateway.RefundAsync(charge, new Money(401, Usd), "r2", CancellationToken.None);
        var rest = await gateway.RefundAsync(charge, new Money(400, Usd), "r3", CancellationToken.None);

        Assert.True(first.Refunded);
        Assert.Equal(first, repeated);
        Assert.Equal("amount_too_large", tooMuch.DeclineReason);
        Assert.True(rest.Refunded);
        Assert.NotEqual(first.RefundReference, rest.RefundReference);
        Assert.Equal("currency_mismatch", (await gateway.RefundAsync(charge, new Money(1, Eur), "r4", CancellationToken.None)).DeclineReason);
        Assert.Equal("no_such_charge", (await gateway.RefundAsync("ch_test_nothing", new Money(1, Usd), "r5", CancellationToken.None)).DeclineReason);
        Assert.Equal("idempotency_key_reused", (await gateway.RefundAsync(charge, new Money(1, Usd), "r1", CancellationToken.None)).DeclineReason);
    }

    [Fact]
    public async Task Zero_or_negative_amounts_and_empty_keys_are_programming_errors()
    {
        var gateway = NewGateway();
        var card = (await gateway.CreatePaymentMethodAsync("tok_visa", CancellationToken.None)).Card!;

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => gateway.ChargeAsync(card.Reference, new Money(0, Usd), "k", CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => gateway.ChargeAsync(card.Reference, new Money(-5, Usd), "k", CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => gateway.ChargeAsync(card.Reference, new Money(5, Usd), "", CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => gateway.RefundAsync("ch", new Money(0, Usd), "k", CancellationToken.None));
    }

    [Fact]
    public void Gateways_are_chosen_by_name_and_an_unknown_name_is_refused_with_the_known_ones()
    {
        Assert.Equal("test", PaymentGateways.Create("test", _clock).Name);
        var refused = Assert.Throws<ArgumentException>(() => PaymentGateways.Create("stripe", _clock));
        Assert.Contains("'stripe'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("known gateways: test", refused.Message, StringComparison.Ordinal);
        Assert.False(PaymentGateways.IsKnown("Test"));
        Assert.False(PaymentGateways.IsKnown(null));
    }
}
