using System.Data.Common;
using System.Globalization;

namespace Tally.Storage;

/// <summary>Aggregates of one metric (optionally of one namespace and object) over a range of hours. Quantities in micros.</summary>
public readonly record struct UsageTotal(string Namespace, string Metric, string ObjectName, long SumMicros, long MaxMicros, long EventCount);

/// <summary>One hourly roll-up row. <see cref="HourStart"/> is unix seconds of the UTC hour's start.</summary>
public readonly record struct UsageHour(long HourStart, long SumMicros, long MaxMicros, long EventCount);

/// <summary>A range <c>[From, To)</c> of unix seconds; an hour belongs to it when the hour's start does.</summary>
public readonly record struct HourRange(long From, long To);

/// <summary>
/// Read-only queries over the roll-ups (<c>usage_hourly</c>, <c>usage_metric_hourly</c>, <c>usage_daily</c>); never over
/// raw events. Every query is
/// scoped to one tenant. A range <c>[fromHour, toHour)</c> is in unix seconds; an hour belongs to the range when its
/// start does (callers pass <see cref="CeilingHour"/> of a period's bounds, so an hour belongs to the period containing
/// its start). <c>ns</c> null = the whole tenant.
/// </summary>
public sealed class UsageQueries(TallyDatabase database)
{
    private const int SecondsPerDay = 86400;

    // The namespace predicate is written only when the query narrows to one: an "(@ns = '' OR namespace = @ns)" form
    // defeats the index in PostgreSQL's generic plan for the auto-prepared statement.
    private static string Scope(string? ns) =>
        "tenant_id = @tenant AND hour_start >= @from AND hour_start < @to" + (ns is null ? "" : " AND namespace = @ns");

    /// <summary>The first UTC hour start (unix seconds) at or after <paramref name="instant"/>.</summary>
    public static long CeilingHour(DateTimeOffset instant)
    {
        var ticks = instant.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var hours = (ticks / TimeSpan.TicksPerHour) + (ticks % TimeSpan.TicksPerHour > 0 ? 1 : 0);
        return hours * 3600;
    }

    /// <summary>
    /// Per metric over the range: sum, max of hourly maxima, count; ordered by metric (ordinal).
    /// <see cref="UsageTotal.Namespace"/> and object are "". Same answer as aggregating the range's hourly rows; see
    /// <see cref="ByMetricRangesAsync"/> for how it is read.
    /// </summary>
    public async Task<IReadOnlyList<UsageTotal>> ByMetricAsync(string tenant, string? ns, long fromHour, long toHour, CancellationToken ct) =>
        (await ByMetricRangesAsync(tenant, ns, [new HourRange(fromHour, toHour)], ct).ConfigureAwait(false))[0];

    /// <summary>
    /// <see cref="ByMetricAsync"/> for several ranges in one statement: element i of the answer is range i's totals.
    /// Each range is read as its whole UTC days from <c>usage_daily</c> plus the hours before its first whole day and
    /// after its last one from <c>usage_metric_hourly</c>, merged per metric (sum of sums, max of maxima, sum of counts);
    /// a range without a whole UTC day is read from <c>usage_metric_hourly</c> only. A daily row holds exactly its day's
    /// hourly rows and a per-metric hourly row exactly its hour's per-object rows, so the answer equals the one from
    /// <c>usage_hourly</c> alone, while a month costs about 30 daily rows plus at most 46 edge hours per (namespace,
    /// metric) instead of 720 hourly rows per (namespace, metric, object): the object count no longer matters.
    /// </summary>
    public async Task<IReadOnlyList<IReadOnlyList<UsageTotal>>> ByMetricRangesAsync(string tenant, string? ns, IReadOnlyList<HourRange> ranges, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var merged = new SortedDictionary<string, (long Sum, long Max, long Count)>[ranges.Count];
        await using var connection = await database.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        var sql = new System.Text.StringBuilder();
        var pieces = 0;
        for (var i = 0; i < ranges.Count; i++)
        {
            merged[i] = new SortedDictionary<string, (long, long, long)>(StringComparer.Ordinal);
            foreach (var (daily, from, to) in Split(ranges[i]))
            {
                var (table, column) = daily ? ("usage_daily", "day_start") : ("usage_metric_hourly", "hour_start");
                sql.Append(pieces == 0 ? "" : " UNION ALL ").Append(CultureInfo.InvariantCulture,
                    $"SELECT {i}, metric, SUM(sum_micros), MAX(max_micros), SUM(event_count) FROM {table} WHERE tenant_id = @tenant AND {column} >= @f{pieces} AND {column} < @t{pieces}{(ns is null ? "" : " AND namespace = @ns")} GROUP BY metric");
                Add(command, string.Create(CultureInfo.InvariantCulture, $"f{pieces}"), from);
                Add(command, string.Create(CultureInfo.InvariantCulture, $"t{pieces}"), to);
                pieces++;
            }
        }

        if (pieces > 0)
        {
            command.CommandText = sql.ToString();
            Add(command, "tenant", tenant);
            if (ns is not null)
            {
                Add(command, "ns", ns);
            }
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var totals = merged[Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture)];
                var metric = reader.GetString(1);
                var (sum, max, count) = (Int64(reader, 2), Int64(reader, 3), Int64(reader, 4));
                totals[metric] = totals.TryGetValue(metric, out var t) ? (t.Sum + sum, Math.Max(t.Max, max), t.Count + count) : (sum, max, count);
            }
        }

        return [.. merged.Select(m => (IReadOnlyList<UsageTotal>)[.. m.Select(kv => new UsageTotal("", kv.Key, "", kv.Value.Sum, kv.Value.Max, kv.Value.Count))])];
    }

    /// <summary>
    /// Per metric over each request's range of its own tenant (the whole tenant, every namespace), answer i for request i:
    /// what <see cref="ByMetricRangesAsync(string, string?, IReadOnlyList{HourRange}, CancellationToken)"/> answers for
    /// one tenant and range, for many tenants at once. PostgreSQL reads all requests in one statement (the ranges'
    /// pieces as arrays, joined to the roll-ups); SQLite, embedded, asks tenant by tenant.
    /// </summary>
    public async Task<IReadOnlyList<IReadOnlyList<UsageTotal>>> ByMetricRangesAsync(IReadOnlyList<(string Tenant, HourRange Range)> requests, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var answers = new IReadOnlyList<UsageTotal>[requests.Count];
        if (database.Engine != DatabaseEngine.Postgres)
        {
            foreach (var group in requests.Select((r, i) => (r.Tenant, r.Range, Index: i)).GroupBy(r => r.Tenant, StringComparer.Ordinal))
            {
                var list = group.ToList();
                var totals = await ByMetricRangesAsync(group.Key, null, [.. list.Select(r => r.Range)], ct).ConfigureAwait(false);
                for (var j = 0; j < list.Count; j++)
                {
                    answers[list[j].Index] = totals[j];
                }
            }

            return answers;
        }

        var merged = new SortedDictionary<string, (long Sum, long Max, long Count)>[requests.Count];
        var (daily, hourly) = (new Pieces(), new Pieces());
        for (var i = 0; i < requests.Count; i++)
        {
            merged[i] = new SortedDictionary<string, (long, long, long)>(StringComparer.Ordinal);
            foreach (var (isDaily, from, to) in Split(requests[i].Range))
            {
                (isDaily ? daily : hourly).Add(i, requests[i].Tenant, from, to);
            }
        }

        if (daily.Count + hourly.Count > 0)
        {
            await using var connection = await database.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = BulkSql;
            daily.AddParameters(command, "d");
            hourly.AddParameters(command, "h");
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var totals = merged[reader.GetInt32(0)];
                var metric = reader.GetString(1);
                var (sum, max, count) = (Int64(reader, 2), Int64(reader, 3), Int64(reader, 4));
                totals[metric] = totals.TryGetValue(metric, out var t) ? (t.Sum + sum, Math.Max(t.Max, max), t.Count + count) : (sum, max, count);
            }
        }

        for (var i = 0; i < requests.Count; i++)
        {
            answers[i] = [.. merged[i].Select(kv => new UsageTotal("", kv.Key, "", kv.Value.Sum, kv.Value.Max, kv.Value.Count))];
        }

        return answers;
    }

    private const string BulkSql =
        "SELECT r.i, d.metric, SUM(d.sum_micros), MAX(d.max_micros), SUM(d.event_count) "
        + "FROM unnest(@di, @dt, @df, @dto) AS r(i, tenant, f, t) "
        + "JOIN usage_daily d ON d.tenant_id = r.tenant AND d.day_start >= r.f AND d.day_start < r.t GROUP BY r.i, d.metric "
        + "UNION ALL "
        + "SELECT r.i, h.metric, SUM(h.sum_micros), MAX(h.max_micros), SUM(h.event_count) "
        + "FROM unnest(@hi, @ht, @hf, @hto) AS r(i, tenant, f, t) "
        + "JOIN usage_metric_hourly h ON h.tenant_id = r.tenant AND h.hour_start >= r.f AND h.hour_start < r.t GROUP BY r.i, h.metric";

    /// <summary>Range pieces of many tenants as parallel arrays (request index, tenant, from, to).</summary>
    private sealed class Pieces
    {
        private readonly List<int> _index = [];
        private readonly List<string> _tenant = [];
        private readonly List<long> _from = [];
        private readonly List<long> _to = [];

        public int Count => _index.Count;

        public void Add(int index, string tenant, long from, long to)
        {
            _index.Add(index);
            _tenant.Add(tenant);
            _from.Add(from);
            _to.Add(to);
        }

        public void AddParameters(DbCommand command, string prefix)
        {
            UsageQueries.Add(command, prefix + "i", _index.ToArray());
            UsageQueries.Add(command, prefix + "t", _tenant.ToArray());
            UsageQueries.Add(command, prefix + "f", _from.ToArray());
            UsageQueries.Add(command, prefix + "to", _to.ToArray());
        }
    }

    /// <summary>
    /// The pieces of a range: its whole UTC days (<c>Daily</c>, bounds are day starts) and the hours around them, or all
    /// of it as hours when it holds no whole UTC day. Empty ranges have no pieces.
    /// </summary>
    internal static IEnumerable<(bool Daily, long From, long To)> Split(HourRange range)
    {
        if (range.To <= range.From)
        {
            yield break;
        }

        var floorFrom = Domain.Usage.UsageRules.DayStart(range.From);
        var firstDay = floorFrom == range.From ? floorFrom : floorFrom + SecondsPerDay;
        var lastDay = Domain.Usage.UsageRules.DayStart(range.To);
        if (firstDay >= lastDay)
        {
            yield return (false, range.From, range.To);
            yield break;
        }

        if (range.From < firstDay)
        {
            yield return (false, range.From, firstDay);
        }

        yield return (true, firstDay, lastDay);
        if (lastDay < range.To)
        {
            yield return (false, lastDay, range.To);
        }
    }

    /// <summary>Per (namespace, metric, object) over the range, ordered by those keys.</summary>
    public Task<IReadOnlyList<UsageTotal>> ByObjectAsync(string tenant, string? ns, long fromHour, long toHour, CancellationToken ct) =>
        QueryAsync(
            $"SELECT namespace, metric, object_name, SUM(sum_micros), MAX(max_micros), SUM(event_count) FROM usage_hourly WHERE {Scope(ns)} GROUP BY namespace, metric, object_name ORDER BY namespace, metric, object_name",
            tenant, ns, fromHour, toHour, ct);

    /// <summary>The hourly rows of one (namespace, metric, object), oldest first.</summary>
    public async Task<IReadOnlyList<UsageHour>> HoursAsync(string tenant, string ns, string metric, string objectName, long fromHour, long toHour, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT hour_start, sum_micros, max_micros, event_count FROM usage_hourly
            WHERE tenant_id = @tenant AND namespace = @ns AND metric = @metric AND object_name = @object
              AND hour_start >= @from AND hour_start < @to
            ORDER BY hour_start
            """;
        Add(command, "tenant", tenant);
        Add(command, "ns", ns);
        Add(command, "metric", metric);
        Add(command, "object", objectName);
        Add(command, "from", fromHour);
        Add(command, "to", toHour);
        var hours = new List<UsageHour>();
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            hours.Add(new UsageHour(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
        }

        return hours;
    }

    private async Task<IReadOnlyList<UsageTotal>> QueryAsync(string sql, string tenant, string? ns, long fromHour, long toHour, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        Add(command, "tenant", tenant);
        if (ns is not null)
        {
            Add(command, "ns", ns);
        }
        Add(command, "from", fromHour);
        Add(command, "to", toHour);
        var totals = new List<UsageTotal>();
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            totals.Add(new UsageTotal(
                reader.GetString(0), reader.GetString(1), reader.GetString(2),
                Int64(reader, 3), Int64(reader, 4), Int64(reader, 5)));
        }

        return totals;
    }

    // SUM over bigint is numeric on PostgreSQL; read any numeric type as an exact long.
    private static long Int64(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? 0 : Convert.ToInt64(reader.GetValue(ordinal), CultureInfo.InvariantCulture);

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
