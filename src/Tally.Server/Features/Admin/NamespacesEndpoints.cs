using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Tally.Domain;
using Tally.Server.Auth;
using Tally.Server.Errors;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Features.Admin;

/// <summary>Operator API: a tenant's namespaces. Operators and the tenant's own admin/member tokens may write; viewers read.</summary>
public static class NamespacesEndpoints
{
    public static IEndpointRouteBuilder MapNamespaces(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/admin/tenants/{tenant}/namespaces").WithTags("Namespaces");
        group.MapPost("/", CreateAsync).WithSummary("Create a namespace (a DNS-1035 label).");
        group.MapGet("/", ListAsync).WithSummary("List the tenant's namespaces.");
        group.MapDelete("/{name}", DeleteAsync).WithSummary("Delete a namespace with its quota objects and counts. 'system' cannot be deleted.");
        return routes;
    }

    public static async Task<Results<Created<NamespaceResponse>, ProblemHttpResult>> CreateAsync(
        string tenant, NamespaceCreateRequest body, Caller caller, TallyDatabase database, TimeProvider clock, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var (_, problem) = await TenantScope.FindAsync(db, caller.Grant, tenant, ct);
        if ((problem ?? TenantScope.RequireWrite(caller.Grant)) is { } denied)
        {
            return denied;
        }

        var name = Names.RequireDns1035Label(body.Name, "name");
        if (await db.Namespaces.AnyAsync(n => n.TenantId == tenant && n.Name == name, ct))
        {
            return Problems.Conflict($"Namespace '{name}' already exists in tenant '{tenant}'.");
        }

        var row = new NamespaceRow { TenantId = tenant, Name = name, CreatedAt = clock.GetUtcNow() };
        db.Namespaces.Add(row);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            return Problems.Conflict($"Namespace '{name}' already exists in tenant '{tenant}'.");
        }

        return TypedResults.Created($"/api/admin/tenants/{tenant}/namespaces/{name}", NamespaceResponse.From(row));
    }

    public static async Task<Results<Ok<NamespaceListResponse>, ProblemHttpResult>> ListAsync(string tenant, Caller caller, TallyDatabase database, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var (_, problem) = await TenantScope.FindAsync(db, caller.Grant, tenant, ct);
        if (problem is not null)
        {
            return problem;
        }

        var rows = await db.Namespaces.AsNoTracking().Where(n => n.TenantId == tenant).OrderBy(n => n.Name).ToListAsync(ct);
        return TypedResults.Ok(new NamespaceListResponse([.. rows.Where(r => caller.Grant.CanAccessNamespace(r.Name)).Select(NamespaceResponse.From)]));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string tenant, string name, Caller caller, TallyDatabase database, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var (_, problem) = await TenantScope.FindAsync(db, caller.Grant, tenant, ct);
        if ((problem ?? await TenantScope.RequireNamespaceAsync(db, caller.Grant, tenant, name, ct) ?? TenantScope.RequireWrite(caller.Grant)) is { } denied)
        {
            return denied;
        }

        if (name == NamespaceRow.System)
        {
            return Problems.Conflict("The 'system' namespace holds tenant-wide objects and cannot be deleted.");
        }

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.QuotaObjects.Where(q => q.TenantId == tenant && q.Namespace == name).ExecuteDeleteAsync(ct);
        await db.QuotaCounts.Where(q => q.TenantId == tenant && q.Namespace == name).ExecuteDeleteAsync(ct);
        await db.Namespaces.Where(n => n.TenantId == tenant && n.Name == name).ExecuteDeleteAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.NoContent();
    }
}

public sealed record NamespaceCreateRequest(string? Name);

public sealed record NamespaceResponse(string Name, DateTimeOffset CreatedAt)
{
    public static NamespaceResponse From(NamespaceRow row) => new(row.Name, row.CreatedAt);
}

public sealed record NamespaceListResponse(IReadOnlyList<NamespaceResponse> Items);
