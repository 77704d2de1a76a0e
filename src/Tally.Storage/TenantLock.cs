using Microsoft.EntityFrameworkCore;

namespace Tally.Storage;

/// <summary>Serialises writers of one tenant's billing rows (subscriptions, payment methods, plan transitions).</summary>
public static class TenantLock
{
    /// <summary>
    /// Call first inside a transaction. On PostgreSQL it locks the tenant's row (<c>FOR UPDATE</c>) until the transaction
    /// ends; on SQLite the transaction already holds the database's write lock (<c>BEGIN IMMEDIATE</c>). Returns false
    /// when the tenant does not exist.
    /// </summary>
    public static async Task<bool> LockTenantAsync(this TallyDbContext db, string tenantId, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("LockTenantAsync needs an open transaction.");
        }

        var query = db is PostgresTallyDbContext
            ? db.Database.SqlQuery<string>($"SELECT tenant_id AS \"Value\" FROM tenants WHERE tenant_id = {tenantId} FOR UPDATE")
            : db.Tenants.Where(t => t.TenantId == tenantId).Select(t => t.TenantId);
        return (await query.ToListAsync(ct)).Count > 0;
    }
}
