using System.Text;
using Microsoft.Extensions.Primitives;
using Tally.Domain.Access;
using Tally.Server.Auth;

namespace Tally.Server.Features.ThreeScale;

/// <summary>
/// Endpoint metadata marking a 3scale Billing API route; <see cref="TokenAuthenticationMiddleware"/> hands such
/// requests to <see cref="ThreeScaleAuth.AuthenticateAsync"/>. <see cref="AllowPdf"/>: the route also answers <c>.pdf</c>.
/// </summary>
public sealed record ThreeScaleRoute(bool AllowPdf)
{
    public static readonly ThreeScaleRoute Default = new(false);
}

/// <summary>
/// 3scale's authentication (reference §5): the token comes from <c>Authorization: APIToken|Bearer</c>, HTTP Basic (user
/// or password, whichever is non-blank), or an <c>access_token</c> query or form parameter. No or a bad token is 3scale's
/// 403 <c>Access denied</c> (not Tally's 401); a valid token must be an operator token with the <c>billing</c> scope that
/// is an admin, or a member holding the <c>billing</c> permission, else 403 "Your access token does not have the correct
/// permissions". An unknown format suffix is 406 before anything else.
/// </summary>
public static class ThreeScaleAuth
{
    /// <summary>The caller's grant, or null after writing the refusal (406 or 403) to the response.</summary>
    public static async Task<Grant?> AuthenticateAsync(HttpContext context, ThreeScaleRoute route, TokenAuthenticator authenticator)
    {
        var format = ThreeScaleErrors.ParseFormat(context.Request.RouteValues["format"] as string, route.AllowPdf);
        if (format is null)
        {
            await ThreeScaleErrors.NotAcceptable().ExecuteAsync(context);
            return null;
        }

        // Refusals of a .pdf request are written as XML, 3scale's documented format.
        var bodyFormat = format == ThreeScaleFormat.Json ? ThreeScaleFormat.Json : ThreeScaleFormat.Xml;
        var secret = await ReadSecretAsync(context.Request);
        var grant = secret is null ? null : await authenticator.AuthenticateAsync(secret, context.RequestAborted);
        if (grant is null)
        {
            await ThreeScaleErrors.Forbidden(bodyFormat, ThreeScaleErrors.AccessDenied).ExecuteAsync(context);
            return null;
        }

        if (!IsAllowed(grant))
        {
            await ThreeScaleErrors.Forbidden(bodyFormat, ThreeScaleErrors.WrongPermissions).ExecuteAsync(context);
            return null;
        }

        return grant;
    }

    /// <summary>Operator tokens with the <c>billing</c> scope: admins, and members with the <c>billing</c> permission.</summary>
    public static bool IsAllowed(Grant grant) =>
        grant.IsOperator
        && grant.HasScope(Scopes.Billing)
        && (grant.IsAdmin || (grant.Role == Role.Member && grant.HasPermission(Permissions.Billing)));

    /// <summary>The token from the Authorization header (APIToken, Bearer, Basic) or the <c>access_token</c> parameter.</summary>
    internal static async Task<string?> ReadSecretAsync(HttpRequest request)
    {
        if (TokenAuthenticationMiddleware.ReadSecret(request) is { } header)
        {
            return header;
        }

        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) && Basic(authorization[6..].Trim()) is { } basic)
        {
            return basic;
        }

        if (NonBlank(request.Query["access_token"]) is { } query)
        {
            return query;
        }

        if (request.HasFormContentType)
        {
            try
            {
                var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
                return NonBlank(form["access_token"]);
            }
            catch (Exception e) when (e is InvalidDataException || (e is IOException && !request.HttpContext.RequestAborted.IsCancellationRequested))
            {
                // A malformed form carries no token.
                return null;
            }
        }

        return null;
    }

    private static string? Basic(string encoded)
    {
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
        }
        catch (FormatException)
        {
            return null;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        var user = colon < 0 ? decoded : decoded[..colon];
        var password = colon < 0 ? "" : decoded[(colon + 1)..];
        return !string.IsNullOrWhiteSpace(user) ? user.Trim() : !string.IsNullOrWhiteSpace(password) ? password.Trim() : null;
    }

    private static string? NonBlank(StringValues values)
    {
        var value = values.ToString().Trim();
        return value.Length == 0 ? null : value;
    }
}
