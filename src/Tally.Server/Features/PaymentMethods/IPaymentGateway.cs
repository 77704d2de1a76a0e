using Tally.Domain;

namespace Tally.Server.Features.PaymentMethods;

/// <summary>
/// A payment provider: stores payment methods made from the provider's client-side tokens and charges them. Never sees
/// or returns a card number. Implementations are thread-safe singletons. Calls with the same idempotency key return the
/// first call's result and move no money a second time. Gateway failures other than declines (network, outage) throw.
/// </summary>
public interface IPaymentGateway
{
    /// <summary>The configuration name (<c>--payment-gateway</c>), stored with each payment method.</summary>
    string Name { get; }

    /// <summary>Turns a provider token into a stored payment method, or declines it with a reason code.</summary>
    Task<GatewayMethodResult> CreatePaymentMethodAsync(string token, CancellationToken ct);

    /// <summary>
    /// Charges <paramref name="amount"/> (&gt; 0) to the method with gateway reference <paramref name="reference"/>.
    /// Throws <see cref="ArgumentException"/> for a non-positive amount or an empty key.
    /// </summary>
    Task<GatewayChargeResult> ChargeAsync(string reference, Money amount, string idempotencyKey, CancellationToken ct);

    /// <summary>
    /// Refunds <paramref name="amount"/> (&gt; 0, in the charge's currency, at most what is left of the charge) of an
    /// approved charge. Throws <see cref="ArgumentException"/> for a non-positive amount or an empty key.
    /// </summary>
    Task<GatewayRefundResult> RefundAsync(string chargeReference, Money amount, string idempotencyKey, CancellationToken ct);
}

/// <summary>A stored payment method as the gateway describes it: masked data and the gateway's reference only.</summary>
/// <param name="Brand">"visa", "mastercard", "amex", ...</param>
/// <param name="Last4">The card number's last four digits.</param>
/// <param name="ExpMonth">1–12.</param>
/// <param name="ExpYear">Four digits.</param>
/// <param name="Reference">The gateway's id for the method, used to charge it.</param>
public sealed record GatewayCard(string Brand, string Last4, int ExpMonth, int ExpYear, string Reference);

/// <summary>Either <see cref="Card"/> (created) or <see cref="DeclineReason"/> (refused, e.g. <c>card_declined</c>).</summary>
public sealed record GatewayMethodResult(GatewayCard? Card, string? DeclineReason)
{
    public static GatewayMethodResult Created(GatewayCard card) => new(card, null);

    public static GatewayMethodResult Declined(string reason) => new(null, reason);
}

/// <summary>Either <see cref="ChargeReference"/> (approved) or <see cref="DeclineReason"/>.</summary>
public sealed record GatewayChargeResult(string? ChargeReference, string? DeclineReason)
{
    public bool Approved => ChargeReference is not null;

    public static GatewayChargeResult Approve(string chargeReference) => new(chargeReference, null);

    public static GatewayChargeResult Decline(string reason) => new(null, reason);
}

/// <summary>Either <see cref="RefundReference"/> (refunded) or <see cref="DeclineReason"/>.</summary>
public sealed record GatewayRefundResult(string? RefundReference, string? DeclineReason)
{
    public bool Refunded => RefundReference is not null;

    public static GatewayRefundResult Refund(string refundReference) => new(refundReference, null);

    public static GatewayRefundResult Decline(string reason) => new(null, reason);
}
