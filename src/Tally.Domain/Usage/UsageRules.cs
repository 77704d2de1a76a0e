using System.Globalization;

namespace Tally.Domain.Usage;

/// <summary>Why one usage event was not accepted: the field at fault (snake_case) and a sentence for the caller.</summary>
public readonly record struct UsageRejection(string Field, string Reason);

/// <summary>
/// One usage event as read from the wire, before validation. Quantity and timestamp arrive already parsed by
/// <see cref="UsageRules.TryParseQuantity"/> and <see cref="UsageRules.TryParseTimestamp"/> (so the reader needs no
/// string per value); their error, if any, is in <see cref="QuantityError"/> / <see cref="TimestampError"/>.
/// Labels arrive as their JSON text plus the checked shape (<see cref="LabelsError"/>).
/// </summary>
public struct UsageEventInput
{
    public string? Id { get; set; }
    public string? Tenant { get; set; }
    public string? Namespace { get; set; }
    public string? Metric { get; set; }
    public string? ObjectName { get; set; }
    public bool HasQuantity { get; set; }
    public long QuantityMicros { get; set; }
    public string? QuantityError { get; set; }
    public bool HasTimestamp { get; set; }
    public long OccurredAtUs { get; set; }
    public string? TimestampError { get; set; }
    public string? LabelsJson { get; set; }
    public string? LabelsError { get; set; }
}

/// <summary>
/// Pure rules for usage events (DESIGN.md "Usage"): id, names, quantity in micros, RFC 3339 timestamps and the
/// acceptance window. No I/O: whether the tenant, namespace and metric exist is checked by the caller.
/// </summary>
public static class UsageRules
{
    /// <summary>Most events in one ingest request.</summary>
    public const int MaxEventsPerRequest = 10_000;

    /// <summary>Longest event id (the idempotency key), in UTF-16 code units.</summary>
    public const int MaxIdLength = 128;

    /// <summary>Longest metric name (the catalog's key length).</summary>
    public const int MaxMetricLength = 63;

    /// <summary>Longest object name.</summary>
    public const int MaxObjectNameLength = 256;

    /// <summary>Most labels on one event.</summary>
    public const int MaxLabels = 32;

    public const int MaxLabelKeyLength = 63;

    public const int MaxLabelValueLength = 256;

    /// <summary>Largest <c>labels</c> object, as JSON text (UTF-8 bytes).</summary>
    public const int MaxLabelsJsonBytes = 4096;

    public const long MicrosPerUnit = 1_000_000;

    /// <summary>Largest quantity of one event, in metric units (keeps micros, and hourly sums of many events, far from overflow).</summary>
    public const decimal MaxQuantity = 1_000_000_000_000m;

    /// <summary>How far in the future an event may be stamped (clock skew of the producer).</summary>
    public static readonly TimeSpan MaxFuture = TimeSpan.FromMinutes(5);

    public const long MicrosPerHour = 3_600_000_000L;

    /// <summary>
    /// The first reason <paramref name="e"/> cannot be accepted at <paramref name="now"/>, checking fields in wire order
    /// (id, tenant, namespace, metric, quantity, timestamp, object_name, labels); null when it is valid.
    /// </summary>
    public static UsageRejection? Validate(in UsageEventInput e, DateTimeOffset now, TimeSpan maxAge)
    {
        if (CheckId(e.Id) is { } id)
        {
            return new UsageRejection("id", id);
        }

        if (string.IsNullOrEmpty(e.Tenant))
        {
            return new UsageRejection("tenant", "tenant is required.");
        }

        if (!Names.IsDns1035Label(e.Tenant))
        {
            return new UsageRejection("tenant", $"tenant '{Names.Truncate(e.Tenant)}' does not exist.");
        }

        if (string.IsNullOrEmpty(e.Namespace))
        {
            return new UsageRejection("namespace", "namespace is required.");
        }

        if (!Names.IsDns1035Label(e.Namespace))
        {
            return new UsageRejection("namespace", $"namespace '{Names.Truncate(e.Namespace)}' does not exist in tenant '{e.Tenant}'.");
        }

        if (string.IsNullOrEmpty(e.Metric))
        {
            return new UsageRejection("metric", "metric is required.");
        }

        if (e.Metric.Length > MaxMetricLength)
        {
            return new UsageRejection("metric", $"metric '{Names.Truncate(e.Metric)}' is not in the catalog.");
        }

        if (!e.HasQuantity)
        {
            return new UsageRejection("quantity", "quantity is required.");
        }

        if (e.QuantityError is { } quantity)
        {
            return new UsageRejection("quantity", quantity);
        }

        if (!e.HasTimestamp)
        {
            return new UsageRejection("timestamp", "timestamp is required.");
        }

        if (e.TimestampError is { } timestamp)
        {
            return new UsageRejection("timestamp", timestamp);
        }

        if (CheckWindow(e.OccurredAtUs, now, maxAge) is { } window)
        {
            return new UsageRejection("timestamp", window);
        }

        if (e.ObjectName is { } objectName && CheckObjectName(objectName) is { } obj)
        {
            return new UsageRejection("object_name", obj);
        }

        if (e.LabelsError is { } labels)
        {
            return new UsageRejection("labels", labels);
        }

        return null;
    }

    /// <summary>Null when <paramref name="id"/> is a usable idempotency key: 1-128 characters, no control characters.</summary>
    public static string? CheckId(string? id) =>
        string.IsNullOrEmpty(id) ? "id is required."
        : id.Length > MaxIdLength ? $"id is longer than {MaxIdLength} characters."
        : HasControlCharacters(id) ? "id must not contain control characters."
        : null;

    public static string? CheckObjectName(string name) =>
        name.Length > MaxObjectNameLength ? $"object_name is longer than {MaxObjectNameLength} characters."
        : HasControlCharacters(name) ? "object_name must not contain control characters."
        : null;

    /// <summary>Null when one label is acceptable: key 1-63 characters, value up to 256, neither with control characters.</summary>
    public static string? CheckLabel(string key, string value) =>
        key.Length is 0 or > MaxLabelKeyLength ? $"label keys must be 1-{MaxLabelKeyLength} characters ('{Names.Truncate(key)}' is not)."
        : value.Length > MaxLabelValueLength ? $"the value of label '{key}' is longer than {MaxLabelValueLength} characters."
        : HasControlCharacters(key) || HasControlCharacters(value) ? $"label '{Names.Truncate(key)}' contains control characters."
        : null;

    /// <summary>Null when an event stamped <paramref name="occurredAtUs"/> (unix µs) is inside [now - maxAge, now + 5 min].</summary>
    public static string? CheckWindow(long occurredAtUs, DateTimeOffset now, TimeSpan maxAge)
    {
        var nowUs = ToUnixMicros(now);
        if (occurredAtUs > nowUs + (long)MaxFuture.TotalMicroseconds)
        {
            return $"timestamp is more than {MaxFuture.TotalMinutes:0} minutes in the future.";
        }

        if (occurredAtUs < nowUs - (long)maxAge.TotalMicroseconds)
        {
            return $"timestamp is older than the accepted age of {Describe(maxAge)}.";
        }

        return null;
    }

    /// <summary>
    /// A quantity's text (a JSON number, or the content of a JSON string) → micros. Must be a finite decimal ≥ 0 with
    /// at most 6 decimal places (trailing zeros don't count) and at most <see cref="MaxQuantity"/>.
    /// </summary>
    public static bool TryParseQuantity(ReadOnlySpan<char> text, out long micros, out string? error)
    {
        micros = 0;
        var trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            error = "quantity must be a decimal number.";
            return false;
        }

        if (trimmed.Equals("NaN", StringComparison.OrdinalIgnoreCase) || trimmed.Contains("Infinity", StringComparison.OrdinalIgnoreCase)
            || trimmed.Contains("inf", StringComparison.OrdinalIgnoreCase))
        {
            error = "quantity must be a finite number.";
            return false;
        }

        if (!decimal.TryParse(trimmed, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var value))
        {
            // Syntactically a number but beyond decimal's range (e.g. 1e400).
            error = IsNumberSyntax(trimmed) ? $"quantity must be at most {MaxQuantity:0}." : "quantity must be a decimal number.";
            return false;
        }

        return TryToMicros(value, out micros, out error);
    }

    /// <summary><paramref name="value"/> in units → micros, with the rules of <see cref="TryParseQuantity"/>.</summary>
    public static bool TryToMicros(decimal value, out long micros, out string? error)
    {
        micros = 0;
        if (value < 0)
        {
            error = "quantity must be 0 or more.";
            return false;
        }

        if (value > MaxQuantity)
        {
            error = $"quantity must be at most {MaxQuantity:0}.";
            return false;
        }

        var scaled = value * MicrosPerUnit;
        if (scaled != decimal.Truncate(scaled))
        {
            error = "quantity has more than 6 decimal places.";
            return false;
        }

        micros = (long)scaled;
        error = null;
        return true;
    }

    /// <summary>
    /// Parses an RFC 3339 date-time (<c>2026-11-24T12:00:00Z</c>, <c>...T12:00:00.123456789+09:00</c>; 'T' and 'Z' in
    /// either case) to unix microseconds UTC. Fractions finer than a microsecond are truncated. A time without an offset,
    /// a date alone, or an impossible date is refused.
    /// </summary>
    public static bool TryParseTimestamp(ReadOnlySpan<char> s, out long unixMicros)
    {
        unixMicros = 0;
        if (s.Length < 20
            || !Digits(s, 0, 4, out var year) || s[4] != '-' || !Digits(s, 5, 2, out var month) || s[7] != '-'
            || !Digits(s, 8, 2, out var day) || (s[10] is not ('T' or 't'))
            || !Digits(s, 11, 2, out var hour) || s[13] != ':' || !Digits(s, 14, 2, out var minute) || s[16] != ':'
            || !Digits(s, 17, 2, out var second))
        {
            return false;
        }

        var i = 19;
        long fractionMicros = 0;
        if (s[i] == '.')
        {
            i++;
            var start = i;
            var scale = 100_000L;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                fractionMicros += (s[i] - '0') * scale;
                scale /= 10;
                i++;
            }

            if (i == start)
            {
                return false;
            }
        }

        if (i >= s.Length)
        {
            return false;
        }

        var offsetMinutes = 0;
        if (s[i] is 'Z' or 'z')
        {
            i++;
        }
        else if (s[i] is '+' or '-')
        {
            if (s.Length - i != 6 || !Digits(s, i + 1, 2, out var oh) || s[i + 3] != ':' || !Digits(s, i + 4, 2, out var om) || oh > 23 || om > 59)
            {
                return false;
            }

            offsetMinutes = ((oh * 60) + om) * (s[i] == '-' ? -1 : 1);
            i += 6;
        }
        else
        {
            return false;
        }

        if (i != s.Length || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified);
        var utcTicks = local.Ticks - (offsetMinutes * TimeSpan.TicksPerMinute);
        if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks)
        {
            return false;
        }

        unixMicros = ((utcTicks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMicrosecond) + fractionMicros;
        return true;
    }

    /// <summary>Start of the UTC hour holding <paramref name="occurredAtUs"/>, in unix seconds.</summary>
    public static long HourStart(long occurredAtUs) => Math.DivRem(occurredAtUs, MicrosPerHour) switch
    {
        var (q, r) when r < 0 => (q - 1) * 3600,
        var (q, _) => q * 3600,
    };

    /// <summary>Start of the UTC day holding the instant <paramref name="unixSeconds"/> (e.g. an hour start), in unix seconds.</summary>
    public static long DayStart(long unixSeconds) => Math.DivRem(unixSeconds, 86400L) switch
    {
        var (q, r) when r < 0 => (q - 1) * 86400,
        var (q, _) => q * 86400,
    };

    public static long ToUnixMicros(DateTimeOffset instant) => (instant.UtcTicks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMicrosecond;

    private static bool HasControlCharacters(string value) => value.AsSpan().ContainsAnyInRange('\0', '\u001f') || value.Contains('\u007f', StringComparison.Ordinal);

    private static bool Digits(ReadOnlySpan<char> s, int start, int count, out int value)
    {
        value = 0;
        for (var k = start; k < start + count; k++)
        {
            if (!char.IsAsciiDigit(s[k]))
            {
                return false;
            }

            value = (value * 10) + (s[k] - '0');
        }

        return true;
    }

    private static readonly System.Buffers.SearchValues<char> NumberCharacters = System.Buffers.SearchValues.Create("0123456789.eE+-");

    private static bool IsNumberSyntax(ReadOnlySpan<char> s) =>
        s.Length > 0 && !s.ContainsAnyExcept(NumberCharacters);

    private static string Describe(TimeSpan age) =>
        age.TotalDays >= 1 && age.TotalDays == Math.Floor(age.TotalDays) ? $"{age.TotalDays:0} days"
        : age.TotalHours >= 1 && age.TotalHours == Math.Floor(age.TotalHours) ? $"{age.TotalHours:0} hours"
        : $"{age.TotalSeconds:0} seconds";
}
