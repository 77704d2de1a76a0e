using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using NJsonSchema;
using NJsonSchema.Validation;

namespace Tally.Server.Tests.Infrastructure;

/// <summary>
/// Validates JSON bodies against the component schemas of one of F5's published OpenAPI files (copied to
/// <c>specs/</c> in the test output). The schemas are made strict before use:
/// <list type="bullet">
/// <item>every component schema, and every inline object schema that declares properties, gets
/// <c>additionalProperties: false</c>, so a misspelled or invented member fails (map-typed members such as
/// <c>labels</c> or <c>object_limits</c> are inline <c>type: object</c> without properties and stay open);</item>
/// <item>proto3 JSON writes int64/uint64 as strings: a schema with <c>format: int64</c> or <c>uint64</c> must be a
/// decimal string (a JSON number fails), whatever <c>type</c> the file gives it.</item>
/// </list>
/// Extra definitions (e.g. value types that F5 publishes only in its Go code) can be added by name; they may
/// <c>$ref</c> the file's components as <c>#/definitions/NAME</c>.
/// </summary>
public sealed class F5Schema
{
    private readonly JsonObject _definitions = [];
    private readonly ConcurrentDictionary<string, Lazy<Task<JsonSchema>>> _schemas = new(StringComparer.Ordinal);

    public F5Schema(string specFileName, IReadOnlyDictionary<string, string>? extraDefinitions = null)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "specs", specFileName);
        var document = JsonNode.Parse(File.ReadAllText(path))!;
        foreach (var (name, schema) in document["components"]!["schemas"]!.AsObject())
        {
            _definitions[name] = Strict(schema!.DeepClone(), component: true);
        }

        foreach (var (name, json) in extraDefinitions ?? new Dictionary<string, string>())
        {
            _definitions[name] = Strict(JsonNode.Parse(json)!, component: true);
        }
    }

    /// <summary>
    /// The quota package (RAW 0188), plus the map value types of <c>quota/limits</c> and <c>quota/usage</c> that F5 publishes only
    /// in its Go code (<c>quota/public_customapi.pb.go</c>, reference §3.7–3.8): <c>quotaQuotaLimitsItemType</c>, <c>quotaQuotaLimits</c>,
    /// <c>quotaQuotaUsageItemType</c>, <c>quotaQuotaUsage</c>, and <c>GO.quotaGetQuotaLimitsResponse</c> / <c>GO.quotaGetResponseType</c>:
    /// the two responses with those value types applied to their maps.
    /// </summary>
    public static F5Schema Quota { get; } = new("docs-cloud-f5-com.0188.public.ves.io.schema.quota.ves-swagger.json", new Dictionary<string, string>
    {
        ["quotaQuotaLimitsItemType"] = """
            {"type":"object","properties":{"limit":{"$ref":"#/definitions/quotaFloatLimitType"},"api_limit":{"$ref":"#/definitions/quotaRateLimitType"},
             "display_name":{"type":"string"},"description":{"type":"string"}}}
            """,
        ["quotaQuotaLimits"] = """
            {"type":"object","properties":{"limit":{"$ref":"#/definitions/quotaLimitType"},"display_name":{"type":"string"},"description":{"type":"string"}}}
            """,
        ["quotaQuotaUsageItemType"] = """
            {"type":"object","properties":{"limit":{"$ref":"#/definitions/quotaFloatLimitType"},"usage":{"$ref":"#/definitions/usageFloatUsageType"},
             "api_limit":{"$ref":"#/definitions/quotaRateLimitType"},"display_name":{"type":"string"},"description":{"type":"string"}}}
            """,
        ["quotaQuotaUsage"] = """
            {"type":"object","properties":{"limit":{"$ref":"#/definitions/quotaLimitType"},"usage":{"$ref":"#/definitions/usageUsageType"},
             "display_name":{"type":"string"},"description":{"type":"string"}}}
            """,
        ["GO.quotaGetQuotaLimitsResponse"] = """
            {"type":"object","properties":{
              "objects":{"type":"object","additionalProperties":{"$ref":"#/definitions/quotaQuotaLimitsItemType"}},
              "resources":{"type":"object","additionalProperties":{"$ref":"#/definitions/quotaQuotaLimitsItemType"}},
              "apis":{"type":"object","additionalProperties":{"$ref":"#/definitions/quotaQuotaLimitsItemType"}},
              "quota_usage":{"type":"object","additionalProperties":{"$ref":"#/definitions/quotaQuotaLimits"}},
              "float_quota_usage":{"type":"object","additionalProperties":{"$ref":"#/definitions/quotaQuotaLimitsItemType"}},
              "api_limits":{"type":"object","additionalProperties":{"$ref":"#/definitions/quotaRateLimitType"}}}}
            """,
        ["GO.quotaGetResponseType"] = """
            {"type":"object","properties":{
              "objects":{"type":"object","additionalProperties":{"$ref":"#/definitions/quotaQuotaUsageItemType"}},
              "resources":{"type":"object","additionalProperties":{"$ref":"#/definitions/quotaQuotaUsageItemType"}},
              "apis":{"type":"object","additionalProperties":{"$ref":"#/definitions/quotaQuotaUsageItemType"}},
              "quota_usage":{"type":"object","additionalProperties":{"$ref":"#/definitions/quotaQuotaUsage"}},
              "float_quota_usage":{"type":"object","additionalProperties":{"$ref":"#/definitions/quotaQuotaUsageItemType"}},
              "api_limits":{"type":"object","additionalProperties":{"$ref":"#/definitions/quotaRateLimitType"}}}}
            """,
    });

    /// <summary>The validation errors of <paramref name="json"/> against component <paramref name="component"/> (empty when valid).</summary>
    public async Task<IReadOnlyList<string>> ValidateAsync(string component, string json)
    {
        if (!_definitions.ContainsKey(component))
        {
            throw new ArgumentException($"The spec has no component schema '{component}'.", nameof(component));
        }

        var schema = await _schemas.GetOrAdd(component, name => new Lazy<Task<JsonSchema>>(() => LoadAsync(name))).Value;
        return [.. schema.Validate(json).SelectMany(Flatten)];
    }

    /// <summary>Fails the test with every error unless <paramref name="json"/> is valid against <paramref name="component"/>.</summary>
    public async Task AssertValidAsync(string component, string json)
    {
        var errors = await ValidateAsync(component, json);
        Assert.True(errors.Count == 0, $"Body is not a valid {component}:\n  {string.Join("\n  ", errors)}\nBody: {json}");
    }

    private Task<JsonSchema> LoadAsync(string component)
    {
        var root = _definitions[component]!.DeepClone().AsObject();
        root["definitions"] = _definitions.DeepClone();
        return JsonSchema.FromJsonAsync(root.ToJsonString());
    }

    private static IEnumerable<string> Flatten(ValidationError error) =>
        error is ChildSchemaValidationError child
            ? [error.ToString(), .. child.Errors.Values.SelectMany(e => e).SelectMany(Flatten)]
            : [error.ToString()];

    /// <summary>Rewrites one schema node (and its children) as described on the class.</summary>
    private static JsonNode Strict(JsonNode node, bool component)
    {
        if (node is not JsonObject schema)
        {
            return node;
        }

        foreach (var key in schema.Select(kv => kv.Key).Where(k => k.StartsWith("x-", StringComparison.Ordinal)).ToList())
        {
            schema.Remove(key);
        }

        if (schema["$ref"] is JsonValue reference)
        {
            schema["$ref"] = reference.GetValue<string>().Replace("#/components/schemas/", "#/definitions/", StringComparison.Ordinal);
        }

        if ((string?)schema["format"] is "int64" or "uint64")
        {
            var signed = (string?)schema["format"] == "int64";
            schema["type"] = "string";
            schema["pattern"] = signed ? "^-?[0-9]+$" : "^[0-9]+$";
            schema.Remove("format");
        }

        if (schema["properties"] is JsonObject properties)
        {
            foreach (var name in properties.Select(kv => kv.Key).ToList())
            {
                properties[name] = Strict(properties[name]!.DeepClone(), component: false);
            }
        }

        if (schema["items"] is JsonObject items)
        {
            schema["items"] = Strict(items.DeepClone(), component: false);
        }

        foreach (var combinator in new[] { "allOf", "anyOf", "oneOf" })
        {
            if (schema[combinator] is JsonArray parts)
            {
                schema[combinator] = new JsonArray([.. parts.Select(p => Strict(p!.DeepClone(), component: false))]);
            }
        }

        if (schema["additionalProperties"] is JsonObject additional)
        {
            schema["additionalProperties"] = Strict(additional.DeepClone(), component: false);
        }

        if ((string?)schema["type"] == "object" && schema["additionalProperties"] is null && (component || schema["properties"] is not null))
        {
            schema["additionalProperties"] = false;
        }

        return schema;
    }
}
