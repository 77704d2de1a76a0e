using Tally.Server.Errors;
using Tally.Server.Features.ThreeScale;

namespace Tally.Server.Auth;

/// <summary>
/// Every <c>/api/</c> request must carry a live token: <c>Authorization: APIToken &lt;token&gt;</c> or <c>Bearer &lt;token&gt;</c>
/// (or, on 3scale routes, <c>access_token</c>). Otherwise 401 problem+json. <c>/no_auth/</c>, health, metrics and docs are open.
/// On routes marked <see cref="OperatorOnly"/>, any other token gets 403 here, before the body is read.
/// </summary>
public sealed class TokenAuthenticationMiddleware(RequestDelegate next, TokenAuthenticator authenticator)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
        {
            await next(context);
            return;
        }

        // 3scale Billing API routes speak 3scale's auth: the token may also come as an access_token query or form
        // parameter or through HTTP Basic, and a missing or bad token is 3scale's 403 "Access denied" (XML or JSON),
        // not Tally's 401 problem+json. ThreeScaleAuth writes those refusals itself.
        if (context.GetEndpoint()?.Metadata.GetMetadata<ThreeScaleRoute>() is { } threeScale)
        {
            if (await ThreeScaleAuth.AuthenticateAsync(context, threeScale, authenticator) is not { } threeScaleGrant)
            {
                return;
            }

            context.Features.Set(new Caller(threeScaleGrant));
            await next(context);
            return;
        }

        var secret = ReadSecret(context.Request);
        var grant = secret is null ? null : await authenticator.AuthenticateAsync(secret, context.RequestAborted);
        if (grant is null)
        {
            context.Response.Headers.WWWAuthenticate = "APIToken";
            var detail = secret is null
                ? "No token: send 'Authorization: APIToken <token>'."
                : "The token is unknown, revoked or expired.";
            await Problems.Unauthorized(detail).ExecuteAsync(context);
            return;
        }

        if (!grant.IsOperator && context.GetEndpoint()?.Metadata.GetMetadata<OperatorOnly>() is not null)
        {
            await OperatorOnly.Refusal().ExecuteAsync(context);
            return;
        }

        context.Features.Set(new Caller(grant));
        await next(context);
    }

    internal static string? ReadSecret(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        foreach (var scheme in (ReadOnlySpan<string>)["APIToken ", "Bearer "])
        {
            if (header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            {
                var value = header[scheme.Length..].Trim();
                return value.Length == 0 ? null : value;
            }
        }

        return null;
    }
}
