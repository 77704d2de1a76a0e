using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Tally.Storage;

/// <summary>
/// The SQLite side of <see cref="CounterBatchWriter"/>: one <c>BEGIN IMMEDIATE</c> transaction per batch on one
/// long-lived connection, running statements prepared once through SQLite's own API: ADO.NET's per-execution work
/// (re-splitting the command text, binding by name, a data reader per call) and the upsert's extra work for a key that
/// already has a count (an <c>UPDATE</c> is tried first) were a measurable share of the single writer loop's time
/// (docs/performance.md). Errors surface as <see cref="SqliteException"/>; a failed batch is rolled back. Not
/// thread-safe.
/// </summary>
internal sealed class SqliteCounterBatchWriter : IDisposable
{
    private readonly sqlite3 _db;
    private readonly Statement _begin;
    private readonly Statement _commit;
    private readonly Statement _admitCounted;
    private readonly Statement _admit;
    private readonly Statement _release;
    private readonly Statement _read;

    /// <summary>Prepares the statements on <paramref name="connection"/>, which the caller keeps and disposes after this.</summary>
    public SqliteCounterBatchWriter(SqliteConnection connection)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The SQLite connection is not open.");
        _begin = new Statement(_db, "BEGIN IMMEDIATE");
        _commit = new Statement(_db, "COMMIT");
        _admitCounted = new Statement(_db, QuotaCounterStore.AdmitCountedSql);
        _admit = new Statement(_db, QuotaCounterStore.AdmitSql);
        _release = new Statement(_db, QuotaCounterStore.SqliteReleaseSql);
        _read = new Statement(_db, QuotaCounterStore.CurrentSql);
    }

    /// <summary>Results in the order of <paramref name="calls"/>, all committed; on any error nothing is.</summary>
    public AdmissionResult[] Execute(IReadOnlyList<CounterCall> calls)
    {
        var results = new AdmissionResult[calls.Count];
        _begin.Run();
        try
        {
            for (var i = 0; i < calls.Count; i++)
            {
                var call = calls[i];
                var after = call.IsAdmit ? _admitCounted.Scalar(call) ?? _admit.Scalar(call) : _release.Scalar(call);
                if (after is { } counted)
                {
                    results[i] = new AdmissionResult(true, counted);
                    continue;
                }

                // Nothing changed: a refused admit, or a release of a key without a count. Read why.
                var (current, namespaceCount) = _read.Pair(call);
                results[i] = call.Unchanged(current, namespaceCount > 0);
            }

            _commit.Run();
            return results;
        }
        catch
        {
            if (raw.sqlite3_get_autocommit(_db) == 0)
            {
                // Its own failure (the connection is then discarded, which rolls back too) must not hide the first error.
                _ = raw.sqlite3_exec(_db, "ROLLBACK");
            }

            throw;
        }
    }

    public void Dispose()
    {
        foreach (var statement in new[] { _begin, _commit, _admitCounted, _admit, _release, _read })
        {
            statement.Dispose();
        }
    }

    /// <summary>
    /// One prepared statement. Parameters are bound by the names the SQL uses (<c>@tenant</c>, <c>@ns</c>, <c>@kind</c>,
    /// <c>@key</c>, <c>@amount</c>, <c>@limit</c>); a name the SQL lacks is skipped.
    /// </summary>
    private sealed class Statement : IDisposable
    {
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _stmt;
        private readonly int _tenant, _ns, _kind, _key, _amount, _limit;

        public Statement(sqlite3 db, string sql)
        {
            _db = db;
            Check(raw.sqlite3_prepare_v3(db, sql, raw.SQLITE_PREPARE_PERSISTENT, out _stmt, out _));
            _tenant = raw.sqlite3_bind_parameter_index(_stmt, "@tenant");
            _ns = raw.sqlite3_bind_parameter_index(_stmt, "@ns");
            _kind = raw.sqlite3_bind_parameter_index(_stmt, "@kind");
            _key = raw.sqlite3_bind_parameter_index(_stmt, "@key");
            _amount = raw.sqlite3_bind_parameter_index(_stmt, "@amount");
            _limit = raw.sqlite3_bind_parameter_index(_stmt, "@limit");
        }

        /// <summary>Runs a statement that returns no row.</summary>
        public void Run()
        {
            try
            {
                Expect(raw.sqlite3_step(_stmt), raw.SQLITE_DONE);
            }
            finally
            {
                raw.sqlite3_reset(_stmt);
            }
        }

        /// <summary>The first column of the only row, or null when the statement returned none.</summary>
        public long? Scalar(CounterCall call)
        {
            Bind(call);
            try
            {
                var rc = raw.sqlite3_step(_stmt);
                if (rc == raw.SQLITE_DONE)
                {
                    return null;
                }

                Expect(rc, raw.SQLITE_ROW);
                var value = raw.sqlite3_column_int64(_stmt, 0);
                Expect(raw.sqlite3_step(_stmt), raw.SQLITE_DONE);
                return value;
            }
            finally
            {
                raw.sqlite3_reset(_stmt);
            }
        }

        /// <summary>The first two columns of the only row (the first may be NULL).</summary>
        public (long? First, long Second) Pair(CounterCall call)
        {
            Bind(call);
            try
            {
                Expect(raw.sqlite3_step(_stmt), raw.SQLITE_ROW);
                long? first = raw.sqlite3_column_type(_stmt, 0) == raw.SQLITE_NULL ? null : raw.sqlite3_column_int64(_stmt, 0);
                return (first, raw.sqlite3_column_int64(_stmt, 1));
            }
            finally
            {
                raw.sqlite3_reset(_stmt);
            }
        }

        public void Dispose() => _stmt.Dispose();

        private void Bind(CounterCall call)
        {
            Check(raw.sqlite3_bind_text(_stmt, _tenant, call.TenantId));
            Check(raw.sqlite3_bind_text(_stmt, _ns, call.Namespace));
            Check(raw.sqlite3_bind_text(_stmt, _kind, call.Kind));
            Check(raw.sqlite3_bind_text(_stmt, _key, call.Key));
            if (_amount > 0)
            {
                Check(raw.sqlite3_bind_int64(_stmt, _amount, call.Amount));
            }

            if (_limit > 0)
            {
                Check(raw.sqlite3_bind_int64(_stmt, _limit, call.Limit));
            }
        }

        /// <summary>Throws <see cref="SqliteException"/> for an error code, <see cref="InvalidOperationException"/> for a row count the SQL cannot give.</summary>
        private void Expect(int rc, int expected)
        {
            if (rc == expected)
            {
                return;
            }

            Check(rc);
            throw new InvalidOperationException($"SQLite returned {(rc == raw.SQLITE_ROW ? "a row" : "no row")} where the counter statement must return {(expected == raw.SQLITE_ROW ? "one" : "none")}.");
        }

        private void Check(int rc) => SqliteException.ThrowExceptionForRC(rc, _db);
    }
}
