using System.Text;
using Microsoft.AspNetCore.Diagnostics;

namespace Tally.Server.Features.ThreeScale;

/// <summary>A 3scale route's representation, from the path suffix: <c>.xml</c>, <c>.json</c> or (one route) <c>.pdf</c>.</summary>
public enum ThreeScaleFormat
{
    Xml,
    Json,
    Pdf,
}

/// <summary>
/// 3scale's responses and error bodies (reference §5.2): 404 with an empty XML body or <c>{"status":"Not found"}</c>;
/// 422 <c>&lt;errors&gt;&lt;error&gt;…&lt;/error&gt;&lt;/errors&gt;</c> or <c>{"errors":{"base":[…]}}</c>; 403
/// <c>&lt;error&gt;…&lt;/error&gt;</c> or <c>{"error":"…"}</c>; 400 text/plain for a missing required parameter; 406 for an
/// unknown format.
/// </summary>
public static class ThreeScaleErrors
{
    public const string XmlType = "application/xml; charset=utf-8";
    public const string JsonType = "application/json; charset=utf-8";

    public const string AccessDenied = "Access denied";
    public const string WrongPermissions = "Your access token does not have the correct permissions";
    public const string InvalidInvoiceState = "Invalid invoice state";
    public const string ChargeFailed = "Failed to charge the credit card.";
    public const string InvalidLineItemType = "Invalid Line item type";
    public const string PeriodFormat = "Billing period format should be YYYY-MM";

    /// <summary>The format named by <paramref name="suffix"/> ("xml", "json", "pdf" when <paramref name="allowPdf"/>), or null.</summary>
    public static ThreeScaleFormat? ParseFormat(string? suffix, bool allowPdf = false) => suffix switch
    {
        "xml" => ThreeScaleFormat.Xml,
        "json" => ThreeScaleFormat.Json,
        "pdf" when allowPdf => ThreeScaleFormat.Pdf,
        _ => null,
    };

    /// <summary>A body in the format: XML or JSON text with its content type and <paramref name="status"/>.</summary>
    public static IResult Body(ThreeScaleFormat format, string xml, string json, int status = StatusCodes.Status200OK) =>
        format == ThreeScaleFormat.Json
            ? TypedResults.Text(json, JsonType, Encoding.UTF8, status)
            : TypedResults.Text(xml, XmlType, Encoding.UTF8, status);

    /// <summary>404: empty XML body, or <c>{"status":"Not found"}</c>.</summary>
    public static IResult NotFound(ThreeScaleFormat format) =>
        format == ThreeScaleFormat.Json
            ? TypedResults.Text(ThreeScaleJson.Status("Not found"), JsonType, Encoding.UTF8, StatusCodes.Status404NotFound)
            : new EmptyResult(StatusCodes.Status404NotFound);

    /// <summary>422 (or <paramref name="status"/>) with one message: keyed by <paramref name="field"/> in JSON ("base" for none).</summary>
    public static IResult Unprocessable(ThreeScaleFormat format, string message, string field = "base", int status = StatusCodes.Status422UnprocessableEntity) =>
        Body(format, ThreeScaleXml.Errors([message]), ThreeScaleJson.Errors(field, [message]), status);

    /// <summary>403 <c>&lt;error&gt;m&lt;/error&gt;</c> / <c>{"error":"m"}</c>.</summary>
    public static IResult Forbidden(ThreeScaleFormat format, string message) =>
        Body(format, ThreeScaleXml.Error(message), ThreeScaleJson.Error(message), StatusCodes.Status403Forbidden);

    /// <summary>400 text/plain <c>Required parameter missing: name</c>.</summary>
    public static IResult MissingParameter(string name) =>
        TypedResults.Text($"Required parameter missing: {name}", "text/plain; charset=utf-8", Encoding.UTF8, StatusCodes.Status400BadRequest);

    /// <summary>406 Not Acceptable, no body.</summary>
    public static IResult NotAcceptable() => new EmptyResult(StatusCodes.Status406NotAcceptable);

    /// <summary>A status with no body: status-code pages (which would add problem+json) are turned off for the response.</summary>
    private sealed class EmptyResult(int status) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            if (httpContext.Features.Get<IStatusCodePagesFeature>() is { } pages)
            {
                pages.Enabled = false;
            }

            httpContext.Response.StatusCode = status;
            return Task.CompletedTask;
        }
    }
}
