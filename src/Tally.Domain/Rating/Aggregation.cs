namespace Tally.Domain.Rating;

/// <summary>How a metric's events in a period combine into one quantity. Wire: "sum", "max", "count".</summary>
public enum Aggregation
{
    /// <summary>Sum of the events' quantities.</summary>
    Sum,

    /// <summary>Largest quantity of any event.</summary>
    Max,

    /// <summary>Number of events, whatever their quantities.</summary>
    Count,
}

public static class Aggregations
{
    /// <summary>The wire name: "sum", "max" or "count". Throws <see cref="ArgumentOutOfRangeException"/> for an undefined value.</summary>
    public static string ToWire(this Aggregation aggregation) => aggregation switch
    {
        Aggregation.Sum => "sum",
        Aggregation.Max => "max",
        Aggregation.Count => "count",
        _ => throw new ArgumentOutOfRangeException(nameof(aggregation), aggregation, "Unknown aggregation."),
    };

    /// <summary>Parses a wire name (exact, lower case); throws <see cref="DomainValidationException"/> with <paramref name="field"/> otherwise.</summary>
    public static Aggregation Parse(string? text, string field = "aggregation") => text switch
    {
        "sum" => Aggregation.Sum,
        "max" => Aggregation.Max,
        "count" => Aggregation.Count,
        _ => throw new DomainValidationException(field,
            $"{field} must be \"sum\", \"max\" or \"count\", not '{(text is null ? "null" : Names.Truncate(text))}'."),
    };
}
