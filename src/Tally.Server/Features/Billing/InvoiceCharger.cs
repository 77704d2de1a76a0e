using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tally.Domain;
using Tally.Domain.Invoicing;
using Tally.Server.Features.Invoices;
using Tally.Server.Features.PaymentMethods;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Features.Billing;

/// <summary>What a charge did: <see cref="Charged"/> when an attempt was made (and recorded), <see cref="Approved"/> when it paid the invoice.</summary>
/// <param name="Charged">False when nothing was attempted (not chargeable, not due, or another process recorded the attempt first).</param>
/// <param name="Approved">True when the invoice is paid by this call.</param>
/// <param name="State">The invoice's state afterwards.</param>
/// <param name="Message">"Approved", the decline reason, or why nothing was attempted.</param>
public sealed record ChargeResult(bool Charged, bool Approved, InvoiceState State, string Message);

/// <summary>
/// Charges invoices through the payment gateway: the tenant's primary payment method, then, when that is declined or
/// missing, its secondary one. Each gateway call carries an idempotency key derived from the invoice and attempt
/// (<c>invoice:{id}:attempt:{n}</c>, <c>…:secondary</c> for the fallback; <c>invoice:{id}:manual:{n}</c> for the API's
/// charges), so a retried or concurrent attempt moves money once; every call is recorded as a payment transaction. The
/// gateway is called outside the tenant lock; the outcome is recorded under it, once (the key is unique per tenant).
/// </summary>
public sealed class InvoiceCharger(TallyDatabase database, IPaymentGateway gateway, TimeProvider clock, BillingOptions options)
{
    /// <summary>
    /// An automatic attempt (a billing run): only when <see cref="ChargePolicy.IsDue"/> at now. A decline counts toward
    /// the policy's attempts: pending → unpaid, failed at the last one.
    /// </summary>
    public Task<ChargeResult> ChargeDueAsync(string tenant, long invoiceId, CancellationToken ct) => ChargeAsync(tenant, invoiceId, automatic: true, ct);

    /// <summary>
    /// A manual attempt (3scale's charge endpoint): allowed in pending, unpaid and failed (else <see cref="InvalidOperationException"/>
    /// "Invoice {id} is not in chargeable state!"); a decline changes nothing but is recorded. A non-positive invoice
    /// is not charged: throws <see cref="InvalidOperationException"/> "non-chargeable amount".
    /// </summary>
    public Task<ChargeResult> ChargeNowAsync(string tenant, long invoiceId, CancellationToken ct) => ChargeAsync(tenant, invoiceId, automatic: false, ct);

    private async Task<ChargeResult> ChargeAsync(string tenant, long invoiceId, bool automatic, CancellationToken ct)
    {
        var policy = options.ChargePolicy;
        // 1. Decide the attempt (no lock: the record step re-checks everything).
        await using var read = database.CreateContext();
        var invoice = await read.Invoices.AsNoTracking().SingleOrDefaultAsync(i => i.TenantId == tenant && i.Id == invoiceId, ct)
            ?? throw new InvalidOperationException($"Invoice {invoiceId} of tenant '{tenant}' does not exist.");
        var state = InvoiceStore.StateOf(invoice);
        var now = clock.GetUtcNow();
        if (automatic && !policy.IsDue(state, invoice.DueAt ?? DateTimeOffset.MaxValue, invoice.LastChargeAttemptAt, now))
        {
            return new ChargeResult(false, false, state, "not due");
        }

        if (!state.IsChargeable())
        {
            throw new InvalidOperationException($"Invoice {invoiceId} is not in chargeable state!");
        }

        if (invoice.TotalMinor <= 0)
        {
            throw new InvalidOperationException("non-chargeable amount");
        }

        var methods = await read.PaymentMethods.AsNoTracking()
            .Where(m => m.TenantId == tenant && (m.Role == PaymentMethodRow.Primary || m.Role == PaymentMethodRow.Secondary)).ToListAsync(ct);
        var manualCount = automatic ? 0 : await read.PaymentTransactions.CountAsync(t => t.TenantId == tenant && t.InvoiceId == invoiceId && !t.Automatic, ct);

        var amount = new Money(invoice.TotalMinor, Currency.Of(invoice.Currency));
        var baseKey = automatic
            ? string.Create(CultureInfo.InvariantCulture, $"invoice:{invoiceId}:attempt:{invoice.ChargeAttempts + 1}")
            : string.Create(CultureInfo.InvariantCulture, $"invoice:{invoiceId}:manual:{manualCount + 1}");

        // 2. Call the gateway: primary, then secondary.
        var attempts = new List<Attempt>();
        foreach (var (method, key) in new[]
                 {
                     (methods.FirstOrDefault(m => m.Role == PaymentMethodRow.Primary), baseKey),
                     (methods.FirstOrDefault(m => m.Role == PaymentMethodRow.Secondary), baseKey + ":secondary"),
                 })
        {
            if (method is null)
            {
                continue;
            }

            var result = await gateway.ChargeAsync(method.GatewayReference, amount, key, ct);
            attempts.Add(new Attempt(key, method.Name, result));
            if (result.Approved)
            {
                break;
            }
        }

        if (attempts.Count == 0)
        {
            attempts.Add(new Attempt(baseKey, null, GatewayChargeResult.Decline("no_payment_method")));
        }

        // 3. Record, once, under the tenant lock.
        await using var write = database.CreateContext();
        await using var tx = await write.Database.BeginTransactionAsync(ct);
        await write.LockTenantAsync(tenant, ct);
        var current = await InvoiceStore.FindAsync(write, invoiceId, tenant, ct)
            ?? throw new InvalidOperationException($"Invoice {invoiceId} of tenant '{tenant}' does not exist.");
        var keys = attempts.Select(a => a.Key).ToList();
        if (await write.PaymentTransactions.AnyAsync(t => t.TenantId == tenant && keys.Contains(t.IdempotencyKey), ct))
        {
            return new ChargeResult(false, false, InvoiceStore.StateOf(current), "already recorded");
        }

        var ids = await BillingIds.NextAsync(write, BillingIds.PaymentTransactions, attempts.Count, ct);
        for (var i = 0; i < attempts.Count; i++)
        {
            var attempt = attempts[i];
            write.PaymentTransactions.Add(new PaymentTransactionRow
            {
                TenantId = tenant,
                Id = ids[i],
                InvoiceId = invoiceId,
                IdempotencyKey = attempt.Key,
                Reference = attempt.Result.ChargeReference,
                Success = attempt.Result.Approved,
                AmountMinor = amount.Minor,
                Currency = amount.Currency.Code,
                Action = "purchase",
                Message = attempt.Result.Approved ? "Approved" : attempt.Result.DeclineReason ?? "declined",
                PaymentMethod = attempt.Method,
                Gateway = attempt.Method is null ? null : gateway.Name,
                GatewayResponseJson = JsonSerializer.Serialize(new Dictionary<string, string?>
                {
                    ["charge_reference"] = attempt.Result.ChargeReference,
                    ["decline_reason"] = attempt.Result.DeclineReason,
                }),
                Automatic = automatic,
                CreatedAt = now,
                UpdatedAt = now,
            });
        }

        var approved = attempts[^1].Result.Approved;
        var before = InvoiceStore.StateOf(current);
        if (approved && before.IsChargeable())
        {
            InvoiceStore.Fire(current, InvoiceEvent.Pay, now);
        }
        else if (!approved && automatic && before is InvoiceState.Pending or InvoiceState.Unpaid)
        {
            var outcome = policy.AfterFailure(before, current.ChargeAttempts + 1, now);
            foreach (var @event in outcome.Events)
            {
                InvoiceStore.Fire(current, @event, now);
            }
        }

        if (automatic)
        {
            current.ChargeAttempts += approved ? 0 : 1;
            current.LastChargeAttemptAt = now;
        }

        await write.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        var message = approved ? "Approved" : attempts[^1].Result.DeclineReason ?? "declined";
        return new ChargeResult(true, approved, InvoiceStore.StateOf(current), message);
    }

    private sealed record Attempt(string Key, string? Method, GatewayChargeResult Result);
}
