using Tally.Domain.Access;
using Tally.Storage.Entities;

namespace Tally.Server.Auth;

/// <summary>Builds new token rows. The secret is returned to the caller once and only its hash is stored.</summary>
public static class TokenIssuer
{
    public static (ApiTokenRow Row, string Secret) Issue(
        string? tenantId,
        string name,
        Role role,
        IEnumerable<string> permissions,
        IEnumerable<string> scopes,
        IEnumerable<string> namespaces,
        DateTimeOffset? expiresAt,
        DateTimeOffset now,
        string createdBy,
        string? secret = null)
    {
        secret ??= TokenSecrets.Generate();
        var row = new ApiTokenRow
        {
            TenantId = tenantId ?? ApiTokenRow.OperatorTenant,
            Id = TokenSecrets.NewId(),
            SecretHash = TokenSecrets.Hash(secret),
            Name = name,
            Role = role.ToWire(),
            Permissions = string.Join(' ', permissions),
            Scopes = string.Join(' ', scopes),
            Namespaces = string.Join(' ', namespaces),
            ExpiresAt = expiresAt?.ToUniversalTime(),
            CreatedAt = now,
            CreatedBy = createdBy,
        };
        return (row, secret);
    }
}
