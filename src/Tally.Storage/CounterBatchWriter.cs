using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Tally.Storage;

/// <summary>
/// Runs batches of <see cref="CounterCall"/>s in one transaction on one long-lived connection. PostgreSQL gets each batch
/// as one <see cref="DbBatch"/> round trip with rows touched in key order (no deadlocks between processes); SQLite, an
/// in-process engine, runs prepared statements one after another (<see cref="SqliteCounterBatchWriter"/>). Synchronous:
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

    /// <summary>Results in the order of <paramref name="calls"/>, all committed.</summary>
    public AdmissionResult[] Execute(IReadOnlyList<CounterCall> calls)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return _sqlite?.Execute(calls) ?? ExecuteBatched(calls);
            }
            catch (DbException e) when (e.SqlState == PostgresDeadlock && attempt < 3)
            {
                // Another server process locked rows in a different order (it cannot, see the key order); retry anyway.
            }
        }
    }

    public void Dispose()
    {
        _sqlite?.Dispose(); // its statements first: a pooled SQLite connection keeps its handle open
        _connection.Dispose();
    }

    private AdmissionResult[] ExecuteBatched(IReadOnlyList<CounterCall> calls)
    {
        var order = Enumerable.Range(0, calls.Count)
            .OrderBy(i => calls[i].TenantId, StringComparer.Ordinal).ThenBy(i => calls[i].Namespace, StringComparer.Ordinal)
            .ThenBy(i => calls[i].Kind, StringComparer.Ordinal).ThenBy(i => calls[i].Key, StringComparer.Ordinal)
            .ToArray();
        var values = new long?[calls.Count];
        using var transaction = _connection.BeginTransaction();
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

        transaction.Commit();
        for (var i = 0; i < calls.Count; i++)
        {
            if (values[i] is { } after)
            {
                results[i] = new AdmissionResult(true, after);
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
        var command = batch.CreateBatchCommand();
        var names = ParameterNames(withLimit, withAmount).ToArray();
        command.CommandText = Positional.GetOrAdd(sql, text => ToPositional(text, names));
        foreach (var name in names)
        {
            var p = command.CreateParameter();
            p.Value = Value(call, name);
            command.Parameters.Add(p);
        }

        return command;
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
