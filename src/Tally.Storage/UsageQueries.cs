using System.Data.Common;
using System.Globalization;

namespace Tally.Storage;

/// <summary>Aggregates of one metric (optionally of one namespace and object) over a range of hours. Quantities in micros.</summary>
public readonly record struct UsageTotal(string Namespace, string Metric, string ObjectName, long SumMicros, long MaxMicros, long EventCount);

/// <summary>One hourly roll-up row. <see cref="HourStart"/> is unix seconds of the UTC hour's start.</summary>
public readonly record struct UsageHour(long HourStart, long SumMicros, long MaxMicros, long EventCount);

/// <summary>
/// Read-only queries over the hourly roll-ups (<c>usage_hourly</c>); never over raw events. Every query is scoped to one
/// tenant. A range <c>[fromHour, toHour)</c> is in unix seconds; an hour belongs to the range when its start does
/// (callers pass <see cref="CeilingHour"/> of a period's bounds, so an hour belongs to the period containing its start).
/// <c>ns</c> null = the whole tenant.
/// </summary>
public sealed class UsageQueries(TallyDatabase database)
{
    private const string Scope = "tenant_id = @tenant AND hour_start >= @from AND hour_start < @to AND (@ns = '' OR namespace = @ns)";

    /// <summary>The first UTC hour start (unix seconds) at or after <paramref name="instant"/>.</summary>
    public static long CeilingHour(DateTimeOffset instant)
    {
        var ticks = instant.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var hours = (ticks / TimeSpan.TicksPerHour) + (ticks % TimeSpan.TicksPerHour > 0 ? 1 : 0);
        return hours * 3600;
    }

    /// <summary>Per metric over the range: sum, max of hourly maxima, count. <see cref="UsageTotal.Namespace"/> and object are "".</summary>
    public Task<IReadOnlyList<UsageTotal>> ByMetricAsync(string tenant, string? ns, long fromHour, long toHour, CancellationToken ct) =>
        QueryAsync(
            $"SELECT '' , metric, '', SUM(sum_micros), MAX(max_micros), SUM(event_count) FROM usage_hourly WHERE {Scope} GROUP BY metric ORDER BY metric",
            tenant, ns, fromHour, toHour, ct);

    /// <summary>Per (namespace, metric, object) over the range, ordered by those keys.</summary>
    public Task<IReadOnlyList<UsageTotal>> ByObjectAsync(string tenant, string? ns, long fromHour, long toHour, CancellationToken ct) =>
        QueryAsync(
            $"SELECT namespace, metric, object_name, SUM(sum_micros), MAX(max_micros), SUM(event_count) FROM usage_hourly WHERE {Scope} GROUP BY namespace, metric, object_name ORDER BY namespace, metric, object_name",
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
        Add(command, "ns", ns ?? "");
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
