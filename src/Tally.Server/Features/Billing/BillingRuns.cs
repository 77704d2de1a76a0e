using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Tally.Server.Features.Invoices;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Features.Billing;

/// <summary>
/// One thing a run could not do: bill <see cref="Tenant"/> (the engine threw), render the PDF of <see cref="Invoice"/>
/// (the tenant is still billed), or, with a null tenant, proceed at all (the run failed).
/// </summary>
public sealed record BillingRunError(string? Tenant, string Error, string? Invoice = null)
{
    /// <summary>True when the tenant itself could not be billed (not a PDF problem, not the whole run).</summary>
    public bool IsTenantFailure => Tenant is not null && Invoice is null;
}

/// <summary>Where a run stands, as written to <c>billing_runs</c> and shown to the CLI's progress bar.</summary>
public sealed record BillingRunProgress(int TenantsTotal, int TenantsDone, int InvoicesIssued, int ChargesMade, IReadOnlyList<BillingRunError> Errors)
{
    public static BillingRunProgress Empty { get; } = new(0, 0, 0, 0, []);

    public int TenantsFailed => Errors.Count(e => e.IsTenantFailure);
}

/// <summary>
/// The <c>billing_runs</c> registry: queued → running → finished | failed. Claiming is one conditional UPDATE, so of
/// several processes only one runs a given run at a time; a run whose row has not been touched for
/// <see cref="StaleAfter"/> (its process died, or it was stopped) may be claimed again. That is safe because the engine
/// is idempotent: a re-run adds nothing twice.
/// </summary>
public sealed class BillingRuns(TallyDatabase database, TimeProvider clock)
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Finished = "finished";
    public const string Failed = "failed";

    /// <summary>Most tenants one run may name.</summary>
    public const int MaxTenants = 10_000;

    /// <summary>A queued or running run not updated for this long is considered abandoned and may be claimed again.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(10);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The id of a run started by hand (API or CLI): <c>run-</c> + a UUID.</summary>
    public static string NewId() => "run-" + Guid.NewGuid().ToString("D");

    /// <summary>The id of the scheduled run of <paramref name="date"/>: the same in every process, so only one can insert it.</summary>
    public static string DailyId(DateOnly date) => "run-daily-" + Format(date);

    public static string Format(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static bool TryParseDate(string? text, out DateOnly date) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

    public static DateOnly Today(DateTimeOffset now) => DateOnly.FromDateTime(now.UtcDateTime);

    public static IReadOnlyList<string> TenantsOf(BillingRunRow row) => JsonSerializer.Deserialize<List<string>>(row.TenantsJson, Json) ?? [];

    public static IReadOnlyList<BillingRunError> ErrorsOf(BillingRunRow row) =>
        row.Error is null ? [] : JsonSerializer.Deserialize<List<BillingRunError>>(row.Error, Json) ?? [];

    /// <summary>Of <paramref name="tenants"/>, the indexes of those that do not exist.</summary>
    public async Task<IReadOnlyList<int>> UnknownTenantsAsync(IReadOnlyList<string> tenants, CancellationToken ct)
    {
        if (tenants.Count == 0)
        {
            return [];
        }

        var asked = tenants.Distinct(StringComparer.Ordinal).ToList();
        await using var db = database.CreateContext();
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in asked.Chunk(500))
        {
            known.UnionWith(await db.Tenants.AsNoTracking().Where(t => chunk.Contains(t.TenantId)).Select(t => t.TenantId).ToListAsync(ct));
        }

        return [.. tenants.Select((t, i) => (t, i)).Where(x => !known.Contains(x.t)).Select(x => x.i)];
    }

    /// <summary>Inserts a queued run. Returns null when a run with <paramref name="id"/> already exists (another process made it).</summary>
    public async Task<BillingRunRow?> TryCreateAsync(string id, DateOnly date, IReadOnlyList<string> tenants, bool dryRun, string requestedBy, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var row = new BillingRunRow
        {
            Id = id,
            State = Queued,
            Date = Format(date),
            TenantsJson = JsonSerializer.Serialize(tenants, Json),
            DryRun = dryRun,
            RequestedBy = requestedBy.Length > 40 ? requestedBy[..40] : requestedBy,
            CreatedAt = now,
            UpdatedAt = now,
        };
        await using var db = database.CreateContext();
        if (await db.BillingRuns.AnyAsync(r => r.Id == id, ct))
        {
            return null;
        }

        db.BillingRuns.Add(row);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The primary key: another process inserted the same id between the check and the insert. Anything else is
            // not swallowed: the scheduler must not take a failed insert for "another process has started today's run".
            if (await ExistsAsync(id, ct))
            {
                return null;
            }

            throw;
        }

        return row;
    }

    private async Task<bool> ExistsAsync(string id, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return await db.BillingRuns.AnyAsync(r => r.Id == id, ct);
    }

    /// <summary>
    /// Moves a run to running for this process: a queued one, or a queued or running one not updated for
    /// <see cref="StaleAfter"/>. Null when the run is someone else's, finished, failed or missing.
    /// </summary>
    public async Task<BillingRunRow?> ClaimAsync(string id, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var cutoff = now - StaleAfter;
        await using var db = database.CreateContext();
        var claimed = await db.BillingRuns
            .Where(r => r.Id == id && (r.State == Queued || r.State == Running) && (r.State == Queued && r.StartedAt == null || r.UpdatedAt < cutoff))
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.State, Running).SetProperty(r => r.StartedAt, now).SetProperty(r => r.UpdatedAt, now), ct);
        return claimed == 1 ? await db.BillingRuns.AsNoTracking().SingleAsync(r => r.Id == id, ct) : null;
    }

    /// <summary>Ids of queued or running runs not updated for <see cref="StaleAfter"/>, oldest first.</summary>
    public async Task<IReadOnlyList<string>> AbandonedAsync(CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow() - StaleAfter;
        await using var db = database.CreateContext();
        return await db.BillingRuns.AsNoTracking()
            .Where(r => (r.State == Queued || r.State == Running) && r.UpdatedAt < cutoff)
            .OrderBy(r => r.CreatedAt).Select(r => r.Id).Take(100).ToListAsync(ct);
    }

    /// <summary>Writes progress (and refreshes <c>updated_at</c>); with a <paramref name="state"/>, also ends or releases the run.</summary>
    public async Task ReportAsync(string id, BillingRunProgress progress, string? state, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var error = progress.Errors.Count == 0 ? null : JsonSerializer.Serialize(progress.Errors, Json);
        await using var db = database.CreateContext();
        var row = await db.BillingRuns.SingleAsync(r => r.Id == id, ct);
        row.TenantsTotal = progress.TenantsTotal;
        row.TenantsDone = progress.TenantsDone;
        row.InvoicesIssued = progress.InvoicesIssued;
        row.ChargesMade = progress.ChargesMade;
        row.Error = error;
        row.UpdatedAt = now;
        if (state is not null)
        {
            row.State = state;
            row.FinishedAt = state is Finished or Failed ? now : null;
        }

        await db.SaveChangesAsync(ct);
    }

    public async Task<BillingRunRow?> FindAsync(string id, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return await db.BillingRuns.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, ct);
    }

    /// <summary>The newest <paramref name="limit"/> runs, newest first.</summary>
    public async Task<IReadOnlyList<BillingRunRow>> ListAsync(int limit, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return await db.BillingRuns.AsNoTracking().OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).Take(limit).ToListAsync(ct);
    }
}

/// <summary>
/// Executes billing runs: every tenant asked (or every tenant, by name) through <see cref="BillingEngine.BillTenantAsync"/>,
/// <see cref="BillingOptions.Parallelism"/> at a time. A tenant that throws is recorded and the run goes on; progress is
/// written at most every second (and at least every minute, as a heartbeat) and at the end.
/// </summary>
public sealed class BillingRunner(
    BillingRuns runs, BillingEngine engine, InvoicePdfs pdfs, TallyDatabase database, TimeProvider clock, BillingOptions options, ILogger<BillingRunner> logger)
{
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan HeartbeatEvery = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Claims and executes run <paramref name="id"/>; <paramref name="onProgress"/> sees every step. Returns the run as
    /// it ended, or null when it could not be claimed (another process has it, or it is over). When
    /// <paramref name="ct"/> fires mid-run the run goes back to queued (with its progress) for a later claim.
    /// </summary>
    public async Task<BillingRunRow?> ExecuteAsync(string id, Action<BillingRunProgress>? onProgress, CancellationToken ct)
    {
        var row = await runs.ClaimAsync(id, ct);
        if (row is null)
        {
            return null;
        }

        if (logger.IsEnabled(LogLevel.Information))
        {
            logger.LogInformation("Billing run {Run} for {Date} started (dry run: {DryRun})", id, row.Date, row.DryRun);
        }

        var state = new RunState();
        string final;
        try
        {
            final = await RunAsync(row, state, onProgress, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            logger.LogWarning("Billing run {Run} stopped at {Done}/{Total} tenants; it will be claimed again", id, state.Done, state.Total);
            await runs.ReportAsync(id, state.Snapshot(), BillingRuns.Queued, CancellationToken.None);
            throw;
        }
#pragma warning disable CA1031 // the run records why it could not proceed instead of dying with the process
        catch (Exception e)
#pragma warning restore CA1031
        {
            logger.LogError(e, "Billing run {Run} failed", id);
            state.AddError(new BillingRunError(null, e.Message));
            final = BillingRuns.Failed;
        }

        var end = state.Snapshot();
        await runs.ReportAsync(id, end, final, CancellationToken.None);
        onProgress?.Invoke(end);
        if (logger.IsEnabled(LogLevel.Information))
        {
            logger.LogInformation(
                "Billing run {Run} {State}: {Done}/{Total} tenants, {Invoices} invoices, {Charges} charges, {Failed} tenants failed",
                id, final, end.TenantsDone, end.TenantsTotal, end.InvoicesIssued, end.ChargesMade, end.TenantsFailed);
        }

        return await runs.FindAsync(id, CancellationToken.None);
    }

    private async Task<string> RunAsync(BillingRunRow row, RunState state, Action<BillingRunProgress>? onProgress, CancellationToken ct)
    {
        if (!BillingRuns.TryParseDate(row.Date, out var date))
        {
            throw new InvalidOperationException($"The run's date '{row.Date}' is not YYYY-MM-DD.");
        }

        var asked = BillingRuns.TenantsOf(row);
        List<string> tenants;
        await using (var db = database.CreateContext())
        {
            tenants = asked.Count == 0
                ? await db.Tenants.AsNoTracking().OrderBy(t => t.TenantId).Select(t => t.TenantId).ToListAsync(ct)
                : [.. asked];
        }

        if (asked.Count > 0)
        {
            var unknown = await runs.UnknownTenantsAsync(asked, ct);
            foreach (var i in unknown)
            {
                state.AddError(new BillingRunError(asked[i], $"Tenant '{asked[i]}' does not exist."));
            }

            tenants = [.. tenants.Where((_, i) => !unknown.Contains(i))];
            state.Done = unknown.Count;
        }

        state.Total = asked.Count > 0 ? asked.Count : tenants.Count;
        await runs.ReportAsync(row.Id, state.Snapshot(), null, ct);
        onProgress?.Invoke(state.Snapshot());

        var asOf = BillingEngine.AsOf(date, options.RunHour, clock.GetUtcNow());
        using var stopWriter = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var writer = WriteProgressAsync(row.Id, state, stopWriter.Token);
        try
        {
            await Parallel.ForEachAsync(
                tenants.Chunk(ChunkSize), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Parallelism), CancellationToken = ct },
                async (chunk, token) =>
                {
                    await BillChunkAsync(chunk, asOf, row.DryRun, state, token);
                    onProgress?.Invoke(state.Snapshot());
                });
        }
        finally
        {
            await stopWriter.CancelAsync();
            await writer;
        }

        return BillingRuns.Finished;
    }

    /// <summary>Tenants billed in one transaction: the statements of a chunk cost about as much as those of one tenant.</summary>
    public const int ChunkSize = 50;

    private async Task BillChunkAsync(string[] tenants, DateTimeOffset asOf, bool dryRun, RunState state, CancellationToken ct)
    {
        IReadOnlyList<TenantBillingOutcome> outcomes;
        try
        {
            outcomes = await engine.BillTenantsAsync(tenants, asOf, dryRun, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // a chunk that cannot be billed is recorded tenant by tenant; the run goes on
        catch (Exception e)
#pragma warning restore CA1031
        {
            outcomes = [.. tenants.Select(t => new TenantBillingOutcome(t, null, e))];
        }

        foreach (var outcome in outcomes)
        {
            await RecordAsync(outcome, dryRun, state, ct);
        }
    }

    private async Task RecordAsync(TenantBillingOutcome outcome, bool dryRun, RunState state, CancellationToken ct)
    {
        var tenant = outcome.Tenant;
        if (outcome.Error is { } failure)
        {
            logger.LogWarning(failure, "Billing tenant {Tenant} failed", tenant);
            state.AddError(new BillingRunError(tenant, failure.Message));
            if (outcome.Result is null)
            {
                state.Tick(0, 0);
                return;
            }
        }

        var result = outcome.Result!;
        if (options.RenderPdfs && !dryRun)
        {
            foreach (var invoice in result.Invoices.Where(i => i.Id > 0 && !IsUnissued(i.State)))
            {
                try
                {
                    await pdfs.EnsureAsync(tenant, invoice.Id, ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    throw;
                }
#pragma warning disable CA1031 // a PDF that cannot be rendered now is rendered on first request; the tenant is billed
                catch (Exception e)
#pragma warning restore CA1031
                {
                    logger.LogWarning(e, "PDF of invoice {Invoice} of tenant {Tenant} failed", invoice.FriendlyId, tenant);
                    state.AddError(new BillingRunError(tenant, $"PDF: {e.Message}", invoice.FriendlyId));
                }
            }
        }

        state.Tick(result.Invoices.Count, result.ChargesMade);
    }

    private static bool IsUnissued(string state) =>
        state.Equals("open", StringComparison.OrdinalIgnoreCase) || state.Equals("finalized", StringComparison.OrdinalIgnoreCase);

    /// <summary>Writes progress when it changed, at most every second, and every minute regardless (the heartbeat that keeps the claim).</summary>
    private async Task WriteProgressAsync(string id, RunState state, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(ProgressEvery, clock);
        var written = -1;
        var lastWrite = clock.GetUtcNow();
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                var now = clock.GetUtcNow();
                if (state.Version == written && now - lastWrite < HeartbeatEvery)
                {
                    continue;
                }

                written = state.Version;
                lastWrite = now;
                try
                {
                    await runs.ReportAsync(id, state.Snapshot(), null, ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // a missed progress write is retried on the next tick
                catch (Exception e)
#pragma warning restore CA1031
                {
                    logger.LogWarning(e, "Could not write the progress of billing run {Run}", id);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // the run is over
        }
    }

    private sealed class RunState
    {
        private readonly Lock _gate = new();
        private readonly List<BillingRunError> _errors = [];
        private int _invoices;
        private int _charges;

        public int Total { get; set; }

        public int Done { get; set; }

        public int Version { get; private set; }

        public void AddError(BillingRunError error)
        {
            lock (_gate)
            {
                _errors.Add(error);
                Version++;
            }
        }

        public void Tick(int invoices, int charges)
        {
            lock (_gate)
            {
                Done++;
                _invoices += invoices;
                _charges += charges;
                Version++;
            }
        }

        public BillingRunProgress Snapshot()
        {
            lock (_gate)
            {
                return new BillingRunProgress(Total, Done, _invoices, _charges, [.. _errors]);
            }
        }
    }
}

/// <summary>
/// Runs accepted by this process, executed one after another in the background. At start and every minute it also
/// claims abandoned runs (queued or running, not updated for <see cref="BillingRuns.StaleAfter"/>), whichever process
/// accepted them.
/// </summary>
public sealed class BillingRunQueue(IServiceProvider services, TimeProvider clock, ILogger<BillingRunQueue> logger) : BackgroundService
{
    private static readonly TimeSpan SweepEvery = TimeSpan.FromMinutes(1);

    private readonly Channel<string> _runs = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, byte> _pending = new(StringComparer.Ordinal);

    /// <summary>Queues run <paramref name="id"/> for execution in this process (once, however often it is asked).</summary>
    public void Enqueue(string id)
    {
        if (_pending.TryAdd(id, 0))
        {
            _runs.Writer.TryWrite(id);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sweeper = SweepAsync(stoppingToken);
        var runner = services.GetRequiredService<BillingRunner>();
        try
        {
            await foreach (var id in _runs.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await runner.ExecuteAsync(id, null, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // e.g. the database is unreachable: the run stays queued and is claimed again later
                catch (Exception e)
#pragma warning restore CA1031
                {
                    logger.LogError(e, "Billing run {Run} could not be executed", id);
                }
                finally
                {
                    _pending.TryRemove(id, out _);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
        finally
        {
            await sweeper;
        }
    }

    private async Task SweepAsync(CancellationToken ct)
    {
        var runs = services.GetRequiredService<BillingRuns>();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    foreach (var id in await runs.AbandonedAsync(ct))
                    {
                        if (logger.IsEnabled(LogLevel.Information))
                        {
                            logger.LogInformation("Billing run {Run} was abandoned; claiming it", id);
                        }

                        Enqueue(id);
                    }
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // retried on the next sweep
                catch (Exception e)
#pragma warning restore CA1031
                {
                    logger.LogWarning(e, "Could not look for abandoned billing runs");
                }

                await Task.Delay(SweepEvery, clock, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // shutting down
        }
    }
}
