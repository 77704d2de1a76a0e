namespace Tally.Domain.Quotas;

/// <summary>Quota arithmetic on micro-units (see <see cref="QuotaQuantity"/>).</summary>
public static class Admission
{
    /// <summary>True when adding <paramref name="amountMicros"/> to <paramref name="currentMicros"/> stays within <paramref name="limitMicros"/> (null = unlimited).</summary>
    public static bool Fits(long currentMicros, long amountMicros, long? limitMicros) =>
        limitMicros is null || currentMicros + amountMicros <= limitMicros.Value;

    /// <summary>The count after a release: never below zero.</summary>
    public static long Release(long currentMicros, long amountMicros) => Math.Max(0, currentMicros - amountMicros);

    /// <summary>Converts a limit from <see cref="EffectiveLimits.LimitFor"/> to micros (null stays null, meaning unlimited).</summary>
    public static long? LimitMicros(double? limit) =>
        limit is null ? null : (long)Math.Floor((decimal)limit.Value * QuotaQuantity.MicrosPerUnit);
}
