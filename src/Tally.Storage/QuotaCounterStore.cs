using System.Data.Common;

namespace Tally.Storage;

/// <summary>
/// Outcome of one admission: whether it fit, and the count afterwards (or, when refused, the count it would not exceed).
/// <see cref="NamespaceExists"/> is false when the tenant has no such namespace (nothing was counted).
/// </summary>
public readonly record struct AdmissionResult(bool Admitted, long CurrentMicros, bool NamespaceExists = true);

/// <summary>
/// Atomic admission counters in <c>quota_counts</c>. Each admit is ONE conditional upsert statement, so the
/// database serialises concurrent callers (a row lock on PostgreSQL, the single writer on SQLite): no interleaving
/// of calls, from any thread or process, leaves a count above the limit it was admitted against.
/// </summary>
public sealed class QuotaCounterStore(TallyDatabase database)
{
    // INSERT ... SELECT yields no row when the namespace does not exist or the amount alone exceeds the limit;
    // ON CONFLICT ... WHERE updates only when the sum fits. RETURNING gives a row exactly when the admission happened.
    private const string AdmitSql = """
        INSERT INTO quota_counts (tenant_id, namespace, kind, key, current_micros)
        SELECT @tenant, @ns, @kind, @key, @amount
        WHERE (@limit < 0 OR @amount <= @limit)
          AND EXISTS (SELECT 1 FROM namespaces WHERE tenant_id = @tenant AND name = @ns)
        ON CONFLICT (tenant_id, namespace, kind, key) DO UPDATE
            SET current_micros = quota_counts.current_micros + excluded.current_micros
            WHERE @limit < 0 OR quota_counts.current_micros + excluded.current_micros <= @limit
        RETURNING current_micros
        """;

    private const string CurrentSql = """
        SELECT (SELECT current_micros FROM quota_counts WHERE tenant_id = @tenant AND namespace = @ns AND kind = @kind AND key = @key),
               (SELECT COUNT(*) FROM namespaces WHERE tenant_id = @tenant AND name = @ns)
        """;

    private string ReleaseSql => $"""
        UPDATE quota_counts SET current_micros = {(database.Engine == DatabaseEngine.Postgres ? "GREATEST" : "MAX")}(0, current_micros - @amount)
        WHERE tenant_id = @tenant AND namespace = @ns AND kind = @kind AND key = @key
        RETURNING current_micros
        """;

    /// <summary>
    /// Adds <paramref name="amountMicros"/> when the namespace exists and the result stays ≤ <paramref name="limitMicros"/>
    /// (null = unlimited). On SQLite, writers of this process queue on <see cref="TallyDatabase.WriteGate"/> instead of
    /// contending for the file lock.
    /// </summary>
    public async Task<AdmissionResult> AdmitAsync(string tenantId, string ns, string kind, string key, long amountMicros, long? limitMicros, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using (var admit = Command(connection, AdmitSql, tenantId, ns, kind, key))
        {
            Add(admit, "@amount", amountMicros);
            Add(admit, "@limit", limitMicros ?? -1L);
            if (await WriteAsync(admit, ct).ConfigureAwait(false) is { } after and not DBNull)
            {
                return new AdmissionResult(true, ToLong(after));
            }
        }

        var (current, exists) = await ReadAsync(connection, tenantId, ns, kind, key, ct).ConfigureAwait(false);
        return new AdmissionResult(false, current, exists);
    }

    /// <summary>Subtracts <paramref name="amountMicros"/>, never going below zero. Returns the count afterwards and whether the namespace exists.</summary>
    public async Task<AdmissionResult> ReleaseAsync(string tenantId, string ns, string kind, string key, long amountMicros, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using (var release = Command(connection, ReleaseSql, tenantId, ns, kind, key))
        {
            Add(release, "@amount", amountMicros);
            if (await WriteAsync(release, ct).ConfigureAwait(false) is { } after and not DBNull)
            {
                return new AdmissionResult(true, ToLong(after));
            }
        }

        var (current, exists) = await ReadAsync(connection, tenantId, ns, kind, key, ct).ConfigureAwait(false);
        return new AdmissionResult(true, current, exists);
    }

    private async Task<object?> WriteAsync(DbCommand command, CancellationToken ct)
    {
        if (database.WriteGate is not { } gate)
        {
            return await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
        }

        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    private static async Task<(long Current, bool NamespaceExists)> ReadAsync(DbConnection connection, string tenantId, string ns, string kind, string key, CancellationToken ct)
    {
        await using var read = Command(connection, CurrentSql, tenantId, ns, kind, key);
        await using var reader = await read.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await reader.ReadAsync(ct).ConfigureAwait(false);
        var current = reader.IsDBNull(0) ? 0 : reader.GetInt64(0);
        return (current, reader.GetInt64(1) > 0);
    }

    private static long ToLong(object value) => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);

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
