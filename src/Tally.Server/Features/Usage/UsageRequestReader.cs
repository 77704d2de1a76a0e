using System.Globalization;
using System.Text;
using System.Text.Json;
using Tally.Domain.Usage;
using Tally.Server.Errors;

namespace Tally.Server.Features.Usage;

/// <summary>
/// Reads an ingest body — <c>{"events":[...]}</c> (application/json) or one event object per line
/// (application/x-ndjson) — into <see cref="UsageEventInput"/>s with a forward-only <see cref="Utf8JsonReader"/>: no DOM,
/// one string per id/object name, repeated tenant/namespace/metric strings shared.
/// <para>
/// Whole-body errors throw <see cref="RequestValidationException"/> (→ 400 naming the field) before anything is
/// written: not JSON, not an object, <c>events</c> missing or not an array, more than
/// <see cref="UsageRules.MaxEventsPerRequest"/> events, an event that is not an object, a field of the wrong JSON type,
/// an unknown field. Wrong <em>values</em> (negative quantity, bad timestamp, oversize id, ...) are left to
/// <see cref="UsageRules.Validate"/>, which rejects only that event.
/// </para>
/// </summary>
internal static class UsageRequestReader
{
    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        MaxDepth = 32,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    public static List<UsageEventInput> ReadJson(ReadOnlySpan<byte> body)
    {
        var events = new List<UsageEventInput>();
        var shared = new SharedStrings();
        try
        {
            var reader = new Utf8JsonReader(body, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new RequestValidationException("body", "The request body must be a JSON object with an 'events' array.");
            }

            var sawEvents = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!reader.ValueTextEquals("events"u8))
                {
                    var name = reader.GetString()!;
                    throw new RequestValidationException(name, $"'{name}' is not a known field; the body is {{\"events\": [...]}}.");
                }

                if (sawEvents)
                {
                    throw new RequestValidationException("events", "'events' is given twice.");
                }

                sawEvents = true;
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    throw new RequestValidationException("events", "'events' has the wrong type: expected an array of event objects.");
                }

                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (events.Count == UsageRules.MaxEventsPerRequest)
                    {
                        throw TooMany();
                    }

                    events.Add(ReadEvent(ref reader, body, events.Count, shared));
                }
            }

            // The closing brace, then nothing but whitespace (the reader throws on anything else).
            while (reader.Read())
            {
            }

            if (!sawEvents)
            {
                throw new RequestValidationException("events", "'events' is required: the body is {\"events\": [...]}.");
            }
        }
        catch (JsonException e)
        {
            throw new RequestValidationException("body", $"The request body is not valid JSON: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            throw new RequestValidationException("body", $"The request body contains a string that is not valid UTF-8/UTF-16 text: {e.Message}");
        }

        return events;
    }

    /// <summary>One JSON object per line; blank lines are skipped. Event indexes count events, not lines.</summary>
    public static List<UsageEventInput> ReadNdjson(ReadOnlySpan<byte> body)
    {
        var events = new List<UsageEventInput>();
        var shared = new SharedStrings();
        var lineNumber = 0;
        while (body.Length > 0)
        {
            lineNumber++;
            var end = body.IndexOf((byte)'\n');
            var line = end < 0 ? body : body[..end];
            body = end < 0 ? [] : body[(end + 1)..];
            if (line.Trim(" \t\r"u8).Length == 0)
            {
                continue;
            }

            if (events.Count == UsageRules.MaxEventsPerRequest)
            {
                throw TooMany();
            }

            var field = Field(events.Count);
            try
            {
                var reader = new Utf8JsonReader(line, ReaderOptions);
                reader.Read();
                events.Add(ReadEvent(ref reader, line, events.Count, shared));
                while (reader.Read())
                {
                }
            }
            catch (JsonException e)
            {
                throw new RequestValidationException(field, $"Line {lineNumber} ({field}) is not one valid JSON object: {e.Message}");
            }
            catch (InvalidOperationException e)
            {
                throw new RequestValidationException(field, $"Line {lineNumber} ({field}) contains a string that is not valid text: {e.Message}");
            }
        }

        return events;
    }

    private static RequestValidationException TooMany() =>
        new("events", $"A request carries at most {UsageRules.MaxEventsPerRequest.ToString("N0", CultureInfo.InvariantCulture)} events; split the batch.");

    private static string Field(int index) => "events[" + index.ToString(CultureInfo.InvariantCulture) + "]";

    private static UsageEventInput ReadEvent(ref Utf8JsonReader reader, ReadOnlySpan<byte> input, int index, SharedStrings shared)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            var field = Field(index);
            throw new RequestValidationException(field, $"'{field}' has the wrong type: expected an event object.");
        }

        var e = default(UsageEventInput);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var property = Property(ref reader);
            if (property == EventProperty.Unknown)
            {
                var field = $"{Field(index)}.{reader.GetString()}";
                throw new RequestValidationException(field, $"'{field}' is not a known field.");
            }

            reader.Read();
            if (reader.TokenType == JsonTokenType.Null)
            {
                continue;
            }

            switch (property)
            {
                case EventProperty.Id:
                    e.Id = String(ref reader, index, "id");
                    break;
                case EventProperty.Tenant:
                    e.Tenant = shared.Tenant = Shared(ref reader, index, "tenant", shared.Tenant);
                    break;
                case EventProperty.Namespace:
                    e.Namespace = shared.Namespace = Shared(ref reader, index, "namespace", shared.Namespace);
                    break;
                case EventProperty.Metric:
                    e.Metric = shared.Metric = Shared(ref reader, index, "metric", shared.Metric);
                    break;
                case EventProperty.ObjectName:
                    e.ObjectName = shared.ObjectName = Shared(ref reader, index, "object_name", shared.ObjectName);
                    break;
                case EventProperty.Quantity:
                    ReadQuantity(ref reader, index, ref e);
                    break;
                case EventProperty.Timestamp:
                    ReadTimestamp(ref reader, index, ref e);
                    break;
                case EventProperty.Labels:
                    ReadLabels(ref reader, input, index, ref e);
                    break;
            }
        }

        return e;
    }

    private enum EventProperty
    {
        Unknown,
        Id,
        Tenant,
        Namespace,
        Metric,
        Quantity,
        Timestamp,
        ObjectName,
        Labels,
    }

    private static EventProperty Property(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("id"u8) ? EventProperty.Id
        : reader.ValueTextEquals("tenant"u8) ? EventProperty.Tenant
        : reader.ValueTextEquals("namespace"u8) ? EventProperty.Namespace
        : reader.ValueTextEquals("metric"u8) ? EventProperty.Metric
        : reader.ValueTextEquals("quantity"u8) ? EventProperty.Quantity
        : reader.ValueTextEquals("timestamp"u8) ? EventProperty.Timestamp
        : reader.ValueTextEquals("object_name"u8) ? EventProperty.ObjectName
        : reader.ValueTextEquals("labels"u8) ? EventProperty.Labels
        : EventProperty.Unknown;

    private static string String(ref Utf8JsonReader reader, int index, string name)
    {
        RequireString(ref reader, index, name);
        return reader.GetString()!;
    }

    /// <summary>Reuses the previous event's string when the value is the same (most batches repeat tenant, namespace, metric).</summary>
    private static string Shared(ref Utf8JsonReader reader, int index, string name, string? previous)
    {
        RequireString(ref reader, index, name);
        return previous is not null && reader.ValueTextEquals(previous) ? previous : reader.GetString()!;
    }

    private static void RequireString(ref Utf8JsonReader reader, int index, string name)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            var field = $"{Field(index)}.{name}";
            throw new RequestValidationException(field, $"'{field}' has the wrong type: expected a string.");
        }
    }

    private static void ReadQuantity(ref Utf8JsonReader reader, int index, ref UsageEventInput e)
    {
        e.HasQuantity = true;
        if (reader.TokenType is not (JsonTokenType.Number or JsonTokenType.String))
        {
            var field = $"{Field(index)}.quantity";
            throw new RequestValidationException(field, $"'{field}' has the wrong type: expected a number (or a string holding a decimal).");
        }

        Span<char> text = stackalloc char[64];
        if (!TryCopy(ref reader, text, out var length))
        {
            e.QuantityError = "quantity must be a decimal number of at most 64 characters.";
            return;
        }

        if (UsageRules.TryParseQuantity(text[..length], out var micros, out var error))
        {
            e.QuantityMicros = micros;
        }
        else
        {
            e.QuantityError = error;
        }
    }

    private static void ReadTimestamp(ref Utf8JsonReader reader, int index, ref UsageEventInput e)
    {
        e.HasTimestamp = true;
        if (reader.TokenType != JsonTokenType.String)
        {
            var field = $"{Field(index)}.timestamp";
            throw new RequestValidationException(field, $"'{field}' has the wrong type: expected an RFC 3339 timestamp string.");
        }

        Span<char> text = stackalloc char[64];
        if (TryCopy(ref reader, text, out var length) && UsageRules.TryParseTimestamp(text[..length], out var us))
        {
            e.OccurredAtUs = us;
        }
        else
        {
            e.TimestampError = "timestamp must be an RFC 3339 date-time with an offset, e.g. 2026-11-24T12:00:00Z.";
        }
    }

    /// <summary>Copies a number's text or a string's unescaped content; false when longer than <paramref name="destination"/>.</summary>
    private static bool TryCopy(ref Utf8JsonReader reader, scoped Span<char> destination, out int length)
    {
        length = 0;
        var raw = reader.ValueSpan; // the input is one contiguous span, never a sequence
        if (raw.Length > destination.Length)
        {
            return false;
        }

        if (reader.TokenType == JsonTokenType.Number)
        {
            length = Encoding.UTF8.GetChars(raw, destination);
            return true;
        }

        length = reader.CopyString(destination);
        return true;
    }

    private static void ReadLabels(ref Utf8JsonReader reader, ReadOnlySpan<byte> input, int index, ref UsageEventInput e)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            var field = $"{Field(index)}.labels";
            throw new RequestValidationException(field, $"'{field}' has the wrong type: expected an object of string values.");
        }

        var start = (int)reader.TokenStartIndex;
        var count = 0;
        HashSet<string>? keys = null;
        string? firstKey = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                var field = $"{Field(index)}.labels.{key}";
                throw new RequestValidationException(field, $"'{field}' has the wrong type: expected a string.");
            }

            var value = reader.GetString()!;
            count++;
            if (e.LabelsError is not null)
            {
                continue;
            }

            if (count > UsageRules.MaxLabels)
            {
                e.LabelsError = $"an event carries at most {UsageRules.MaxLabels} labels.";
            }
            else if (UsageRules.CheckLabel(key, value) is { } error)
            {
                e.LabelsError = error;
            }
            else if (count == 1)
            {
                firstKey = key;
            }
            else
            {
                keys ??= new HashSet<string>(StringComparer.Ordinal) { firstKey! };
                if (!keys.Add(key))
                {
                    e.LabelsError = $"label '{key}' is given twice.";
                }
            }
        }

        var json = input[start..(int)reader.BytesConsumed];
        if (e.LabelsError is null && json.Length > UsageRules.MaxLabelsJsonBytes)
        {
            e.LabelsError = $"labels are larger than {UsageRules.MaxLabelsJsonBytes} bytes of JSON.";
        }

        if (e.LabelsError is null && count > 0)
        {
            e.LabelsJson = Encoding.UTF8.GetString(json);
        }
    }

    private sealed class SharedStrings
    {
        public string? Tenant { get; set; }

        public string? Namespace { get; set; }

        public string? Metric { get; set; }

        public string? ObjectName { get; set; }
    }
}
