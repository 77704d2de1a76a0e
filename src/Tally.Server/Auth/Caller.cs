using System.Reflection;
using Tally.Domain.Access;

namespace Tally.Server.Auth;

/// <summary>
/// The authenticated caller of an <c>/api/</c> route, bound as a handler parameter. The authentication middleware
/// has already refused requests without a valid token, so binding never fails on an <c>/api/</c> route.
/// </summary>
public sealed class Caller(Grant grant)
{
    public Grant Grant { get; } = grant;

    public static ValueTask<Caller?> BindAsync(HttpContext context, ParameterInfo parameter) =>
        ValueTask.FromResult(context.Features.Get<Caller>());
}
