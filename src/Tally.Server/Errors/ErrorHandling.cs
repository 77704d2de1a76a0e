using System.Data.Common;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Tally.Domain;

namespace Tally.Server.Errors;

/// <summary>
/// The one place where bad input becomes a 4xx: request-binding failures (malformed JSON, wrong types, missing body),
/// <see cref="RequestValidationException"/> and <see cref="DomainValidationException"/> all become 400 problem+json
/// with a <c>field</c> member. A transient database failure (<see cref="DbException.IsTransient"/>: the connection was
/// lost or refused, the server is shutting down, a lock or resource was briefly unavailable) is a 503 with
/// <c>Retry-After: 1</c>. Anything else is a 500 that reveals nothing.
/// </summary>
public sealed class ErrorHandling(IProblemDetailsService problems, ILogger<ErrorHandling> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, field, detail) = Classify(exception);
        if (status >= 500)
        {
            logger.LogError(exception, "Unhandled error on {Method} {Path}", httpContext.Request.Method, httpContext.Request.Path);
        }

        httpContext.Response.StatusCode = status;
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = "1";
        }

        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails
        {
            Status = status,
            Title = status switch { 400 => "Bad Request", 413 => "Payload Too Large", 415 => "Unsupported Media Type", 503 => "Service Unavailable", _ => "Internal Server Error" },
            Detail = detail,
        };
        if (field is not null)
        {
            problem.Extensions["field"] = field;
            problem.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [detail] };
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    internal static (int Status, string? Field, string Detail) Classify(Exception exception)
    {
        switch (exception)
        {
            case RequestValidationException v:
                return (400, v.Field, v.Message);
            case DomainValidationException d:
                return (400, d.Field, d.Message);
            case BadHttpRequestException { InnerException: JsonException json }:
                return FromJson(json);
            case JsonException json:
                return FromJson(json);
            case BadHttpRequestException bad when bad.StatusCode == 413:
                return (413, null, "The request body is larger than this route accepts.");
            case BadHttpRequestException bad when bad.StatusCode == 415:
                return (415, null, "The request body must be JSON (Content-Type: application/json).");
            case BadHttpRequestException bad:
                return (bad.StatusCode is >= 400 and < 500 ? bad.StatusCode : 400, "body", Sanitize(bad.Message));
            case DbException { IsTransient: true }:
                return (503, null, "The database is briefly unavailable or busy; retry the request.");
            default:
                return (500, null, "An unexpected error occurred; it has been logged.");
        }
    }

    private static (int, string?, string) FromJson(JsonException json)
    {
        var field = string.IsNullOrEmpty(json.Path) || json.Path == "$" ? "body" : FieldFromPath(json.Path);
        var message = json.Message + " " + json.InnerException?.Message;
        var reason = message.Contains("could not be converted", StringComparison.Ordinal) || message.Contains("token type", StringComparison.Ordinal)
            ? ExpectedType(message)
            : json.Message.Contains("could not be mapped", StringComparison.Ordinal)
                ? "is not a known field"
                : "is not valid JSON";
        return (400, field, field == "body" ? $"The request body {reason}." : $"'{field}' {reason}.");
    }

    /// <summary>"$.metadata.name" → "metadata.name"; "$['a.b'].c" → "a.b.c"; "$.items[2].id" → "items[2].id".</summary>
    internal static string FieldFromPath(string path) =>
        path.TrimStart('$').TrimStart('.').Replace("['", ".", StringComparison.Ordinal).Replace("']", "", StringComparison.Ordinal).TrimStart('.');

    private static string ExpectedType(string message)
    {
        var type = message switch
        {
            _ when message.Contains("as a string", StringComparison.Ordinal) || message.Contains("System.String", StringComparison.Ordinal) => "a string",
            _ when message.Contains("Int32", StringComparison.Ordinal) || message.Contains("Int64", StringComparison.Ordinal) => "an integer",
            _ when message.Contains("Double", StringComparison.Ordinal) || message.Contains("Decimal", StringComparison.Ordinal) => "a number",
            _ when message.Contains("Boolean", StringComparison.Ordinal) => "true or false",
            _ when message.Contains("DateTimeOffset", StringComparison.Ordinal) => "an RFC 3339 timestamp string",
            _ when message.Contains("Dictionary", StringComparison.Ordinal) => "an object",
            _ when message.Contains("List", StringComparison.Ordinal) || message.Contains("[]", StringComparison.Ordinal) => "an array",
            _ => "a value of the documented type",
        };
        return $"has the wrong type: expected {type}";
    }

    private static string Sanitize(string message) => message.Length > 300 ? message[..300] : message;
}
