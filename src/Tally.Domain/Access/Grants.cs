namespace Tally.Domain.Access;

/// <summary>Feature areas a token can be restricted to. An empty permission list means every area.</summary>
public static class Permissions
{
    public const string Billing = "billing";
    public const string Quota = "quota";
    public const string Usage = "usage";
    public const string Catalog = "catalog";
    public const string Tenants = "tenants";

    public static IReadOnlyList<string> All { get; } = [Billing, Quota, Usage, Catalog, Tenants];
}

/// <summary>Special rights a token must hold explicitly (never implied by role).</summary>
public static class Scopes
{
    /// <summary>3scale's "Billing API" scope.</summary>
    public const string Billing = "billing";

    /// <summary>Usage ingestion.</summary>
    public const string UsageWrite = "usage:write";

    /// <summary>Quota admission, release and reconcile.</summary>
    public const string QuotaAdmit = "quota:admit";

    public static IReadOnlyList<string> All { get; } = [Billing, UsageWrite, QuotaAdmit];
}

/// <summary>
/// What a presented token allows. Pure: built from a stored token, asked by endpoints.
/// <see cref="TenantId"/> null = an operator token.
/// </summary>
public sealed record Grant(
    string TokenId,
    string? TenantId,
    Role Role,
    IReadOnlyCollection<string> Permissions,
    IReadOnlyCollection<string> Scopes,
    IReadOnlyCollection<string> Namespaces)
{
    public bool IsOperator => TenantId is null;

    public bool CanWrite => Role >= Role.Member;

    public bool IsAdmin => Role == Role.Admin;

    /// <summary>True when the token is unrestricted or lists <paramref name="permission"/>.</summary>
    public bool HasPermission(string permission) => Permissions.Count == 0 || Permissions.Contains(permission);

    public bool HasScope(string scope) => Scopes.Contains(scope);

    /// <summary>True when the token has no namespace allow-list or the list names <paramref name="ns"/>.</summary>
    public bool CanAccessNamespace(string ns) => Namespaces.Count == 0 || Namespaces.Contains(ns);

    /// <summary>True when this token may see objects of <paramref name="tenantId"/>: operators see all, tenant tokens only their own.</summary>
    public bool CanSeeTenant(string tenantId) => IsOperator || string.Equals(TenantId, tenantId, StringComparison.Ordinal);
}
