using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Tally.Domain;
using Tally.Domain.Catalog;
using Tally.Domain.Payments;
using Tally.Domain.PlanTransitions;
using Tally.Domain.Tenants;
using Tally.Server.Errors;
using Tally.Server.Features.Catalog;
using Tally.Server.Features.PaymentMethods;
using Tally.Server.Features.Quotas;
using Tally.Server.Features.Subscriptions;
using Tally.Server.Hosting;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Features.PlanTransitions;

/// <summary>The result of a call that may be refused because of the transition's or the tenant's state (409).</summary>
public sealed record TransitionOutcome(PlanTransitionRow? Row, string? Conflict)
{
    public static TransitionOutcome Refused(string conflict) => new(null, conflict);
}

/// <summary>
/// Plan transitions (F5 <c>ves.io.schema.billing.plan_transition</c>): a tenant asks to move to a plan; the request either
/// runs at once or waits for the operator. Running switches the plan subscription (upgrades now, downgrades at the end of
/// the billing period: <see cref="PlanTransitionRules.Timing"/>) and applies the payload's add-on lists at the same
/// instant; a refused step fails the whole run and changes nothing but the transition's state. Every call is one
/// transaction under the tenant's lock. Payment tokens are exchanged for a payment method when the request arrives
/// (tokens are short-lived and single-use) and are never stored.
/// </summary>
public sealed class PlanTransitionService(
    TallyDatabase database, CatalogService catalog, PaymentMethodService paymentMethods, QuotaLimitsService limits)
{
    /// <summary>Longest <c>reason</c> kept on a transition.</summary>
    public const int MaxReasonLength = 1024;

    private static readonly string[] DeletionReasons =
        ["REASON_UNKNOWN", "REASON_SWITCH_TO_FREE_PLAN", "REASON_NO_LONGER_NEEDED", "REASON_NOT_JUSTIFY_COSTS", "REASON_DIFFICULT_TO_USE"];

    /// <summary>
    /// Validates and records a tenant's request, then runs it unless it needs approval. Throws
    /// <see cref="RequestValidationException"/> (400, nothing written) for bad input; a declined payment token leaves
    /// the transition <see cref="PlanTransitionState.Failed"/> with the reason. Row null + conflict: 409.
    /// </summary>
    public async Task<TransitionOutcome> InitiateAsync(
        string tenantId, string requestedBy, InitiatePlanTransitionRequest body, DateTimeOffset now, CancellationToken ct)
    {
        if (body.Namespace is not null and not NamespaceRow.System)
        {
            throw new RequestValidationException("namespace", $"namespace must be 'system' (plan transitions are tenant-wide), not '{Names.Truncate(body.Namespace)}'.");
        }

        var planName = Names.RequireDns1035Label(body.NewPlan, "new_plan");
        var target = await catalog.GetPlanAsync(planName, ct)
            ?? throw new RequestValidationException("new_plan", $"Plan '{planName}' does not exist.");
        var payload = body.Payload ?? new TransitionPayload();
        var token = string.IsNullOrEmpty(payload.PaymentProviderToken) ? null : payload.PaymentProviderToken;
        if (token is not null && CardNumbers.LooksLikeCardNumber(token))
        {
            throw new RequestValidationException("payload.payment_provider_token",
                "payload.payment_provider_token looks like a card number: send the payment provider's token, never card data.");
        }

        ValidatePayload(payload, target);
        PlanTransitionRules.RequireFields(target.TransitionFlow,
            new TransitionInput(token is not null, payload.Domain, payload.BillingAddress?.ToDictionary()));

        return await WriteAsync(tenantId, async (db, tenant) =>
        {
            if (target.Currency.Code != tenant.Currency)
            {
                throw new RequestValidationException("new_plan", $"Plan '{planName}' is priced in {target.Currency.Code}, but the tenant is billed in {tenant.Currency}.");
            }

            var current = await PlanSubscriptions.InEffectAsync(db, tenantId, now, ct);
            if (current?.Plan == planName)
            {
                return TransitionOutcome.Refused($"The tenant is already on plan '{planName}'.");
            }

            var waiting = await db.PlanTransitions.AsNoTracking()
                .Where(t => t.TenantId == tenantId && t.State == PlanTransitionState.WaitingForApproval.ToWire())
                .Select(t => t.Id).FirstOrDefaultAsync(ct);
            if (waiting is not null)
            {
                return TransitionOutcome.Refused($"Plan transition {waiting} is still waiting for approval; it must be approved or rejected first.");
            }

            var row = new PlanTransitionRow
            {
                TenantId = tenantId,
                Id = Guid.NewGuid().ToString("D"),
                FromPlan = current?.Plan,
                NewPlan = planName,
                State = PlanTransitionRules.Initial(target.TransitionFlow).ToWire(),
                RequiresManualApproval = PlanTransitionRules.RequiresManualApproval(target.TransitionFlow),
                PayloadJson = StoredPayload(payload),
                RequestedBy = requestedBy,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.PlanTransitions.Add(row);
            await db.SaveChangesAsync(ct);

            if (token is not null)
            {
                try
                {
                    var contact = (payload.PaymentAddress ?? payload.BillingAddress)?.ToJson();
                    row.PaymentMethod = (await paymentMethods.CreateAsync(db, tenantId, token, PaymentMethodRole.Primary, contact, now, ct)).Name;
                }
                catch (PaymentDeclinedException e)
                {
                    Fail(row, $"The payment provider token was declined ({e.Reason}).", now);
                }
            }

            if (row.State == PlanTransitionState.Creating.ToWire())
            {
                await RunAsync(db, tenant, row, now, ct);
            }

            await db.SaveChangesAsync(ct);
            return new TransitionOutcome(row, null);
        }, ct);
    }

    /// <summary>The operator approves a waiting transition, which then runs. Null when there is no such transition.</summary>
    public Task<TransitionOutcome?> ApproveAsync(string id, string decidedBy, DateTimeOffset now, CancellationToken ct) =>
        DecideAsync(id, async (db, tenant, row) =>
        {
            row.State = PlanTransitionRules.Approve(State(row)).ToWire();
            row.DecidedBy = decidedBy;
            row.UpdatedAt = now;
            await RunAsync(db, tenant, row, now, ct);
        }, ct);

    /// <summary>The operator rejects a waiting transition: it fails with <paramref name="reason"/>. Null when there is no such transition.</summary>
    public Task<TransitionOutcome?> RejectAsync(string id, string decidedBy, string? reason, DateTimeOffset now, CancellationToken ct)
    {
        if (reason is { Length: > MaxReasonLength })
        {
            throw new RequestValidationException("reason", $"reason must be at most {MaxReasonLength} characters.");
        }

        return DecideAsync(id, (_, _, row) =>
        {
            row.State = PlanTransitionRules.Reject(State(row)).ToWire();
            row.Reason = string.IsNullOrWhiteSpace(reason) ? "Rejected by the operator." : "Rejected by the operator: " + reason.Trim();
            row.DecidedBy = decidedBy;
            row.UpdatedAt = now;
            return Task.CompletedTask;
        }, ct);
    }

    /// <summary>A transition's state by id alone (for the token-less F5 lookup); null when unknown.</summary>
    public async Task<string?> GetStateAsync(string id, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return await db.PlanTransitions.AsNoTracking().Where(t => t.Id == id).Select(t => t.State).SingleOrDefaultAsync(ct);
    }

    /// <summary>Transitions, oldest first, optionally of one state and one tenant; at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<PlanTransitionRow>> ListAsync(PlanTransitionState? state, string? tenantId, int limit, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var query = db.PlanTransitions.AsNoTracking();
        if (state is { } s)
        {
            var wire = s.ToWire();
            query = query.Where(t => t.State == wire);
        }

        if (tenantId is not null)
        {
            query = query.Where(t => t.TenantId == tenantId);
        }

        return await query.OrderBy(t => t.CreatedAt).ThenBy(t => t.Id).Take(limit).ToListAsync(ct);
    }

    /// <summary>The stored payload: what was sent, minus the payment token and the fields F5's backend sets itself.</summary>
    public static JsonNode? PayloadOf(PlanTransitionRow row) => JsonNode.Parse(row.PayloadJson);

    private async Task<TransitionOutcome?> DecideAsync(string id, Func<TallyDbContext, TenantRow, PlanTransitionRow, Task> decide, CancellationToken ct)
    {
        string? tenantId;
        await using (var lookup = database.CreateContext())
        {
            tenantId = await lookup.PlanTransitions.AsNoTracking().Where(t => t.Id == id).Select(t => t.TenantId).SingleOrDefaultAsync(ct);
        }

        if (tenantId is null)
        {
            return null;
        }

        return await WriteAsync(tenantId, async (db, tenant) =>
        {
            var row = await db.PlanTransitions.SingleAsync(t => t.TenantId == tenantId && t.Id == id, ct);
            if (State(row) != PlanTransitionState.WaitingForApproval)
            {
                return TransitionOutcome.Refused($"Plan transition {id} is {row.State}: only a transition waiting for approval can be approved or rejected.");
            }

            await decide(db, tenant, row);
            await db.SaveChangesAsync(ct);
            return new TransitionOutcome(row, null);
        }, ct);
    }

    /// <summary>
    /// Runs a <see cref="PlanTransitionState.Creating"/> transition: switches the plan and applies the add-on lists at the
    /// instant the timing rule gives, then marks it finished. A refused step rolls back every change of the run (to a
    /// savepoint) and marks the transition failed with the reason.
    /// </summary>
    private async Task RunAsync(TallyDbContext db, TenantRow tenant, PlanTransitionRow row, DateTimeOffset now, CancellationToken ct)
    {
        await db.SaveChangesAsync(ct);
        var transaction = db.Database.CurrentTransaction ?? throw new InvalidOperationException("RunAsync needs the caller's transaction.");
        const string Savepoint = "plan_transition_run";
        await transaction.CreateSavepointAsync(Savepoint, ct);
        var failure = await TryRunAsync(db, tenant, row, now, ct);
        if (failure is null)
        {
            row.State = PlanTransitionRules.Complete(State(row), succeeded: true).ToWire();
            row.UpdatedAt = now;
            await db.SaveChangesAsync(ct);
            limits.Invalidate(tenant.TenantId);
            return;
        }

        await transaction.RollbackToSavepointAsync(Savepoint, ct);
        var (id, paymentMethod, decidedBy) = (row.Id, row.PaymentMethod, row.DecidedBy);
        db.ChangeTracker.Clear();
        var fresh = await db.PlanTransitions.SingleAsync(t => t.TenantId == tenant.TenantId && t.Id == id, ct);
        fresh.PaymentMethod = paymentMethod;
        fresh.DecidedBy = decidedBy;
        fresh.State = PlanTransitionState.Failed.ToWire();
        Fail(fresh, failure, now);
        await db.SaveChangesAsync(ct);
        Copy(fresh, row);
    }

    /// <summary>The run's steps; returns why it cannot finish, or null when every step succeeded (changes saved, not committed).</summary>
    private async Task<string?> TryRunAsync(TallyDbContext db, TenantRow tenant, PlanTransitionRow row, DateTimeOffset now, CancellationToken ct)
    {
        if (await catalog.GetPlanAsync(row.NewPlan, ct) is not { } target)
        {
            return $"Plan '{row.NewPlan}' no longer exists.";
        }

        var current = await PlanSubscriptions.InEffectAsync(db, tenant.TenantId, now, ct);
        if (current?.Plan == target.Name)
        {
            return $"The tenant is already on plan '{target.Name}'.";
        }

        var currentPlan = current is null ? null : await catalog.GetPlanAsync(current.Plan, ct);
        if (currentPlan is not null && currentPlan.Currency != target.Currency)
        {
            return $"Plan '{target.Name}' is priced in {target.Currency.Code}, but plan '{currentPlan.Name}' in {currentPlan.Currency.Code}.";
        }

        var from = PlanTransitionRules.Timing(currentPlan, target) == PlanChangeTiming.Now
            ? now
            : BillingPeriod.Containing(now, TimeZones.Require(tenant.TimeZone)).End;
        await PlanSubscriptions.SwitchAsync(db, tenant.TenantId, target, from, now, ct);
        await db.SaveChangesAsync(ct);

        var payload = JsonSerializer.Deserialize<TransitionPayload>(row.PayloadJson, TallyJson.Options) ?? new TransitionPayload();
        foreach (var addOn in payload.UnsubscribeAddonServices ?? [])
        {
            var outcome = await AddOnSubscriptions.UnsubscribeAsync(db, tenant.TenantId, addOn, target, from, now, ct);
            if (outcome.Refusal is { } refusal)
            {
                return refusal;
            }

            await db.SaveChangesAsync(ct);
        }

        foreach (var addOn in payload.SubscribeAddonServices ?? [])
        {
            var outcome = await AddOnSubscriptions.SubscribeAsync(db, tenant.TenantId, addOn, target, from, now, ct);
            if (outcome.Refusal is { } refusal)
            {
                return refusal;
            }

            await db.SaveChangesAsync(ct);
        }

        return null;
    }

    private async Task<TransitionOutcome> WriteAsync(string tenantId, Func<TallyDbContext, TenantRow, Task<TransitionOutcome>> work, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (!await db.LockTenantAsync(tenantId, ct))
        {
            throw new InvalidOperationException($"Tenant '{tenantId}' does not exist.");
        }

        var tenant = await db.Tenants.AsNoTracking().SingleAsync(t => t.TenantId == tenantId, ct);
        var outcome = await work(db, tenant);
        if (outcome.Row is not null)
        {
            await transaction.CommitAsync(ct);
        }

        return outcome;
    }

    /// <summary>Payload checks that need the target plan: add-on names, lists and F5 enums.</summary>
    private static void ValidatePayload(TransitionPayload payload, PlanDefinition target)
    {
        var subscribe = payload.SubscribeAddonServices ?? [];
        var unsubscribe = payload.UnsubscribeAddonServices ?? [];
        CheckAddOns(subscribe, "payload.subscribe_addon_services", name =>
            target.AllowedAddOns.Contains(name) || target.IncludedAddOns.Contains(name)
                ? null
                : $"plan '{target.Name}' does not offer add-on '{Names.Truncate(name)}'");
        CheckAddOns(unsubscribe, "payload.unsubscribe_addon_services", name =>
            target.IncludedAddOns.Contains(name) ? $"add-on '{name}' comes with plan '{target.Name}' and cannot be unsubscribed" : null);
        for (var i = 0; i < subscribe.Count; i++)
        {
            if (unsubscribe.Contains(subscribe[i]))
            {
                var path = Index("payload.subscribe_addon_services", i);
                throw new RequestValidationException(path, $"{path}: add-on '{subscribe[i]}' is also in payload.unsubscribe_addon_services.");
            }
        }

        if (payload.DeletionReason is { } deletion && !DeletionReasons.Contains(deletion))
        {
            throw new RequestValidationException("payload.deletion_reason", $"payload.deletion_reason must be one of {string.Join(", ", DeletionReasons)}.");
        }

        foreach (var (field, contact) in new[] { ("payload.billing_address", payload.BillingAddress), ("payload.payment_address", payload.PaymentAddress) })
        {
            if (contact?.ContactType is { } type && !PaymentMethodService.ContactTypes.Contains(type))
            {
                throw new RequestValidationException(field + ".contact_type", $"{field}.contact_type must be one of {string.Join(", ", PaymentMethodService.ContactTypes)}.");
            }
        }

        foreach (var (field, text, max) in new[]
                 {
                     ("payload.support_ticket_info", payload.SupportTicketInfo, 4096),
                     ("payload.deletion_feedback", payload.DeletionFeedback, 4096),
                     ("payload.domain", payload.Domain, 253),
                 })
        {
            if (text is { } value && value.Length > max)
            {
                throw new RequestValidationException(field, $"{field} must be at most {max} characters.");
            }
        }
    }

    private static void CheckAddOns(IReadOnlyList<string> names, string field, Func<string, string?> refusal)
    {
        if (names.Count > PlanDefinition.MaxAddOns)
        {
            throw new RequestValidationException(field, $"{field} may name at most {PlanDefinition.MaxAddOns} add-ons.");
        }

        for (var i = 0; i < names.Count; i++)
        {
            var path = Index(field, i);
            if (!AddOnNames.IsValid(names[i]))
            {
                throw new RequestValidationException(path, $"{path}: '{Names.Truncate(names[i] ?? "")}' is not an add-on name.");
            }

            if (names.Take(i).Contains(names[i]))
            {
                throw new RequestValidationException(path, $"{path}: add-on '{names[i]}' is named twice.");
            }

            if (refusal(names[i]) is { } reason)
            {
                throw new RequestValidationException(path, $"{path}: {reason}.");
            }
        }
    }

    private static string StoredPayload(TransitionPayload payload) =>
        JsonSerializer.Serialize(payload with { PaymentProviderToken = null, BillingProviderAccountId = null, TpSubscriptionId = null }, TallyJson.Options);

    private static PlanTransitionState State(PlanTransitionRow row) => PlanTransitionRules.ParseState(row.State, "state");

    private static void Fail(PlanTransitionRow row, string reason, DateTimeOffset now)
    {
        row.State = PlanTransitionState.Failed.ToWire();
        row.Reason = reason.Length <= MaxReasonLength ? reason : reason[..MaxReasonLength];
        row.UpdatedAt = now;
    }

    private static void Copy(PlanTransitionRow from, PlanTransitionRow to)
    {
        to.State = from.State;
        to.Reason = from.Reason;
        to.UpdatedAt = from.UpdatedAt;
        to.PaymentMethod = from.PaymentMethod;
        to.DecidedBy = from.DecidedBy;
    }

    private static string Index(string field, int i) => string.Create(CultureInfo.InvariantCulture, $"{field}[{i}]");
}
