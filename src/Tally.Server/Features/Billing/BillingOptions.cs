using Tally.Domain.Invoicing;
using Tally.Server.Features.Invoices;

namespace Tally.Server.Features.Billing;

/// <summary>How billing runs behave. One per process (a singleton), filled from <c>TallyOptions</c>.</summary>
public sealed record BillingOptions
{
    /// <summary>Due dates and automatic charge retries (default: due 2 days after issue, 3 tries 3 days apart).</summary>
    public ChargePolicy ChargePolicy { get; init; } = ChargePolicy.Default;

    /// <summary>The seller block printed on invoices.</summary>
    public OperatorParty Operator { get; init; } = OperatorParty.Default;

    /// <summary>UTC hour (0–23) of the daily scheduled run; a run for date D bills as of D at this hour.</summary>
    public int RunHour { get; init; } = 8;

    /// <summary>Run the daily billing run in this process.</summary>
    public bool Schedule { get; init; } = true;

    /// <summary>Render and store each invoice's PDF when it is issued (false: rendered on first request).</summary>
    public bool RenderPdfs { get; init; } = true;

    /// <summary>Tenants billed at once by a run.</summary>
    public int Parallelism { get; init; } = Math.Max(2, Environment.ProcessorCount);
}
