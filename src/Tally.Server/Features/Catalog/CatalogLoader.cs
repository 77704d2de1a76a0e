using System.Text.Json;
using Tally.Domain;
using Tally.Server.Errors;
using Tally.Server.Hosting;

namespace Tally.Server.Features.Catalog;

/// <summary>
/// Loads a catalog file (<c>tally serve --catalog FILE</c>, and the demo catalog of <c>--demo</c>):
/// <c>{"metrics":{"name":{...}},"addons":{...},"plans":{...}}</c>, each entry shaped like the PUT body of its operator
/// route. Every entry is validated before anything is written; then all are written in one transaction. Loading the
/// same file twice changes nothing. Entries not in the file are left as they are.
/// </summary>
public sealed class CatalogLoader(CatalogStore store, CatalogService catalog, TimeProvider clock)
{
    /// <summary>Name of the demo catalog resource (the project's <c>docs/catalog.example.json</c>, embedded).</summary>
    public const string DemoResource = "Tally.Server.catalog.example.json";

    /// <summary>The plan the demo tenant is put on.</summary>
    public const string DemoPlan = "team";

    /// <summary>Loads <paramref name="path"/>. Throws <see cref="CatalogLoadException"/> (message starting with the file and the field) when it cannot.</summary>
    public async Task<CatalogLoadResult> LoadFileAsync(string path, CancellationToken ct)
    {
        string json;
        try
        {
            json = await File.ReadAllTextAsync(path, ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CatalogLoadException("file", $"Catalog file '{path}' cannot be read: {e.Message}");
        }

        return await LoadAsync(json, $"catalog file '{path}'", ct);
    }

    /// <summary>Loads the demo catalog (free, individual, team and organization plans, a dozen metrics, F5's 13 add-ons).</summary>
    public Task<CatalogLoadResult> LoadDemoAsync(CancellationToken ct) => LoadAsync(DemoJson(), "demo catalog", ct);

    /// <summary>Puts <paramref name="tenant"/> on the demo's team plan unless it already has a plan.</summary>
    public async Task AssignDemoPlanAsync(string tenant, DateTimeOffset effectiveAt, CancellationToken ct)
    {
        if (await catalog.GetTenantPlanAsync(tenant, ct) is null)
        {
            await store.AssignPlanAsync(tenant, DemoPlan, effectiveAt, ct);
        }
    }

    /// <summary>Validates and writes a catalog document given as JSON text. <paramref name="source"/> prefixes error messages.</summary>
    public async Task<CatalogLoadResult> LoadAsync(string json, string source, CancellationToken ct)
    {
        try
        {
            return await store.ApplyAsync(Parse(json), CatalogAccess.Now(clock), ct);
        }
        catch (CatalogLoadException e)
        {
            throw new CatalogLoadException(e.Field, $"{source}: {e.Message}");
        }
    }

    /// <summary>The embedded demo catalog.</summary>
    public static string DemoJson()
    {
        using var stream = typeof(CatalogLoader).Assembly.GetManifestResourceStream(DemoResource)
            ?? throw new InvalidOperationException($"Resource {DemoResource} is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Parses and validates a catalog document; throws <see cref="CatalogLoadException"/> naming the entry and field.</summary>
    public static ValidCatalog Parse(string json)
    {
        CatalogDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<CatalogDocument>(json, TallyJson.Options);
        }
        catch (JsonException e)
        {
            var (_, field, detail) = ErrorHandling.Classify(e);
            throw new CatalogLoadException(field ?? "body", field is null or "body" ? "the file is not a JSON catalog object: " + e.Message : detail);
        }

        if (document is null)
        {
            throw new CatalogLoadException("body", "the file must hold a JSON object with \"metrics\", \"addons\" and \"plans\".");
        }

        return new ValidCatalog(
            Section(document.Metrics, "metrics", CatalogMapping.ToMetric),
            Section(document.Addons, "addons", CatalogMapping.ToAddOn),
            Section(document.Plans, "plans", CatalogMapping.ToPlan));
    }

    private static List<TDefinition> Section<TBody, TDefinition>(Dictionary<string, TBody>? entries, string section, Func<string, TBody, TDefinition> convert)
        where TBody : class
    {
        var result = new List<TDefinition>();
        foreach (var (name, body) in (entries ?? []).OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var entry = $"{section}.{Names.Truncate(name)}";
            if (body is null)
            {
                throw new CatalogLoadException(entry, $"{entry} must be an object.");
            }

            try
            {
                result.Add(CatalogMapping.Nested(entry + ".", () => convert(name, body)));
            }
            catch (DomainValidationException e)
            {
                throw new CatalogLoadException(e.Field, e.Message);
            }
            catch (RequestValidationException e)
            {
                throw new CatalogLoadException(e.Field, e.Message);
            }
        }

        return result;
    }
}
