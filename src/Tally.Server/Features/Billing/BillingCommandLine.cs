using System.Globalization;
using Tally.Server.Features.Invoices;

namespace Tally.Server.Features.Billing;

/// <summary>
/// The billing settings of <c>tally serve</c> and <c>tally billing run</c>: flags first, then environment variables
/// (<c>TALLY_BILLING_HOUR</c>, <c>TALLY_BILLING_SCHEDULE</c>, <c>TALLY_OPERATOR_NAME</c>, <c>TALLY_OPERATOR_ADDRESS</c>), then defaults.
/// </summary>
public static class BillingCommandLine
{
    /// <summary>What the flags said; null or false = not given.</summary>
    public sealed record Flags(string? BillingHour, bool NoSchedule, string? OperatorName, string? OperatorAddress, bool NoInvoicePdfs);

    /// <summary>
    /// The options, or an error message naming the flag or variable that is wrong (the caller exits with code 2).
    /// <paramref name="environment"/> reads a variable (null when unset).
    /// </summary>
    public static (BillingOptions? Options, string? Error) Resolve(BillingOptions defaults, Flags flags, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        ArgumentNullException.ThrowIfNull(flags);
        ArgumentNullException.ThrowIfNull(environment);
        string? Env(string name) => environment(name) is { Length: > 0 } value ? value : null;

        var options = defaults;
        var (hour, hourSource) = flags.BillingHour is not null ? (flags.BillingHour, "--billing-hour") : (Env("TALLY_BILLING_HOUR"), "TALLY_BILLING_HOUR");
        if (hour is not null)
        {
            if (!int.TryParse(hour, NumberStyles.None, CultureInfo.InvariantCulture, out var h) || h > 23)
            {
                return (null, $"{hourSource} must be a UTC hour from 0 to 23, not '{hour}'.");
            }

            options = options with { RunHour = h };
        }

        if (flags.NoSchedule)
        {
            options = options with { Schedule = false };
        }
        else if (Env("TALLY_BILLING_SCHEDULE") is { } schedule)
        {
            if (!TryParseSwitch(schedule, out var on))
            {
                return (null, $"TALLY_BILLING_SCHEDULE must be true or false, not '{schedule}'.");
            }

            options = options with { Schedule = on };
        }

        var (name, nameSource) = flags.OperatorName is not null ? (flags.OperatorName, "--operator-name") : (Env("TALLY_OPERATOR_NAME"), "TALLY_OPERATOR_NAME");
        if (name is not null)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Length > 200)
            {
                return (null, $"{nameSource} must be 1 to 200 characters, not blank.");
            }

            options = options with { Operator = options.Operator with { Name = name.Trim() } };
        }

        var (address, addressSource) = flags.OperatorAddress is not null ? (flags.OperatorAddress, "--operator-address") : (Env("TALLY_OPERATOR_ADDRESS"), "TALLY_OPERATOR_ADDRESS");
        if (address is not null)
        {
            var lines = address.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (lines.Length == 0 || lines.Length > 10 || lines.Any(l => l.Length > 200))
            {
                return (null, $"{addressSource} must be 1 to 10 address lines separated by ';', each at most 200 characters.");
            }

            options = options with { Operator = options.Operator with { AddressLines = lines } };
        }

        if (flags.NoInvoicePdfs)
        {
            options = options with { RenderPdfs = false };
        }

        return (options, null);
    }

    private static bool TryParseSwitch(string text, out bool value)
    {
        switch (text.Trim().ToUpperInvariant())
        {
            case "TRUE" or "1" or "YES" or "ON":
                value = true;
                return true;
            case "FALSE" or "0" or "NO" or "OFF":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }
}
