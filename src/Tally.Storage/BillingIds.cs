using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;

namespace Tally.Storage;

/// <summary>
/// Allocates the numeric ids of invoices, line items and payment transactions (3scale's ids): positive, unique across
/// tenants, increasing. PostgreSQL takes them from sequences (gaps possible after a rollback; ids are not friendly ids,
/// which are gap-free); SQLite, whose writers hold the database's write lock, takes the table's largest id + 1.
/// </summary>
public static class BillingIds
{
    public const string Invoices = "invoice_ids";

    public const string LineItems = "invoice_line_item_ids";

    public const string PaymentTransactions = "payment_transaction_ids";

    /// <summary>PostgreSQL sequence names.</summary>
    public static IReadOnlyList<string> Sequences { get; } = [Invoices, LineItems, PaymentTransactions];

    /// <summary>
    /// <paramref name="count"/> (≥ 1) new ids of kind <paramref name="sequence"/> (one of the constants), ascending.
    /// On SQLite call it inside the write transaction that inserts the rows.
    /// </summary>
    public static async Task<long[]> NextAsync(TallyDbContext db, string sequence, int count, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (db is PostgresTallyDbContext)
        {
            var ids = await db.Database
                .SqlQuery<long>($"SELECT nextval({Require(sequence)}::regclass) AS \"Value\" FROM generate_series(1, {count})")
                .ToListAsync(ct);
            ids.Sort();
            return [.. ids];
        }

        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("On SQLite, allocate billing ids inside the write transaction that uses them.");
        }

        var query = Require(sequence) switch
        {
            Invoices => db.Invoices.Select(i => (long?)i.Id),
            LineItems => db.InvoiceLineItems.Select(i => (long?)i.Id),
            _ => db.PaymentTransactions.Select(i => (long?)i.Id),
        };
        var last = await query.MaxAsync(ct) ?? 0;
        var handedOut = HandedOut.GetOrCreateValue(db);
        var first = Math.Max(last, handedOut.GetValueOrDefault(sequence)) + 1;
        var result = new long[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = first + i;
        }

        handedOut[sequence] = result[^1];
        return result;
    }

    // Ids handed out on SQLite per context and kind, so two calls before one SaveChanges do not collide.
    private static readonly ConditionalWeakTable<TallyDbContext, Dictionary<string, long>> HandedOut = [];

    private static string Require(string sequence) =>
        Sequences.Contains(sequence) ? sequence : throw new ArgumentOutOfRangeException(nameof(sequence), sequence, "Unknown id sequence.");
}
