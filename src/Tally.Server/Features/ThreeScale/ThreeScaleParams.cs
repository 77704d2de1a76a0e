using System.Text.Json;

namespace Tally.Server.Features.ThreeScale;

/// <summary>
/// A 3scale request's parameters, read like Rails reads them: the query string, then a form body (url-encoded or
/// multipart) or a JSON object body, where a body value wins. Like 3scale's <c>wrap_parameters</c>, <c>period</c> and
/// <c>invoice[period]</c> (or a JSON <c>{"invoice":{"period":…}}</c>) are the same parameter; the wrapper names are
/// <c>invoice</c> and <c>line_item</c>. A JSON body that is not an object is ignored (the parameters are then missing).
/// </summary>
public sealed class ThreeScaleParams
{
    private static readonly string[] Wrappers = ["invoice", "line_item"];

    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    private ThreeScaleParams()
    {
    }

    public static async Task<ThreeScaleParams> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        var result = new ThreeScaleParams();
        foreach (var (key, value) in request.Query)
        {
            result.Set(key, value.ToString());
        }

        if (request.HasFormContentType)
        {
            IFormCollection form;
            try
            {
                form = await request.ReadFormAsync(ct);
            }
            catch (Exception e) when (e is InvalidDataException || (e is IOException && !ct.IsCancellationRequested))
            {
                // A malformed form (bad multipart framing, a body cut short) carries no parameters; the handler reports
                // what is missing.
                form = FormCollection.Empty;
            }

            foreach (var (key, value) in form)
            {
                result.Set(key, value.ToString());
            }
        }
        else if (request.HasJsonContentType())
        {
            try
            {
                using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    foreach (var property in document.RootElement.EnumerateObject())
                    {
                        if (property.Value.ValueKind == JsonValueKind.Object && Wrappers.Contains(property.Name))
                        {
                            foreach (var inner in property.Value.EnumerateObject())
                            {
                                result.SetJson(inner.Name, inner.Value);
                            }
                        }
                        else
                        {
                            result.SetJson(property.Name, property.Value);
                        }
                    }
                }
            }
            catch (JsonException)
            {
                // An unreadable JSON body carries no parameters; the handler reports what is missing.
            }
        }

        return result;
    }

    /// <summary>The parameter's value, or null when absent.</summary>
    public string? this[string name] => _values.GetValueOrDefault(name);

    private void Set(string key, string value)
    {
        foreach (var wrapper in Wrappers)
        {
            if (key.StartsWith(wrapper + "[", StringComparison.Ordinal) && key.EndsWith(']'))
            {
                key = key[(wrapper.Length + 1)..^1];
                break;
            }
        }

        _values[key] = value;
    }

    private void SetJson(string key, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                _values[key] = value.GetString()!;
                break;
            case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                _values[key] = value.GetRawText();
                break;
        }
    }
}
