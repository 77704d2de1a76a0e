using System.Text.Json;
using Tally.Server.Errors;

namespace Tally.Server.Hosting;

/// <summary>Request bodies of the F5 routes, read as F5's gateway reads them.</summary>
public static class F5Body
{
    /// <summary>
    /// Reads a JSON body: absent, blank or <c>null</c> → null. Malformed JSON throws <see cref="JsonException"/> (→ 400).
    /// A request without Content-Type is read as JSON, as F5's gateway does (F5's Go client sends PUT and DELETE bodies without one);
    /// another media type was already refused with 415 by routing (see <see cref="AcceptsF5Body{T}"/>).
    /// </summary>
    public static async Task<T?> ReadAsync<T>(HttpRequest request, CancellationToken ct)
        where T : class
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        if (bytes.StartsWith("\uFEFF"u8))
        {
            bytes = bytes[3..];
        }

        if (bytes.Trim(" \t\r\n"u8).IsEmpty)
        {
            return null;
        }

        return JsonSerializer.Deserialize<T>(bytes, TallyJson.Options);
    }

    public static RequestValidationException Required() => new("body", "The request body must be a JSON object.");

    /// <summary>
    /// Declares a JSON body read by the handler itself: routing then answers 415 to another media type but lets a request
    /// without Content-Type through; the OpenAPI document still marks a <paramref name="required"/> body as required.
    /// </summary>
    public static RouteHandlerBuilder AcceptsF5Body<T>(this RouteHandlerBuilder builder, bool required)
        where T : notnull =>
        builder.Accepts<T>(isOptional: true, "application/json").AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (operation.RequestBody is Microsoft.OpenApi.OpenApiRequestBody body)
            {
                body.Required = required;
            }

            return Task.CompletedTask;
        });
}
