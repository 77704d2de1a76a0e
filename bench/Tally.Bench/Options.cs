using System.Globalization;

namespace Tally.Bench;

/// <summary>Minimal <c>--name value</c> / <c>--flag</c> command-line options.</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    public static Options Parse(ReadOnlySpan<string> args)
    {
        var options = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || name.Length < 3)
            {
                throw new ArgumentException($"Unexpected argument '{name}'.");
            }

            if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                options._values[name] = args[++i];
            }
            else
            {
                options._flags.Add(name);
            }
        }

        return options;
    }

    public IEnumerable<string> Names => _values.Keys.Concat(_flags);

    public bool Flag(string name) => _flags.Contains(name);

    public string? Value(string name) => _values.GetValueOrDefault(name);

    public string Require(string name) =>
        Value(name) ?? throw new ArgumentException($"{name} is required.");

    public double Positive(string name, double fallback)
    {
        if (Value(name) is not { } text)
        {
            return fallback;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 && value <= 3600
            ? value
            : throw new ArgumentException($"{name} must be a number of seconds between 0 and 3600, not '{text}'.");
    }

    public double NonNegative(string name, double fallback)
    {
        if (Value(name) is not { } text)
        {
            return fallback;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0 && value <= 3600
            ? value
            : throw new ArgumentException($"{name} must be a number of seconds between 0 and 3600, not '{text}'.");
    }

    public int Count(string name, int fallback, int max)
    {
        if (Value(name) is not { } text)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1 && value <= max
            ? value
            : throw new ArgumentException($"{name} must be a whole number between 1 and {max}, not '{text}'.");
    }

    /// <summary>Throws for any option not in <paramref name="known"/>.</summary>
    public void Only(params string[] known)
    {
        foreach (var name in Names)
        {
            if (!known.Contains(name, StringComparer.Ordinal))
            {
                throw new ArgumentException($"Unknown option '{name}'.");
            }
        }
    }
}
