using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Tally.Domain.Access;
using Tally.Server.Auth;
using Tally.Server.Errors;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Features.Admin;

/// <summary>
/// Operator API: tokens. Operator admins manage every token; a tenant admin manages its own tenant's tokens.
/// A token can only hand out what it holds: role, permissions, scopes and namespaces are capped by the creator's.
/// </summary>
public static class TokensEndpoints
{
    public static IEndpointRouteBuilder MapTokens(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/admin/tokens").WithTags("Tokens");
        group.MapPost("/", CreateAsync).WithSummary("Create a token. The secret is in this response only.");
        group.MapGet("/", ListAsync).WithSummary("List tokens (never their secrets); ?tenant= narrows to one tenant.");
        group.MapDelete("/{id}", RevokeAsync).WithSummary("Revoke a token.");
        return routes;
    }

    public static async Task<Results<Created<TokenResponse>, ProblemHttpResult>> CreateAsync(
        TokenCreateRequest body, Caller caller, TallyDatabase database, TimeProvider clock, CancellationToken ct)
    {
        var grant = caller.Grant;
        if (!grant.IsAdmin)
        {
            return Problems.Forbidden("Only admin tokens can create tokens.");
        }

        await using var db = database.CreateContext();
        // A tenant token always creates tokens of its own tenant: null means its own, another tenant is 404 below.
        var tenant = body.Tenant ?? grant.TenantId;
        if (tenant is not null && (await TenantScope.FindAsync(db, grant, tenant, ct)).Problem is { } missing)
        {
            return missing;
        }

        var now = clock.GetUtcNow();
        var name = body.Name is { Length: > 0 and <= 128 } n ? n : throw new RequestValidationException("name", "name is required, 1-128 characters.");
        var role = Roles.Parse(body.Role);
        var permissions = Distinct(body.Permissions, "permissions", Permissions.All);
        var scopes = Distinct(body.Scopes, "scopes", Scopes.All);
        var namespaces = Distinct(body.Namespaces, "namespaces", null);
        if (body.ExpiresAt is { } expires && expires <= now)
        {
            throw new RequestValidationException("expires_at", "expires_at must be in the future.");
        }

        if (tenant is null && namespaces.Length > 0)
        {
            throw new RequestValidationException("namespaces", "Operator tokens cannot have a namespace allow-list.");
        }

        for (var i = 0; i < namespaces.Length; i++)
        {
            var ns = namespaces[i];
            if (!await db.Namespaces.AnyAsync(x => x.TenantId == tenant && x.Name == ns, ct))
            {
                throw new RequestValidationException($"namespaces[{i}]", $"Namespace '{ns}' does not exist in tenant '{tenant}'.");
            }
        }

        if (Escalation(grant, role, permissions, scopes, namespaces) is { } escalation)
        {
            return Problems.Forbidden(escalation);
        }

        var (row, secret) = TokenIssuer.Issue(tenant, name, role, permissions, scopes, namespaces, body.ExpiresAt, now, grant.TokenId);
        db.ApiTokens.Add(row);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/admin/tokens/{row.Id}", TokenResponse.From(row, secret));
    }

    public static async Task<Results<Ok<TokenListResponse>, ProblemHttpResult>> ListAsync(
        string? tenant, Caller caller, TallyDatabase database, CancellationToken ct)
    {
        var grant = caller.Grant;
        await using var db = database.CreateContext();
        if (tenant is not null && (await TenantScope.FindAsync(db, grant, tenant, ct)).Problem is { } missing)
        {
            return missing;
        }

        if (!grant.IsAdmin)
        {
            return Problems.Forbidden("Only admin tokens can list tokens.");
        }

        var scope = tenant ?? grant.TenantId;
        var query = db.ApiTokens.AsNoTracking();
        query = scope is null ? query : query.Where(t => t.TenantId == scope);
        var rows = await query.OrderBy(t => t.TenantId).ThenBy(t => t.Id).ToListAsync(ct);
        return TypedResults.Ok(new TokenListResponse([.. rows.Select(r => TokenResponse.From(r, null))]));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(
        string id, Caller caller, TallyDatabase database, TokenAuthenticator authenticator, TimeProvider clock, CancellationToken ct)
    {
        var grant = caller.Grant;
        await using var db = database.CreateContext();
        var row = grant.IsOperator
            ? await db.ApiTokens.SingleOrDefaultAsync(t => t.Id == id, ct)
            : await db.ApiTokens.SingleOrDefaultAsync(t => t.TenantId == grant.TenantId && t.Id == id, ct);
        if (row is null)
        {
            return Problems.NotFound($"Token '{id}' does not exist.");
        }

        if (!grant.IsAdmin)
        {
            return Problems.Forbidden("Only admin tokens can revoke tokens.");
        }

        row.RevokedAt ??= clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        authenticator.Evict(row.Id);
        return TypedResults.NoContent();
    }

    private static string[] Distinct(string[]? values, string field, IReadOnlyList<string>? allowed)
    {
        if (values is null)
        {
            return [];
        }

        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            if (allowed is not null && !allowed.Contains(v))
            {
                throw new RequestValidationException($"{field}[{i}]", $"{field}[{i}] '{v}' is not one of {string.Join(", ", allowed)}.");
            }

            if (allowed is null && !Tally.Domain.Names.IsDns1035Label(v))
            {
                throw new RequestValidationException($"{field}[{i}]", $"{field}[{i}] '{v}' is not a namespace name.");
            }
        }

        return [.. values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    private static string? Escalation(Grant creator, Role role, string[] permissions, string[] scopes, string[] namespaces)
    {
        if (role > creator.Role)
        {
            return $"A {creator.Role.ToWire()} token cannot create a {role.ToWire()} token.";
        }

        if (creator.Permissions.Count > 0 && (permissions.Length == 0 || permissions.Any(p => !creator.HasPermission(p))))
        {
            return $"The new token's permissions must be a subset of yours ({string.Join(", ", creator.Permissions)}).";
        }

        if (scopes.FirstOrDefault(s => !creator.HasScope(s)) is { } scope)
        {
            return $"You cannot grant the '{scope}' scope: your token does not hold it.";
        }

        if (creator.Namespaces.Count > 0 && (namespaces.Length == 0 || namespaces.Any(n => !creator.CanAccessNamespace(n))))
        {
            return $"The new token's namespaces must be a subset of yours ({string.Join(", ", creator.Namespaces)}).";
        }

        return null;
    }
}

/// <summary>POST body. <c>tenant</c> null (or absent, for operator callers) creates an operator token.</summary>
public sealed record TokenCreateRequest(
    string? Tenant,
    string? Name,
    string? Role,
    string[]? Permissions,
    string[]? Scopes,
    string[]? Namespaces,
    DateTimeOffset? ExpiresAt);

/// <summary>A token as listed. <see cref="Token"/> (the secret) is set only in the create response.</summary>
public sealed record TokenResponse(
    string Id,
    string? Token,
    string? Tenant,
    string Name,
    string Role,
    IReadOnlyList<string> Permissions,
    IReadOnlyList<string> Scopes,
    IReadOnlyList<string> Namespaces,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    DateTimeOffset CreatedAt)
{
    public static TokenResponse From(ApiTokenRow row, string? secret) => new(
        row.Id,
        secret,
        row.TenantId == ApiTokenRow.OperatorTenant ? null : row.TenantId,
        row.Name,
        row.Role,
        TokenAuthenticator.Split(row.Permissions),
        TokenAuthenticator.Split(row.Scopes),
        TokenAuthenticator.Split(row.Namespaces),
        row.ExpiresAt,
        row.RevokedAt,
        row.CreatedAt);
}

public sealed record TokenListResponse(IReadOnlyList<TokenResponse> Items);
