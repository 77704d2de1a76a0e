using System.Globalization;
using System.Text;

namespace Tally.Bench;

/// <summary>One generated usage event, with the values both the baselines and Tally store.</summary>
internal readonly record struct IngestEvent(
    string Tenant, string Id, string Namespace, string Metric, string ObjectName, long QuantityMicros, long OccurredAtUs, string? LabelsJson);

/// <summary>
/// Realistic usage events: several tenants, namespaces, metrics and objects, timestamps spread over the last 6 hours,
/// quantities with up to 3 decimals, labels on a quarter of the events, unique ids. Deterministic for a seed.
/// </summary>
internal static class IngestData
{
    public static readonly string[] Metrics = ["requests", "bytes_out", "cpu_seconds", "storage_gb"];
    public static readonly string[] Namespaces = ["default", "edge", "batch"];
    public const int ObjectsPerNamespace = 50;

    private static readonly string[] Regions = ["eu-west-1", "us-east-1", "ap-northeast-1"];

    public static IngestEvent[] Generate(string[] tenants, string idPrefix, int count, DateTimeOffset now, int seed)
    {
        var random = new Random(seed);
        var nowUs = now.ToUnixTimeMilliseconds() * 1000;
        var span = (long)TimeSpan.FromHours(6).TotalMicroseconds;
        var events = new IngestEvent[count];
        for (var i = 0; i < count; i++)
        {
            var metric = Metrics[random.Next(Metrics.Length)];
            var quantity = metric switch
            {
                "requests" => random.Next(1, 500) * 1_000_000L,
                "bytes_out" => random.NextInt64(1, 10_000_000) * 1_000_000L,
                "cpu_seconds" => random.Next(1, 3_600_000) * 1000L,
                _ => random.Next(0, 1_000_000) * 1000L,
            };
            var labels = random.Next(4) == 0
                ? $"{{\"region\":\"{Regions[random.Next(Regions.Length)]}\",\"sku\":\"s{random.Next(10).ToString(CultureInfo.InvariantCulture)}\"}}"
                : null;
            events[i] = new IngestEvent(
                tenants[random.Next(tenants.Length)],
                string.Create(CultureInfo.InvariantCulture, $"{idPrefix}-{i:x8}-{random.Next():x8}"),
                Namespaces[random.Next(Namespaces.Length)],
                metric,
                string.Create(CultureInfo.InvariantCulture, $"obj-{random.Next(ObjectsPerNamespace)}"),
                quantity,
                nowUs - span + (span * i / count) - random.Next(0, 60_000_000),
                labels);
        }

        return events;
    }

    /// <summary><c>{"events":[...]}</c> for events [offset, offset + count), UTF-8.</summary>
    public static byte[] JsonBody(IngestEvent[] events, int offset, int count)
    {
        var text = new StringBuilder(count * 260);
        text.Append("{\"events\":[");
        for (var i = offset; i < offset + count; i++)
        {
            var e = events[i];
            if (i > offset)
            {
                text.Append(',');
            }

            text.Append(CultureInfo.InvariantCulture,
                $"{{\"id\":\"{e.Id}\",\"tenant\":\"{e.Tenant}\",\"namespace\":\"{e.Namespace}\",\"metric\":\"{e.Metric}\",\"quantity\":{Units(e.QuantityMicros)},\"timestamp\":\"{Timestamp(e.OccurredAtUs)}\",\"object_name\":\"{e.ObjectName}\"");
            if (e.LabelsJson is not null)
            {
                text.Append(",\"labels\":").Append(e.LabelsJson);
            }

            text.Append('}');
        }

        return Encoding.UTF8.GetBytes(text.Append("]}").ToString());
    }

    private static string Units(long micros) => (micros / 1_000_000m).ToString(CultureInfo.InvariantCulture);

    private static string Timestamp(long us) =>
        DateTime.UnixEpoch.AddTicks(us * 10).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
