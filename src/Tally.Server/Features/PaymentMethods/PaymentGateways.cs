namespace Tally.Server.Features.PaymentMethods;

/// <summary>The gateways <c>--payment-gateway</c> / <c>TALLY_PAYMENT_GATEWAY</c> can name.</summary>
public static class PaymentGateways
{
    public const string Default = TestPaymentGateway.GatewayName;

    public static IReadOnlyList<string> Known { get; } = [TestPaymentGateway.GatewayName];

    public static bool IsKnown(string? name) => name is not null && Known.Contains(name, StringComparer.Ordinal);

    /// <summary>"Unknown payment gateway 'x'; known gateways: test." — what start-up prints before refusing to run.</summary>
    public static string UnknownMessage(string? name) =>
        $"Unknown payment gateway '{name}' (--payment-gateway / TALLY_PAYMENT_GATEWAY); known gateways: {string.Join(", ", Known)}.";

    /// <summary>The gateway named <paramref name="name"/>; throws <see cref="ArgumentException"/> with <see cref="UnknownMessage"/> for any other.</summary>
    public static IPaymentGateway Create(string? name, TimeProvider clock) => name switch
    {
        TestPaymentGateway.GatewayName => new TestPaymentGateway(clock),
        _ => throw new ArgumentException(UnknownMessage(name), nameof(name)),
    };
}

/// <summary>The gateway refused a payment token. <see cref="Reason"/> is the gateway's code (<c>card_declined</c>, ...).</summary>
public sealed class PaymentDeclinedException(string reason)
    : Exception($"The payment gateway declined the payment token: {reason}.")
{
    public string Reason { get; } = reason;
}
