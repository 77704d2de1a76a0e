using System.Buffers;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using Prometheus;
using Tally.Domain.Access;
using Tally.Domain.Usage;
using Tally.Server.Auth;
using Tally.Server.Errors;
using Tally.Server.Hosting;
using Tally.Storage;

namespace Tally.Server.Features.Usage;

/// <summary>
/// Operator API: usage ingestion (scope <c>usage:write</c>). <c>POST /api/admin/usage/events</c> takes up to 10,000
/// events or 8 MiB as <c>{"events":[...]}</c> or NDJSON; each event is accepted, counted as a duplicate (its id was
/// already stored for that tenant) or rejected with a reason, independently of the others. A 200 means the accepted
/// events are committed.
/// </summary>
public static class UsageIngestEndpoints
{
    public const string Route = "/api/admin/usage/events";

    public const string NdjsonMediaType = "application/x-ndjson";

    private static readonly Counter Events = Metrics.CreateCounter(
        "tally_usage_events_total", "Usage events received, by outcome.", new CounterConfiguration { LabelNames = ["outcome"] });

    private static readonly Counter.Child AcceptedEvents = Events.WithLabels("accepted");
    private static readonly Counter.Child DuplicateEvents = Events.WithLabels("duplicate");
    private static readonly Counter.Child RejectedEvents = Events.WithLabels("rejected");

    /// <summary>Registers this feature's services (called once by the host).</summary>
    public static IServiceCollection AddUsageIngestion(this IServiceCollection services)
    {
        services.AddSingleton<UsageIngestStore>();
        services.AddSingleton<UsageReferences>();
        return services;
    }

    public static IEndpointRouteBuilder MapUsageIngestion(this IEndpointRouteBuilder routes)
    {
        AcceptedEvents.Publish();
        DuplicateEvents.Publish();
        RejectedEvents.Publish();
        routes.MapPost(Route, IngestAsync)
            .WithTags("Usage")
            .WithSummary("Ingest usage events (operator tokens with scope usage:write); each event is accepted, a duplicate, or rejected with a reason.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        return routes;
    }

    public static async Task<Results<Ok<UsageIngestResponse>, ProblemHttpResult>> IngestAsync(
        HttpRequest request, Caller caller, UsageReferences references, UsageIngestStore store, TallyOptions options, TimeProvider clock, CancellationToken ct)
    {
        if (Authorize(caller.Grant) is { } denied)
        {
            return denied;
        }

        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || contentType.MediaType.Value is not { } mediaType
            || !(IsJson(mediaType) || IsNdjson(mediaType)))
        {
            return Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported Media Type", "Content-Type",
                $"Send the events as application/json ({{\"events\": [...]}}) or {NdjsonMediaType} (one event object per line).");
        }

        if (request.ContentLength > TallyApp.MaxRequestBodyBytes)
        {
            return TooLarge();
        }

        var (buffer, length) = await ReadBodyAsync(request, ct);
        if (buffer is null)
        {
            return TooLarge();
        }

        List<UsageEventInput> inputs;
        try
        {
            var body = buffer.AsSpan(0, length);
            inputs = IsNdjson(mediaType) ? UsageRequestReader.ReadNdjson(body) : UsageRequestReader.ReadJson(body);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var response = await ProcessAsync(inputs, references, store, options, clock, ct);
        AcceptedEvents.Inc(response.Accepted);
        DuplicateEvents.Inc(response.Duplicates);
        RejectedEvents.Inc(response.Rejected.Count);
        return TypedResults.Ok(response);
    }

    /// <summary>Validates, resolves names, drops in-request repeats, stores; the answer once the accepted events are committed.</summary>
    internal static async Task<UsageIngestResponse> ProcessAsync(
        List<UsageEventInput> inputs, UsageReferences references, UsageIngestStore store, TallyOptions options, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var rejected = new List<UsageRejectedEvent>();
        var valid = new List<int>(inputs.Count);
        var pairs = new HashSet<(string, string)>();
        var metrics = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < inputs.Count; i++)
        {
            var e = inputs[i];
            if (UsageRules.Validate(e, now, options.UsageMaxAge) is { } rejection)
            {
                rejected.Add(Rejected(i, e, rejection));
                continue;
            }

            valid.Add(i);
            pairs.Add((e.Tenant!, e.Namespace!));
            metrics.Add(e.Metric!);
        }

        var namespaces = valid.Count == 0 ? [] : await references.ResolveNamespacesAsync(pairs, ct);
        var knownMetrics = valid.Count == 0 ? [] : await references.ResolveMetricsAsync(metrics, ct);
        var records = ArrayPool<UsageEventRecord>.Shared.Rent(Math.Max(1, valid.Count));
        try
        {
            var count = 0;
            var duplicates = 0;
            var seen = new HashSet<(string, string)>(valid.Count);
            foreach (var i in valid)
            {
                var e = inputs[i];
                UsageRejection? missing = namespaces[(e.Tenant!, e.Namespace!)] switch
                {
                    NamespaceStatus.NoTenant => new("tenant", $"tenant '{e.Tenant}' does not exist."),
                    NamespaceStatus.NoNamespace => new("namespace", $"namespace '{e.Namespace}' does not exist in tenant '{e.Tenant}'."),
                    _ when !knownMetrics.Contains(e.Metric!) => new("metric", $"metric '{e.Metric}' is not in the catalog."),
                    _ => null,
                };
                if (missing is { } m)
                {
                    rejected.Add(Rejected(i, e, m));
                }
                else if (!seen.Add((e.Tenant!, e.Id!)))
                {
                    duplicates++; // the same id earlier in this request: the first one counts
                }
                else
                {
                    records[count++] = new UsageEventRecord(
                        e.Tenant!, e.Id!, e.Namespace!, e.Metric!, e.ObjectName ?? "", e.QuantityMicros, e.OccurredAtUs, e.LabelsJson);
                }
            }

            // Not cancellable from here on: once the write starts, the client gets the committed answer or a 5xx.
            var inserted = await store.IngestAsync(records, count, UsageRules.ToUnixMicros(now), CancellationToken.None);
            rejected.Sort((a, b) => a.Index.CompareTo(b.Index));
            return new UsageIngestResponse(inserted, duplicates + (count - inserted), rejected);
        }
        finally
        {
            ArrayPool<UsageEventRecord>.Shared.Return(records, clearArray: true);
        }
    }

    /// <summary>Operator tokens only: a tenant token, a reader, or a token without the usage permission or scope → 403.</summary>
    private static ProblemHttpResult? Authorize(Grant grant) =>
        TenantScope.RequireOperator(grant, write: true)
        ?? TenantScope.RequirePermission(grant, Permissions.Usage)
        ?? (grant.HasScope(Scopes.UsageWrite) ? null : Problems.Forbidden($"The token lacks the '{Scopes.UsageWrite}' scope."));

    /// <summary>The body into a pooled buffer; null buffer when it exceeds <see cref="TallyApp.MaxRequestBodyBytes"/>.</summary>
    private static async Task<(byte[]? Buffer, int Length)> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        const int max = (int)TallyApp.MaxRequestBodyBytes;
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(request.ContentLength ?? 64 * 1024, 1024, max + 1));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length > max)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return (null, 0);
                    }

                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, max + 1));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length), ct);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, 0);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        if (length > max)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, 0);
        }

        return (buffer, length);
    }

    private static bool IsJson(string mediaType) => mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);

    private static bool IsNdjson(string mediaType) =>
        mediaType.Equals(NdjsonMediaType, StringComparison.OrdinalIgnoreCase) || mediaType.Equals("application/ndjson", StringComparison.OrdinalIgnoreCase);

    private static ProblemHttpResult TooLarge() =>
        Problem(StatusCodes.Status413PayloadTooLarge, "Payload Too Large", "body",
            $"The request body is larger than {TallyApp.MaxRequestBodyBytes / (1024 * 1024)} MiB; split the batch (at most {UsageRules.MaxEventsPerRequest:N0} events per request).");

    private static ProblemHttpResult Problem(int status, string title, string field, string detail) =>
        TypedResults.Problem(detail, statusCode: status, title: title, extensions: new Dictionary<string, object?>
        {
            ["field"] = field,
            ["errors"] = new Dictionary<string, string[]> { [field] = [detail] },
        });

    private static UsageRejectedEvent Rejected(int index, in UsageEventInput e, UsageRejection rejection) =>
        new(index, e.Id is { Length: <= UsageRules.MaxIdLength } id ? id : null, rejection.Field, rejection.Reason);
}

/// <summary>
/// The ingest body, as documented. The route reads the body itself (JSON or NDJSON), so no <c>Accepts</c> metadata is
/// declared: routing would answer a foreign content type with a bare 415 before the handler could name the field.
/// </summary>
public sealed record UsageIngestRequest(IReadOnlyList<UsageEventWire> Events);

/// <summary>
/// One event. <c>quantity</c>: a JSON number or a string holding a decimal, ≥ 0, at most 6 decimal places.
/// <c>timestamp</c>: RFC 3339 with an offset. <c>labels</c>: up to 32 string values, keys 1-63 characters, values up
/// to 256, at most 4 KiB of JSON.
/// </summary>
public sealed record UsageEventWire(
    string Id, string Tenant, string Namespace, string Metric, decimal Quantity, string Timestamp, string? ObjectName, Dictionary<string, string>? Labels);

/// <summary>
/// <c>accepted</c>: events stored by this request; <c>duplicates</c>: events whose id was already stored for that tenant
/// (or repeated earlier in this request), counted once and not changed; <c>rejected</c>: the others, by index.
/// </summary>
public sealed record UsageIngestResponse(int Accepted, int Duplicates, IReadOnlyList<UsageRejectedEvent> Rejected);

/// <summary>A rejected event: its 0-based index in the request, its id when usable, the field at fault and why.</summary>
public sealed record UsageRejectedEvent(int Index, string? Id, string Field, string Reason);
