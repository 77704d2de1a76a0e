using Tally.Server.Errors;

namespace Tally.Server.Auth;

/// <summary>
/// Endpoint metadata: the route serves operator tokens only. <see cref="TokenAuthenticationMiddleware"/> answers any
/// other valid token with 403 before the request body is read, so a tenant token learns the same thing whatever it sends.
/// Handlers still check their own rights (write, permissions): this only moves the operator check first.
/// </summary>
public sealed class OperatorOnly
{
    public static readonly OperatorOnly Instance = new();

    private OperatorOnly()
    {
    }

    /// <summary>The 403 every non-operator token gets on such a route.</summary>
    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Refusal() => Problems.Forbidden("This route is for operator tokens only.");
}

public static class OperatorOnlyExtensions
{
    /// <summary>Marks the routes of <paramref name="builder"/> as <see cref="OperatorOnly"/>.</summary>
    public static TBuilder RequireOperatorToken<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(OperatorOnly.Instance);
}
