using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Tally.Domain.Access;
using Tally.Server.Errors;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Auth;

/// <summary>
/// Resolves the tenant a request is about. Operator tokens name it in the path; tenant tokens always act on their
/// own tenant, and naming any other tenant is indistinguishable from naming one that does not exist (404).
/// </summary>
public static class TenantScope
{
    public static async Task<(TenantRow? Tenant, ProblemHttpResult? Problem)> FindAsync(TallyDbContext db, Grant grant, string tenant, CancellationToken ct)
    {
        if (!grant.CanSeeTenant(tenant))
        {
            return (null, TenantNotFound(tenant));
        }

        var row = await db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.TenantId == tenant, ct);
        return row is null ? (null, TenantNotFound(tenant)) : (row, null);
    }

    public static ProblemHttpResult TenantNotFound(string tenant) => Problems.NotFound($"Tenant '{tenant}' does not exist.");

    public static ProblemHttpResult NamespaceNotFound(string ns) => Problems.NotFound($"Namespace '{ns}' does not exist.");

    /// <summary>403 for operator tokens on F5 routes, which act on the caller's own tenant.</summary>
    public static ProblemHttpResult TenantTokenRequired() =>
        Problems.Forbidden("The F5 API acts on the caller's own tenant: use a tenant token.");

    /// <summary>
    /// The check every F5 route makes: a tenant token (operator tokens → 403), namespace <paramref name="ns"/> existing in
    /// its tenant and on its allow-list (→ 404), <paramref name="permission"/> held (→ 403). Returns the caller's tenant.
    /// </summary>
    public static async Task<(string? TenantId, ProblemHttpResult? Problem)> RequireF5CallerAsync(
        TallyDbContext db, Grant grant, string ns, string permission, CancellationToken ct)
    {
        if (grant.TenantId is not { } tenantId)
        {
            return (null, TenantTokenRequired());
        }

        return (await RequireNamespaceAsync(db, grant, tenantId, ns, ct) ?? RequirePermission(grant, permission)) is { } denied
            ? (null, denied)
            : (tenantId, null);
    }

    /// <summary>403 for callers that are not operator tokens.</summary>
    public static ProblemHttpResult? RequireOperator(Grant grant, bool write) =>
        !grant.IsOperator ? OperatorOnly.Refusal()
        : write && !grant.CanWrite ? Problems.Forbidden($"A {grant.Role.ToWire()} token cannot change anything.")
        : null;

    /// <summary>403 unless the token may write.</summary>
    public static ProblemHttpResult? RequireWrite(Grant grant) =>
        grant.CanWrite ? null : Problems.Forbidden($"A {grant.Role.ToWire()} token cannot change anything.");

    /// <summary>403 unless the token holds <paramref name="permission"/>.</summary>
    public static ProblemHttpResult? RequirePermission(Grant grant, string permission) =>
        grant.HasPermission(permission) ? null : Problems.Forbidden($"The token lacks the '{permission}' permission.");

    /// <summary>
    /// Checks that <paramref name="ns"/> exists in <paramref name="tenantId"/> and is on the token's namespace allow-list.
    /// A namespace outside the allow-list is reported as missing, like another tenant's object.
    /// </summary>
    public static async Task<ProblemHttpResult?> RequireNamespaceAsync(TallyDbContext db, Grant grant, string tenantId, string ns, CancellationToken ct)
    {
        if (!grant.CanAccessNamespace(ns)
            || !await db.Namespaces.AnyAsync(n => n.TenantId == tenantId && n.Name == ns, ct))
        {
            return NamespaceNotFound(ns);
        }

        return null;
    }
}
