using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Tally.Storage;

/// <summary>
/// Runs batches of <see cref="CounterCall"/>s on one long-lived connection. On PostgreSQL the first call on each key
/// that has a count runs in one set-based statement over arrays, after its rows are locked in key order (no deadlocks
/// between processes), in one <see cref="DbBatch"/> round trip that is also its transaction; the rest (new keys,
/// refusals, releases of keys without a count, later calls on a key) run one statement each in a second transaction.
/// SQLite, an in-process engine, runs a whole batch in one transaction of prepared statements one after another
/// (<see cref="SqliteCounterBatchWriter"/>). Synchronous:
/// its one user is the writer loop's own thread, which has nothing else to do while a batch runs. Not thread-safe: one
/// per writer loop.
/// </summary>
internal sealed class CounterBatchWriter : IDisposable
{
    private const string PostgresDeadlock = "40P01";

    private readonly DbConnection _connection;
    private readonly SqliteCounterBatchWriter? _sqlite;

    private CounterBatchWriter(DbConnection connection)
    {
        _connection = connection;
        if (connection is SqliteConnection sqlite)
        {
            _sqlite = new SqliteCounterBatchWriter(sqlite);
        }
    }

    public static CounterBatchWriter Open(TallyDatabase database)
    {
        // Once per writer connection (at the first batch, and after a failed one): the only wait on an async call here.
        var connection = database.OpenConnectionAsync().AsTask().GetAwaiter().GetResult();
        try
        {
            if (connection is not SqliteConnection)
            {
                // Names the session in pg_stat_activity after the writer thread: an operator can tell it from EF's.
                using var name = connection.CreateCommand();
                name.CommandText = $"SET application_name = '{QuotaCounterStore.WriterThreadName}'";
                name.ExecuteNonQuery();
            }

            return new CounterBatchWriter(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Results in the order of <paramref name="calls"/>, all committed. When a batch takes two transactions (PostgreSQL),
    /// the calls the first committed are completed before the second runs: if the second fails, they are not reported
    /// as failed, and an exception from here concerns only calls not completed yet.
    /// </summary>
    public AdmissionResult[] Execute(IReadOnlyList<CounterCall> calls) => _sqlite?.Execute(calls) ?? ExecuteBatched(calls);

    public void Dispose()
    {
        _sqlite?.Dispose(); // its statements first: a pooled SQLite connection keeps its handle open
        _connection.Dispose();
    }

    /// <summary>
    /// Locks the count rows of a batch's keys in key order (in the database's collation, the same for every process), so
    /// that the update after it in the same transaction waits for no row that another batch holds. Arrays: tenants,
    /// namespaces, kinds, keys.
    /// </summary>
    internal const string PostgresLockCountsSql = """
        SELECT 1 FROM quota_counts q
        JOIN unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS i(tenant, ns, kind, key)
          ON q.tenant_id = i.tenant AND q.namespace = i.ns AND q.kind = i.kind AND q.key = i.key
        ORDER BY q.tenant_id, q.namespace, q.kind, q.key
        FOR UPDATE OF q
        """;

    /// <summary>
    /// Admits and releases on keys that have a count, in one statement: arrays of tenants, namespaces, kinds, keys
    /// (distinct: one statement updates a row once), amounts, limits (-1 unlimited), admit (false = release) and each
    /// call's index in its batch. Returns (index, count after) for each call applied; an index it lacks is a refused admit
    /// or a key without a count (a count row exists only while its namespace does, as on SQLite).
    /// </summary>
    internal const string PostgresUpdateCountsSql = """
        UPDATE quota_counts q
        SET current_micros = CASE WHEN i.admit THEN q.current_micros + i.amount ELSE GREATEST(0, q.current_micros - i.amount) END
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::boolean[], $8::integer[])
          AS i(tenant, ns, kind, key, amount, lim, admit, idx)
        WHERE q.tenant_id = i.tenant AND q.namespace = i.ns AND q.kind = i.kind AND q.key = i.key
          AND (NOT i.admit OR i.lim < 0 OR q.current_micros + i.amount <= i.lim)
        RETURNING i.idx, q.current_micros
        """;

    /// <summary>
    /// Two transactions at most. The first is one round trip, commit included: the first call on each key through the
    /// set-based statements (<see cref="UpdateCounted"/>) in the implicit transaction of one <see cref="DbBatch"/>, which
    /// PostgreSQL commits when it answers the batch. Only when there are any, the second runs every call those did not
    /// apply and every later call on a key (in the batch's order per key) one statement each
    /// (<see cref="ExecuteOneByOne"/>: one round trip, one more to read why refused calls changed nothing, and the
    /// commit's). The calls of a batch are concurrent, so running some of them in a second transaction is as valid as
    /// running them in the next batch. Set-based, PostgreSQL spends less CPU per batch than on one statement per call;
    /// one round trip instead of two spares a wake-up of the writer and of its backend per batch (docs/performance.md,
    /// docs/decisions.md).
    /// </summary>
    private AdmissionResult[] ExecuteBatched(IReadOnlyList<CounterCall> calls)
    {
        var values = new long?[calls.Count];
        var first = new List<int>(calls.Count);
        var later = new List<int>();
        var seen = new HashSet<(string, string, string, string)>();
        for (var i = 0; i < calls.Count; i++)
        {
            (seen.Add((calls[i].TenantId, calls[i].Namespace, calls[i].Kind, calls[i].Key)) ? first : later).Add(i);
        }

        foreach (var (index, after) in RetryOnDeadlock(() => UpdateCounted(calls, first)))
        {
            values[index] = after;
        }

        var rest = first.Where(i => values[i] is null).Concat(later).Order().ToArray();
        var results = new AdmissionResult[calls.Count];
        if (rest.Length > 0)
        {
            foreach (var i in first.Where(i => values[i] is not null))
            {
                calls[i].Result.TrySetResult(new AdmissionResult(true, values[i]!.Value));
            }

            // Each attempt sets values[i] for every call in rest, so a rolled-back attempt leaves nothing behind.
            results = RetryOnDeadlock(() =>
            {
                using var transaction = _connection.BeginTransaction();
                var restResults = ExecuteOneByOne(calls, rest, values, transaction);
                transaction.Commit();
                return restResults;
            });
        }

        for (var i = 0; i < calls.Count; i++)
        {
            if (values[i] is { } after)
            {
                results[i] = new AdmissionResult(true, after);
            }
        }

        return results;
    }

    /// <summary>
    /// Runs one transaction again when PostgreSQL chose it as a deadlock's victim (rolled back, so nothing of it counted).
    /// Rows are locked in key order, so batches of several processes should never deadlock; this is the safety net.
    /// </summary>
    private static T RetryOnDeadlock<T>(Func<T> transaction)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return transaction();
            }
            catch (DbException e) when (e.SqlState == PostgresDeadlock && attempt < 3)
            {
            }
        }
    }

    /// <summary>
    /// One round trip and its own transaction, committed when it returns: <see cref="PostgresLockCountsSql"/>, then
    /// <see cref="PostgresUpdateCountsSql"/>, over the calls <paramref name="first"/> (one per key). Returns (index in the
    /// batch, count after) of every call applied.
    /// </summary>
    private List<(int Index, long After)> UpdateCounted(IReadOnlyList<CounterCall> calls, List<int> first)
    {
        var tenants = first.Select(i => calls[i].TenantId).ToArray();
        var namespaces = first.Select(i => calls[i].Namespace).ToArray();
        var kinds = first.Select(i => calls[i].Kind).ToArray();
        var keys = first.Select(i => calls[i].Key).ToArray();
        using var batch = _connection.CreateBatch(); // no transaction: the batch's implicit one
        batch.BatchCommands.Add(BatchCommand(batch, PostgresLockCountsSql, tenants, namespaces, kinds, keys));
        batch.BatchCommands.Add(BatchCommand(
            batch, PostgresUpdateCountsSql, tenants, namespaces, kinds, keys, first.Select(i => calls[i].Amount).ToArray(),
            first.Select(i => calls[i].Limit).ToArray(), first.Select(i => calls[i].IsAdmit).ToArray(), first.ToArray()));
        var applied = new List<(int, long)>(first.Count);
        using var reader = batch.ExecuteReader();
        reader.NextResult(); // past the locked rows
        while (reader.Read())
        {
            applied.Add((reader.GetInt32(0), reader.GetInt64(1)));
        }

        // Reads on to the batch's end, where PostgreSQL reports the commit: it throws if the commit failed.
        reader.NextResult();
        return applied;
    }

    /// <summary>A batch command whose SQL takes <paramref name="values"/> as its positional parameters $1, $2, ...</summary>
    private static DbBatchCommand BatchCommand(DbBatch batch, string sql, params object[] values)
    {
        var command = batch.CreateBatchCommand();
        command.CommandText = sql;
        foreach (var value in values)
        {
            var p = command.CreateParameter();
            p.Value = value;
            command.Parameters.Add(p);
        }

        return command;
    }

    /// <summary>
    /// The calls <paramref name="rest"/> (in batch order) one statement each — an admit on a new key (inserted if its
    /// namespace exists), a refused admit, a release of a key without a count, a later call on a key — in key order
    /// (stable: a key's calls keep their order), then the counts of those that changed nothing. Sets
    /// <paramref name="values"/>[i] for every call in <paramref name="rest"/> (null when it changed nothing); returns
    /// the results of those that changed nothing.
    /// </summary>
    private AdmissionResult[] ExecuteOneByOne(IReadOnlyList<CounterCall> calls, int[] rest, long?[] values, DbTransaction transaction)
    {
        var order = rest
            .OrderBy(i => calls[i].TenantId, StringComparer.Ordinal).ThenBy(i => calls[i].Namespace, StringComparer.Ordinal)
            .ThenBy(i => calls[i].Kind, StringComparer.Ordinal).ThenBy(i => calls[i].Key, StringComparer.Ordinal)
            .ToArray();
        using (var batch = _connection.CreateBatch())
        {
            batch.Transaction = transaction;
            foreach (var i in order)
            {
                batch.BatchCommands.Add(BatchCommand(batch, calls[i].IsAdmit ? QuotaCounterStore.AdmitSql : QuotaCounterStore.PostgresReleaseSql, calls[i], calls[i].IsAdmit, true));
            }

            using var reader = batch.ExecuteReader();
            foreach (var i in order)
            {
                values[i] = reader.Read() ? reader.GetInt64(0) : null;
                reader.NextResult();
            }
        }

        var results = new AdmissionResult[calls.Count];
        var refused = order.Where(i => values[i] is null).ToArray();
        if (refused.Length > 0)
        {
            using var batch = _connection.CreateBatch();
            batch.Transaction = transaction;
            foreach (var i in refused)
            {
                batch.BatchCommands.Add(BatchCommand(batch, QuotaCounterStore.CurrentSql, calls[i], false, false));
            }

            using var reader = batch.ExecuteReader();
            foreach (var i in refused)
            {
                reader.Read();
                results[i] = Refused(calls[i], reader);
                reader.NextResult();
            }
        }

        return results;
    }

    /// <summary>A call whose statement changed nothing, from its <see cref="QuotaCounterStore.CurrentSql"/> row.</summary>
    private static AdmissionResult Refused(CounterCall call, DbDataReader reader) =>
        call.Unchanged(reader.IsDBNull(0) ? null : reader.GetInt64(0), reader.GetInt64(1) > 0);

    /// <summary>A PostgreSQL batch command with positional parameters ($1, $2, ...), which Npgsql sends without rewriting the SQL.</summary>
    private static DbBatchCommand BatchCommand(DbBatch batch, string sql, CounterCall call, bool withLimit, bool withAmount)
    {
        var names = ParameterNames(withLimit, withAmount).ToArray();
        return BatchCommand(batch, Positional.GetOrAdd(sql, text => ToPositional(text, names)), names.Select(name => Value(call, name)).ToArray());
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Positional = new(StringComparer.Ordinal);

    private static string ToPositional(string sql, string[] names)
    {
        for (var i = 0; i < names.Length; i++)
        {
            sql = sql.Replace(names[i], "$" + (i + 1).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }

        return sql;
    }

    private static IEnumerable<string> ParameterNames(bool withLimit, bool withAmount)
    {
        yield return "@tenant";
        yield return "@ns";
        yield return "@kind";
        yield return "@key";
        if (withAmount)
        {
            yield return "@amount";
        }

        if (withLimit)
        {
            yield return "@limit";
        }
    }

    private static object Value(CounterCall call, string name) => name switch
    {
        "@tenant" => call.TenantId,
        "@ns" => call.Namespace,
        "@kind" => call.Kind,
        "@key" => call.Key,
        "@amount" => call.Amount,
        _ => call.Limit,
    };
}
