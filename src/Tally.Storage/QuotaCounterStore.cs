using System.Data.Common;

namespace Tally.Storage;

/// <summary>Outcome of one admission: whether it fit, and the count afterwards (or, when refused, the count it would not exceed).</summary>
public readonly record struct AdmissionResult(bool Admitted, long CurrentMicros);

/// <summary>
/// Atomic admission counters in <c>quota_counts</c>. Each admit is ONE conditional upsert statement, so the
/// database serialises concurrent callers (a row lock on PostgreSQL, the single writer on SQLite): no interleaving
/// of calls, from any thread or process, leaves a count above the limit it was admitted against.
/// </summary>
public sealed class QuotaCounterStore(TallyDatabase database)
{
    // INSERT ... SELECT yields no row when the amount alone exceeds the limit; ON CONFLICT ... WHERE updates only when
    // the sum fits. RETURNING gives a row exactly when the admission happened.
    private const string AdmitSql = """
        INSERT INTO quota_counts (tenant_id, namespace, kind, key, current_micros)
        SELECT @tenant, @ns, @kind, @key, @amount WHERE @limit < 0 OR @amount <= @limit
        ON CONFLICT (tenant_id, namespace, kind, key) DO UPDATE
            SET current_micros = quota_counts.current_micros + excluded.current_micros
            WHERE @limit < 0 OR quota_counts.current_micros + excluded.current_micros <= @limit
        RETURNING current_micros
        """;

    private const string CurrentSql =
        "SELECT current_micros FROM quota_counts WHERE tenant_id = @tenant AND namespace = @ns AND kind = @kind AND key = @key";

    private string ReleaseSql => $"""
        UPDATE quota_counts SET current_micros = {(database.Engine == DatabaseEngine.Postgres ? "GREATEST" : "MAX")}(0, current_micros - @amount)
        WHERE tenant_id = @tenant AND namespace = @ns AND kind = @kind AND key = @key
        RETURNING current_micros
        """;

    /// <summary>Adds <paramref name="amountMicros"/> when the result stays ≤ <paramref name="limitMicros"/> (null = unlimited).</summary>
    public async Task<AdmissionResult> AdmitAsync(string tenantId, string ns, string kind, string key, long amountMicros, long? limitMicros, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using (var admit = Command(connection, AdmitSql, tenantId, ns, kind, key))
        {
            Add(admit, "@amount", amountMicros);
            Add(admit, "@limit", limitMicros ?? -1L);
            if (await admit.ExecuteScalarAsync(ct).ConfigureAwait(false) is { } after and not DBNull)
            {
                return new AdmissionResult(true, Convert.ToInt64(after, System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return new AdmissionResult(false, await ReadAsync(connection, tenantId, ns, kind, key, ct).ConfigureAwait(false));
    }

    /// <summary>Subtracts <paramref name="amountMicros"/>, never going below zero. Returns the count afterwards.</summary>
    public async Task<long> ReleaseAsync(string tenantId, string ns, string kind, string key, long amountMicros, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var release = Command(connection, ReleaseSql, tenantId, ns, kind, key);
        Add(release, "@amount", amountMicros);
        var after = await release.ExecuteScalarAsync(ct).ConfigureAwait(false);
        return after is null or DBNull ? 0 : Convert.ToInt64(after, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<long> ReadAsync(DbConnection connection, string tenantId, string ns, string kind, string key, CancellationToken ct)
    {
        await using var read = Command(connection, CurrentSql, tenantId, ns, kind, key);
        var value = await read.ExecuteScalarAsync(ct).ConfigureAwait(false);
        return value is null or DBNull ? 0 : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static DbCommand Command(DbConnection connection, string sql, string tenantId, string ns, string kind, string key)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        Add(command, "@tenant", tenantId);
        Add(command, "@ns", ns);
        Add(command, "@kind", kind);
        Add(command, "@key", key);
        return command;
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
    }
}
