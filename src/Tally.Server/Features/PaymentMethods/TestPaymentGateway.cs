using System.Security.Cryptography;
using Tally.Domain;

namespace Tally.Server.Features.PaymentMethods;

/// <summary>
/// The built-in <c>test</c> gateway: no provider, no network, outcomes fixed by Stripe's test tokens (see the README's
/// "Payment gateways"). A method's behaviour is encoded in its reference (<c>pm_test_{kind}_{16 letters}</c>), so
/// methods keep working across restarts; charges and refunds are remembered in memory per idempotency key (a restart
/// forgets them). Cards expire in the current month three years from the injected clock's now.
/// </summary>
public sealed class TestPaymentGateway(TimeProvider clock) : IPaymentGateway
{
    public const string GatewayName = "test";

    private const string ReferencePrefix = "pm_test_";
    private const string FailKind = "fail";

    /// <summary>Tokens that create a method: token → (brand, last 4, kind in the reference).</summary>
    public static readonly IReadOnlyDictionary<string, (string Brand, string Last4, string Kind)> Cards =
        new Dictionary<string, (string, string, string)>(StringComparer.Ordinal)
        {
            ["tok_visa"] = ("visa", "4242", "visa"),
            ["tok_mastercard"] = ("mastercard", "4444", "mastercard"),
            ["tok_amex"] = ("amex", "8431", "amex"),
            ["tok_chargeCustomerFail"] = ("visa", "0341", FailKind),
        };

    /// <summary>Tokens refused when the method is created: token → decline reason.</summary>
    public static readonly IReadOnlyDictionary<string, string> Refused = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["tok_chargeDeclined"] = "card_declined",
        ["tok_chargeDeclinedInsufficientFunds"] = "insufficient_funds",
        ["tok_chargeDeclinedExpiredCard"] = "expired_card",
    };

    private readonly Lock _gate = new();
    private readonly Dictionary<string, (string Reference, Money Amount, GatewayChargeResult Result)> _charges = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Charge, Money Amount, GatewayRefundResult Result)> _refunds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (Money Amount, long Refunded)> _approved = new(StringComparer.Ordinal);

    public string Name => GatewayName;

    public Task<GatewayMethodResult> CreatePaymentMethodAsync(string token, CancellationToken ct)
    {
        if (token is not null && Refused.TryGetValue(token, out var reason))
        {
            return Task.FromResult(GatewayMethodResult.Declined(reason));
        }

        if (token is null || !Cards.TryGetValue(token, out var card))
        {
            return Task.FromResult(GatewayMethodResult.Declined("invalid_token"));
        }

        var now = clock.GetUtcNow().UtcDateTime;
        return Task.FromResult(GatewayMethodResult.Created(
            new GatewayCard(card.Brand, card.Last4, now.Month, now.Year + 3, ReferencePrefix + card.Kind + "_" + Letters())));
    }

    public Task<GatewayChargeResult> ChargeAsync(string reference, Money amount, string idempotencyKey, CancellationToken ct)
    {
        Require(amount, idempotencyKey);
        lock (_gate)
        {
            if (_charges.TryGetValue(idempotencyKey, out var seen))
            {
                return Task.FromResult(seen.Reference == reference && seen.Amount == amount ? seen.Result : GatewayChargeResult.Decline("idempotency_key_reused"));
            }

            var result = KindOf(reference) switch
            {
                null => GatewayChargeResult.Decline("no_such_payment_method"),
                FailKind => GatewayChargeResult.Decline("card_declined"),
                _ => GatewayChargeResult.Approve("ch_test_" + Letters()),
            };
            if (result.ChargeReference is { } charge)
            {
                _approved[charge] = (amount, 0);
            }

            _charges[idempotencyKey] = (reference, amount, result);
            return Task.FromResult(result);
        }
    }

    public Task<GatewayRefundResult> RefundAsync(string chargeReference, Money amount, string idempotencyKey, CancellationToken ct)
    {
        Require(amount, idempotencyKey);
        lock (_gate)
        {
            if (_refunds.TryGetValue(idempotencyKey, out var seen))
            {
                return Task.FromResult(seen.Charge == chargeReference && seen.Amount == amount ? seen.Result : GatewayRefundResult.Decline("idempotency_key_reused"));
            }

            GatewayRefundResult result;
            if (!_approved.TryGetValue(chargeReference, out var charge))
            {
                result = GatewayRefundResult.Decline("no_such_charge");
            }
            else if (charge.Amount.Currency != amount.Currency)
            {
                result = GatewayRefundResult.Decline("currency_mismatch");
            }
            else if (amount.Minor > charge.Amount.Minor - charge.Refunded)
            {
                result = GatewayRefundResult.Decline("amount_too_large");
            }
            else
            {
                _approved[chargeReference] = (charge.Amount, charge.Refunded + amount.Minor);
                result = GatewayRefundResult.Refund("re_test_" + Letters());
            }

            _refunds[idempotencyKey] = (chargeReference, amount, result);
            return Task.FromResult(result);
        }
    }

    /// <summary>The kind encoded in a reference this gateway made ("visa", ..., "fail"), or null for any other string.</summary>
    private static string? KindOf(string? reference)
    {
        if (reference is null || !reference.StartsWith(ReferencePrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = reference[ReferencePrefix.Length..];
        var cut = rest.IndexOf('_', StringComparison.Ordinal);
        var kind = cut > 0 ? rest[..cut] : null;
        return kind is not null && Cards.Values.Any(c => c.Kind == kind) ? kind : null;
    }

    private static void Require(Money amount, string idempotencyKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(idempotencyKey);
        if (amount.Currency is null || amount.Minor <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(amount), "A charge or refund is a positive amount of a currency.");
        }
    }

    /// <summary>16 random lower-case letters: unique enough, and never a run of digits that could look like a card number.</summary>
    private static string Letters() => RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz", 16);
}
