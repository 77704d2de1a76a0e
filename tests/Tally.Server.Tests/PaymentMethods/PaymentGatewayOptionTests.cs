using Tally.Server.Tests.Infrastructure;
using Tally.Server.Tests.Processes;

namespace Tally.Server.Tests.PaymentMethods;

/// <summary><c>--payment-gateway</c> / <c>TALLY_PAYMENT_GATEWAY</c> on a real <c>tally serve</c>.</summary>
public sealed class PaymentGatewayOptionTests
{
    [Fact]
    public async Task An_unknown_gateway_named_by_flag_or_environment_stops_start_up_with_a_clear_message()
    {
        var file = TestFiles.NewPath("gateway", ".db");
        var serve = $"serve --urls http://127.0.0.1:{PostgresServer.FreePort()} --database \"{file}\"";

        var (flagExit, flagOutput) = await TallyProcess.RunAsync(serve + " --payment-gateway stripe");
        var (envExit, envOutput) = await TallyProcess.RunAsync(serve, new Dictionary<string, string> { ["TALLY_PAYMENT_GATEWAY"] = "paypal" });

        Assert.Equal(2, flagExit);
        Assert.Contains("Unknown payment gateway 'stripe'", flagOutput, StringComparison.Ordinal);
        Assert.Contains("known gateways: test", flagOutput, StringComparison.Ordinal);
        Assert.Equal(2, envExit);
        Assert.Contains("Unknown payment gateway 'paypal'", envOutput, StringComparison.Ordinal);
        Assert.False(File.Exists(file));
    }
}
