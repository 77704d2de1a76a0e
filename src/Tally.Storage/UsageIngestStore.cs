using System.Data;
using System.Data.Common;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Tally.Storage;

/// <summary>One validated usage event ready to store. Instants in unix microseconds UTC, quantity in micros.</summary>
public readonly record struct UsageEventRecord(
    string TenantId, string EventId, string Namespace, string Metric, string ObjectName, long QuantityMicros, long OccurredAtUs, string? LabelsJson);

/// <summary>
/// Hot-path SQL for usage ingestion: raw events into <c>usage_events</c> (the (tenant, event id) key makes a repeat a
/// no-op, first write wins) and, in the same transaction, for the newly inserted events only, hourly roll-ups per object
/// into <c>usage_hourly</c>, hourly roll-ups per (namespace, metric, UTC hour) without the object into
/// <c>usage_metric_hourly</c> and daily roll-ups per (namespace, metric, UTC day) into <c>usage_daily</c>. After every
/// commit a per-metric hourly row equals the sum / max / count of the hourly rows of its tenant, namespace, metric and
/// hour, and a daily row equals those of the hourly rows of its tenant, namespace, metric and day.
/// <para>
/// PostgreSQL: ONE statement per request: the events as arrays, <c>unnest</c>ed and inserted (on a unique violation —
/// a stored or racing key — the statement is run again with <c>ON CONFLICT DO NOTHING</c>) with <c>RETURNING</c>, and
/// the returned rows aggregated into the hourly, then the per-metric hourly,
/// then the daily roll-up upserts (data-modifying CTEs run in one snapshot and one transaction). Rows are inserted in
/// (tenant, id) order, hourly roll-ups updated in key order, only then per-metric hourly roll-ups in key order (that
/// upsert waits for the hourly one to finish) and only then daily roll-ups in key order (that upsert waits for the
/// per-metric hourly one to finish), so two requests — in one process or two — take row locks in the same order (events,
/// usage_hourly, usage_metric_hourly, usage_daily) and wait for each other instead of deadlocking; a deadlock or
/// serialization failure is retried anyway. A racing duplicate waits for the first writer's commit and is then skipped,
/// so it is never counted twice.
/// </para>
/// <para>
/// SQLite: one writer loop per process on a long-lived connection with prepared statements; queued requests are
/// group-committed (one transaction, one fsync for several requests); roll-ups are aggregated in memory from the
/// statements that inserted a row and upserted before the commit, table by table in the PostgreSQL order, each in key
/// order. Other processes are serialised by SQLite's write lock (<c>BEGIN IMMEDIATE</c>, busy timeout 30 s).
/// </para>
/// A call completes only after its transaction has committed.
/// </summary>
public sealed class UsageIngestStore : IAsyncDisposable
{
    /// <summary>Most events the SQLite writer commits in one transaction (several requests may share it).</summary>
    public const int MaxEventsPerTransaction = 20_000;

    private const int MaxAttempts = 5;

    /// <summary>
    /// The PostgreSQL statement, first form: a plain insert of every event, as cheap per row as <c>COPY</c>'s. If one key
    /// is already stored (a retried batch, or a concurrent request that committed it first; also twice in one call) the
    /// statement fails with a unique violation, nothing of it is committed, and it is run again in
    /// <see cref="PostgresOnConflictSql"/>'s form. A re-sent batch fails at its first event (events go in key order),
    /// so the failed attempt costs little.
    /// </summary>
    internal static readonly string PostgresSql = PostgresTemplate
        .Replace("/*on-conflict*/", "", StringComparison.Ordinal);

    /// <summary>The PostgreSQL statement, second form: <c>ON CONFLICT DO NOTHING</c> skips keys stored by anyone, also racing requests.</summary>
    internal static readonly string PostgresOnConflictSql = PostgresTemplate
        .Replace("/*on-conflict*/", "ON CONFLICT (tenant_id, event_id) DO NOTHING", StringComparison.Ordinal);

    private const string PostgresTemplate = """
        WITH ins AS (
            -- unnest emits the rows in array order, which is (tenant, id) order: see the lock order above.
            INSERT INTO usage_events (tenant_id, event_id, namespace, metric, object_name, quantity_micros, occurred_at_us, labels_json, received_at_us)
            SELECT tenant_id, event_id, namespace, metric, object_name, quantity_micros, occurred_at_us, labels_json, $9
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::text[])
                AS u(tenant_id, event_id, namespace, metric, object_name, quantity_micros, occurred_at_us, labels_json)
            /*on-conflict*/
            RETURNING tenant_id, namespace, metric, object_name, quantity_micros, occurred_at_us
        ), hours AS (
            SELECT tenant_id, namespace, metric, object_name, (occurred_at_us / 3600000000) * 3600 AS hour_start,
                   sum(quantity_micros) AS s, max(quantity_micros) AS m, count(*) AS c
            FROM ins
            GROUP BY 1, 2, 3, 4, 5
        ), rolled AS (
            INSERT INTO usage_hourly AS h (tenant_id, namespace, metric, object_name, hour_start, sum_micros, max_micros, event_count)
            SELECT tenant_id, namespace, metric, object_name, hour_start, s, m, c
            FROM hours
            ORDER BY 1, 2, 3, 4, 5
            ON CONFLICT (tenant_id, namespace, metric, object_name, hour_start) DO UPDATE
                SET sum_micros = h.sum_micros + excluded.sum_micros,
                    max_micros = GREATEST(h.max_micros, excluded.max_micros),
                    event_count = h.event_count + excluded.event_count
            RETURNING 1
        ), metric_rolled AS (
            -- The uncorrelated sub-query is evaluated once, before the first per-metric row: the hourly upsert has finished.
            INSERT INTO usage_metric_hourly AS mh (tenant_id, hour_start, namespace, metric, sum_micros, max_micros, event_count)
            SELECT tenant_id, hour_start, namespace, metric, sum(s), max(m), sum(c)
            FROM hours
            WHERE (SELECT count(*) FROM rolled) > 0
            GROUP BY 1, 2, 3, 4
            ORDER BY 1, 2, 3, 4
            ON CONFLICT (tenant_id, hour_start, namespace, metric) DO UPDATE
                SET sum_micros = mh.sum_micros + excluded.sum_micros,
                    max_micros = GREATEST(mh.max_micros, excluded.max_micros),
                    event_count = mh.event_count + excluded.event_count
            RETURNING 1
        ), daily AS (
            -- The uncorrelated sub-query is evaluated once, before the first daily row: the per-metric hourly upsert (and,
            -- through its own sub-query, the hourly one) has finished.
            INSERT INTO usage_daily AS d (tenant_id, day_start, namespace, metric, sum_micros, max_micros, event_count)
            SELECT tenant_id, (hour_start / 86400) * 86400, namespace, metric, sum(s), max(m), sum(c)
            FROM hours
            WHERE (SELECT count(*) FROM metric_rolled) > 0
            GROUP BY 1, 2, 3, 4
            ORDER BY 1, 2, 3, 4
            ON CONFLICT (tenant_id, day_start, namespace, metric) DO UPDATE
                SET sum_micros = d.sum_micros + excluded.sum_micros,
                    max_micros = GREATEST(d.max_micros, excluded.max_micros),
                    event_count = d.event_count + excluded.event_count
        )
        SELECT count(*) FROM ins
        """;

    internal const string SqliteInsertSql = """
        INSERT INTO usage_events (tenant_id, event_id, namespace, metric, object_name, quantity_micros, occurred_at_us, labels_json, received_at_us)
        VALUES ($tenant, $id, $ns, $metric, $object, $quantity, $occurred, $labels, $received)
        ON CONFLICT (tenant_id, event_id) DO NOTHING
        """;

    internal const string SqliteRollupSql = """
        INSERT INTO usage_hourly (tenant_id, namespace, metric, object_name, hour_start, sum_micros, max_micros, event_count)
        VALUES ($tenant, $ns, $metric, $object, $hour, $sum, $max, $count)
        ON CONFLICT (tenant_id, namespace, metric, object_name, hour_start) DO UPDATE
            SET sum_micros = sum_micros + excluded.sum_micros,
                max_micros = MAX(max_micros, excluded.max_micros),
                event_count = event_count + excluded.event_count
        """;

    internal const string SqliteMetricHourlySql = """
        INSERT INTO usage_metric_hourly (tenant_id, hour_start, namespace, metric, sum_micros, max_micros, event_count)
        VALUES ($tenant, $hour, $ns, $metric, $sum, $max, $count)
        ON CONFLICT (tenant_id, hour_start, namespace, metric) DO UPDATE
            SET sum_micros = sum_micros + excluded.sum_micros,
                max_micros = MAX(max_micros, excluded.max_micros),
                event_count = event_count + excluded.event_count
        """;

    internal const string SqliteDailySql = """
        INSERT INTO usage_daily (tenant_id, day_start, namespace, metric, sum_micros, max_micros, event_count)
        VALUES ($tenant, $day, $ns, $metric, $sum, $max, $count)
        ON CONFLICT (tenant_id, day_start, namespace, metric) DO UPDATE
            SET sum_micros = sum_micros + excluded.sum_micros,
                max_micros = MAX(max_micros, excluded.max_micros),
                event_count = event_count + excluded.event_count
        """;

    private readonly TallyDatabase _database;
    private readonly Channel<IngestCall>? _queue;
    private readonly Task? _writer;

    public UsageIngestStore(TallyDatabase database)
    {
        _database = database;
        if (database.Engine == DatabaseEngine.Sqlite)
        {
            _queue = Channel.CreateUnbounded<IngestCall>(new UnboundedChannelOptions { SingleReader = true });
            _writer = Task.Run(SqliteWriteLoopAsync);
        }
    }

    /// <summary>
    /// Stores <paramref name="events"/> (distinct (tenant, id) pairs) and returns how many were new; the others already
    /// existed. Returns after the commit.
    /// </summary>
    public async Task<int> IngestAsync(UsageEventRecord[] events, int count, long receivedAtUs, CancellationToken ct = default)
    {
        if (count == 0)
        {
            return 0;
        }

        if (_queue is not null)
        {
            var call = new IngestCall(events, count, receivedAtUs);
            ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(call), this);
            return await call.Result.Task.ConfigureAwait(false);
        }

        return await IngestPostgresAsync(events, count, receivedAtUs, ct).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_queue is not null && _writer is not null)
        {
            _queue.Writer.TryComplete();
            await _writer.ConfigureAwait(false);
        }
    }

    private async Task<int> IngestPostgresAsync(UsageEventRecord[] events, int count, long receivedAtUs, CancellationToken ct)
    {
        // Lock order: (tenant, id) ordinal. Every request inserts in this order, so none waits in a cycle.
        Array.Sort(events, 0, count, EventKeyComparer.Instance);
        var tenants = new string[count];
        var ids = new string[count];
        var namespaces = new string[count];
        var metrics = new string[count];
        var objects = new string[count];
        var quantities = new long[count];
        var occurred = new long[count];
        var labels = new string?[count];
        for (var i = 0; i < count; i++)
        {
            ref readonly var e = ref events[i];
            tenants[i] = e.TenantId;
            ids[i] = e.EventId;
            namespaces[i] = e.Namespace;
            metrics[i] = e.Metric;
            objects[i] = e.ObjectName;
            quantities[i] = e.QuantityMicros;
            occurred[i] = e.OccurredAtUs;
            labels[i] = e.LabelsJson;
        }

        var someKeyStored = false;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = (NpgsqlConnection)await _database.OpenConnectionAsync(ct).ConfigureAwait(false);
                await using var command = new NpgsqlCommand(someKeyStored ? PostgresOnConflictSql : PostgresSql, connection);
                command.Parameters.Add(new NpgsqlParameter<string[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = tenants });
                command.Parameters.Add(new NpgsqlParameter<string[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = ids });
                command.Parameters.Add(new NpgsqlParameter<string[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = namespaces });
                command.Parameters.Add(new NpgsqlParameter<string[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = metrics });
                command.Parameters.Add(new NpgsqlParameter<string[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = objects });
                command.Parameters.Add(new NpgsqlParameter<long[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, TypedValue = quantities });
                command.Parameters.Add(new NpgsqlParameter<long[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, TypedValue = occurred });
                command.Parameters.Add(new NpgsqlParameter<string?[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = labels });
                command.Parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = receivedAtUs });

                // One statement = one implicit transaction, committed (synchronous_commit) before the result is read.
                var inserted = await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
                return Convert.ToInt32(inserted, System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation && !someKeyStored)
            {
                // A key is stored already (a re-sent event, or a concurrent request's): nothing was committed; skip stored keys.
                someKeyStored = true;
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure && attempt < MaxAttempts)
            {
                // Nothing of this statement was committed; run it again.
            }
        }
    }

    private async Task SqliteWriteLoopAsync()
    {
        var batch = new List<IngestCall>();
        SqliteWriter? writer = null;
        try
        {
            while (await _queue!.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                var events = 0;
                while (events < MaxEventsPerTransaction && _queue.Reader.TryRead(out var call))
                {
                    batch.Add(call);
                    events += call.Count;
                }

                try
                {
                    writer ??= await SqliteWriter.OpenAsync(_database).ConfigureAwait(false);
                    var results = writer.Execute(batch);
                    for (var i = 0; i < batch.Count; i++)
                    {
                        batch[i].Result.TrySetResult(results[i]);
                    }
                }
#pragma warning disable CA1031 // Any failure must reach the waiting callers, and the loop must go on.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    foreach (var call in batch)
                    {
                        call.Result.TrySetException(e);
                    }

                    writer?.Dispose();
                    writer = null;
                }

                batch.Clear();
            }
        }
        finally
        {
            writer?.Dispose();
        }
    }

    private sealed record IngestCall(UsageEventRecord[] Events, int Count, long ReceivedAtUs)
    {
        // Answered on another thread: the writer loop goes on with the next batch at once.
        public TaskCompletionSource<int> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>The SQLite connection and prepared statements of the writer loop.</summary>
    private sealed class SqliteWriter : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _insert;
        private readonly SqliteCommand _rollup;
        private readonly SqliteCommand _metricHourly;
        private readonly SqliteCommand _daily;
        private readonly SqliteParameter[] _insertParameters;
        private readonly SqliteParameter[] _rollupParameters;
        private readonly SqliteParameter[] _metricHourlyParameters;
        private readonly SqliteParameter[] _dailyParameters;
        private readonly Dictionary<RollupKey, Rollup> _rollups = [];
        private readonly Dictionary<MetricPeriodKey, Rollup> _metricHours = [];
        private readonly Dictionary<MetricPeriodKey, Rollup> _dailies = [];

        private SqliteWriter(SqliteConnection connection)
        {
            _connection = connection;
            (_insert, _insertParameters) = Prepare(SqliteInsertSql, "$tenant", "$id", "$ns", "$metric", "$object", "$quantity", "$occurred", "$labels", "$received");
            (_rollup, _rollupParameters) = Prepare(SqliteRollupSql, "$tenant", "$ns", "$metric", "$object", "$hour", "$sum", "$max", "$count");
            (_metricHourly, _metricHourlyParameters) = Prepare(SqliteMetricHourlySql, "$tenant", "$hour", "$ns", "$metric", "$sum", "$max", "$count");
            (_daily, _dailyParameters) = Prepare(SqliteDailySql, "$tenant", "$day", "$ns", "$metric", "$sum", "$max", "$count");
        }

        public static async Task<SqliteWriter> OpenAsync(TallyDatabase database) =>
            new((SqliteConnection)await database.OpenConnectionAsync().ConfigureAwait(false));

        public int[] Execute(List<IngestCall> calls)
        {
            var results = new int[calls.Count];
            _rollups.Clear();
            _metricHours.Clear();
            _dailies.Clear();

            // BEGIN IMMEDIATE: take the write lock now, so another process's writer cannot leave this one unable to upgrade.
            using var transaction = _connection.BeginTransaction(IsolationLevel.Serializable, deferred: false);
            _insert.Transaction = transaction;
            _rollup.Transaction = transaction;
            _metricHourly.Transaction = transaction;
            _daily.Transaction = transaction;
            for (var c = 0; c < calls.Count; c++)
            {
                var call = calls[c];
                var p = _insertParameters;
                p[8].Value = call.ReceivedAtUs;
                var inserted = 0;
                for (var i = 0; i < call.Count; i++)
                {
                    ref readonly var e = ref call.Events[i];
                    p[0].Value = e.TenantId;
                    p[1].Value = e.EventId;
                    p[2].Value = e.Namespace;
                    p[3].Value = e.Metric;
                    p[4].Value = e.ObjectName;
                    p[5].Value = e.QuantityMicros;
                    p[6].Value = e.OccurredAtUs;
                    p[7].Value = (object?)e.LabelsJson ?? DBNull.Value;
                    if (_insert.ExecuteNonQuery() == 1)
                    {
                        inserted++;
                        var key = new RollupKey(e.TenantId, e.Namespace, e.Metric, e.ObjectName, Domain.Usage.UsageRules.HourStart(e.OccurredAtUs));
                        ref var r = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_rollups, key, out var existed);
                        r = Rollup.Add(existed, r, new Rollup(e.QuantityMicros, e.QuantityMicros, 1));
                    }
                }

                results[c] = inserted;
            }

            foreach (var (key, r) in _rollups.OrderBy(kv => kv.Key, RollupKeyComparer.Instance))
            {
                var p = _rollupParameters;
                p[0].Value = key.TenantId;
                p[1].Value = key.Namespace;
                p[2].Value = key.Metric;
                p[3].Value = key.ObjectName;
                p[4].Value = key.HourStart;
                p[5].Value = r.Sum;
                p[6].Value = r.Max;
                p[7].Value = r.Count;
                _rollup.ExecuteNonQuery();

                var hourKey = new MetricPeriodKey(key.TenantId, key.HourStart, key.Namespace, key.Metric);
                ref var h = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_metricHours, hourKey, out var hourExisted);
                h = Rollup.Add(hourExisted, h, r);
            }

            foreach (var (key, r) in _metricHours.OrderBy(kv => kv.Key, MetricPeriodKeyComparer.Instance))
            {
                Upsert(_metricHourly, _metricHourlyParameters, key, r);

                var dayKey = key with { Start = Domain.Usage.UsageRules.DayStart(key.Start) };
                ref var d = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_dailies, dayKey, out var dayExisted);
                d = Rollup.Add(dayExisted, d, r);
            }

            foreach (var (key, r) in _dailies.OrderBy(kv => kv.Key, MetricPeriodKeyComparer.Instance))
            {
                Upsert(_daily, _dailyParameters, key, r);
            }

            transaction.Commit();
            return results;
        }

        public void Dispose()
        {
            _insert.Dispose();
            _rollup.Dispose();
            _metricHourly.Dispose();
            _daily.Dispose();
            _connection.Dispose();
        }

        /// <summary>Runs a per-metric roll-up upsert (parameters: tenant, period start, namespace, metric, sum, max, count).</summary>
        private static void Upsert(SqliteCommand command, SqliteParameter[] p, MetricPeriodKey key, Rollup r)
        {
            p[0].Value = key.TenantId;
            p[1].Value = key.Start;
            p[2].Value = key.Namespace;
            p[3].Value = key.Metric;
            p[4].Value = r.Sum;
            p[5].Value = r.Max;
            p[6].Value = r.Count;
            command.ExecuteNonQuery();
        }

        private (SqliteCommand, SqliteParameter[]) Prepare(string sql, params string[] names)
        {
            var command = _connection.CreateCommand();
            command.CommandText = sql;
            var parameters = names.Select(n => command.Parameters.Add(new SqliteParameter(n, DBNull.Value))).ToArray();
            command.Prepare();
            return (command, parameters);
        }
    }

    private readonly record struct RollupKey(string TenantId, string Namespace, string Metric, string ObjectName, long HourStart);

    private readonly record struct Rollup(long Sum, long Max, long Count)
    {
        /// <summary><paramref name="more"/> added to <paramref name="existing"/> (when <paramref name="exists"/>): sums and counts add, maxima take the larger.</summary>
        public static Rollup Add(bool exists, Rollup existing, Rollup more) =>
            exists ? new Rollup(existing.Sum + more.Sum, Math.Max(existing.Max, more.Max), existing.Count + more.Count) : more;
    }

    /// <summary>The key of a usage_metric_hourly (<see cref="Start"/> = hour start) or usage_daily (day start) row.</summary>
    private readonly record struct MetricPeriodKey(string TenantId, long Start, string Namespace, string Metric);

    private sealed class MetricPeriodKeyComparer : IComparer<MetricPeriodKey>
    {
        public static readonly MetricPeriodKeyComparer Instance = new();

        public int Compare(MetricPeriodKey x, MetricPeriodKey y)
        {
            var c = string.CompareOrdinal(x.TenantId, y.TenantId);
            c = c != 0 ? c : x.Start.CompareTo(y.Start);
            c = c != 0 ? c : string.CompareOrdinal(x.Namespace, y.Namespace);
            return c != 0 ? c : string.CompareOrdinal(x.Metric, y.Metric);
        }
    }

    private sealed class RollupKeyComparer : IComparer<RollupKey>
    {
        public static readonly RollupKeyComparer Instance = new();

        public int Compare(RollupKey x, RollupKey y)
        {
            var c = string.CompareOrdinal(x.TenantId, y.TenantId);
            c = c != 0 ? c : string.CompareOrdinal(x.Namespace, y.Namespace);
            c = c != 0 ? c : string.CompareOrdinal(x.Metric, y.Metric);
            c = c != 0 ? c : string.CompareOrdinal(x.ObjectName, y.ObjectName);
            return c != 0 ? c : x.HourStart.CompareTo(y.HourStart);
        }
    }

    private sealed class EventKeyComparer : IComparer<UsageEventRecord>
    {
        public static readonly EventKeyComparer Instance = new();

        public int Compare(UsageEventRecord x, UsageEventRecord y)
        {
            var c = string.CompareOrdinal(x.TenantId, y.TenantId);
            return c != 0 ? c : string.CompareOrdinal(x.EventId, y.EventId);
        }
    }
}
