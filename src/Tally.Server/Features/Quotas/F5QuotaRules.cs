using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Tally.Domain;
using Tally.Domain.Quotas;
using Tally.Server.Errors;

namespace Tally.Server.Features.Quotas;

/// <summary>Quota object metadata after validation; maps are sorted by key (ordinal).</summary>
public sealed record F5ValidMeta(
    string Name,
    SortedDictionary<string, string> Labels,
    SortedDictionary<string, string> Annotations,
    string Description,
    bool Disabled);

/// <summary>
/// F5 metadata rules for quota objects. Every method throws <see cref="RequestValidationException"/> or
/// <see cref="DomainValidationException"/> naming the offending field (e.g. <c>metadata.labels.app</c>).
/// </summary>
public static partial class F5QuotaRules
{
    /// <summary><c>metadata.description</c>: at most this many bytes of UTF-8 (F5 <c>string.max_bytes</c>).</summary>
    public const int MaxDescriptionBytes = 1200;

    /// <summary>Most labels, and most annotations, one object may carry (Tally's bound; F5 publishes none).</summary>
    public const int MaxEntries = 64;

    /// <summary>Label key name part and label value: at most 63 characters.</summary>
    public const int MaxLabelNameLength = 63;

    /// <summary>Label key prefix (a DNS subdomain): at most 253 characters.</summary>
    public const int MaxLabelPrefixLength = 253;

    /// <summary>Annotation keys: 1..64 characters (F5 rule).</summary>
    public const int MaxAnnotationKeyLength = 64;

    /// <summary>Annotation values: 1..1024 characters (F5 rule).</summary>
    public const int MaxAnnotationValueLength = 1024;

    /// <summary>
    /// Validates create/replace metadata against the path. <paramref name="pathName"/> is null on create (the name comes
    /// from the body and is required); on replace an absent body name means the path's, a different one is refused.
    /// An absent or empty <c>metadata.namespace</c> means the path's.
    /// </summary>
    public static F5ValidMeta Metadata(F5ObjectMeta? meta, string pathNamespace, string? pathName)
    {
        if (!string.IsNullOrEmpty(meta?.Namespace) && meta.Namespace != pathNamespace)
        {
            throw new RequestValidationException("metadata.namespace",
                $"metadata.namespace '{Names.Truncate(meta.Namespace)}' differs from the namespace in the path ('{pathNamespace}').");
        }

        string name;
        if (pathName is null)
        {
            name = Names.RequireDns1035Label(meta?.Name, "metadata.name");
        }
        else if (string.IsNullOrEmpty(meta?.Name) || meta.Name == pathName)
        {
            name = Names.RequireDns1035Label(pathName, "metadata.name");
        }
        else
        {
            throw new RequestValidationException("metadata.name",
                $"metadata.name '{Names.Truncate(meta.Name)}' differs from the name in the path ('{pathName}'); a quota object cannot be renamed.");
        }

        var description = meta?.Description ?? "";
        if (Encoding.UTF8.GetByteCount(description) > MaxDescriptionBytes)
        {
            throw new RequestValidationException("metadata.description", $"metadata.description is longer than {MaxDescriptionBytes} bytes of UTF-8.");
        }

        return new F5ValidMeta(name, Labels(meta?.Labels), Annotations(meta?.Annotations), description, meta?.Disable ?? false);
    }

    /// <summary>
    /// Labels: keys are Kubernetes qualified names (optional DNS-subdomain prefix of at most 253 characters and '/',
    /// then a name of 1..63 characters: alphanumerics, '-', '_', '.', starting and ending alphanumeric); values are
    /// 0..63 characters of letters, digits, '.', '_' and '-'.
    /// </summary>
    public static SortedDictionary<string, string> Labels(Dictionary<string, string>? labels)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (labels is null)
        {
            return result;
        }

        if (labels.Count > MaxEntries)
        {
            throw new RequestValidationException("metadata.labels", $"metadata.labels has {labels.Count} entries; at most {MaxEntries} are allowed.");
        }

        foreach (var (key, value) in labels)
        {
            var field = $"metadata.labels.{Names.Truncate(key)}";
            if (!IsLabelKey(key))
            {
                throw new RequestValidationException(field,
                    $"Label key '{Names.Truncate(key)}' is not a qualified name: an optional DNS subdomain prefix (at most {MaxLabelPrefixLength} characters) and '/', then 1-{MaxLabelNameLength} letters, digits, '-', '_' or '.', starting and ending with a letter or digit.");
            }

            if (value is null || value.Length > MaxLabelNameLength || !LabelValue().IsMatch(value))
            {
                throw new RequestValidationException(field,
                    $"The value of label '{Names.Truncate(key)}' must be a string of at most {MaxLabelNameLength} letters, digits, '.', '_' or '-'.");
            }

            result[key] = value;
        }

        return result;
    }

    /// <summary>Annotations: keys 1..64 characters, values 1..1024 characters (Unicode scalar values).</summary>
    public static SortedDictionary<string, string> Annotations(Dictionary<string, string>? annotations)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (annotations is null)
        {
            return result;
        }

        if (annotations.Count > MaxEntries)
        {
            throw new RequestValidationException("metadata.annotations", $"metadata.annotations has {annotations.Count} entries; at most {MaxEntries} are allowed.");
        }

        foreach (var (key, value) in annotations)
        {
            var field = $"metadata.annotations.{Names.Truncate(key)}";
            if (Length(key) is < 1 or > MaxAnnotationKeyLength)
            {
                throw new RequestValidationException(field, $"Annotation keys must be 1-{MaxAnnotationKeyLength} characters.");
            }

            if (value is null || Length(value) is < 1 or > MaxAnnotationValueLength)
            {
                throw new RequestValidationException(field, $"The value of annotation '{Names.Truncate(key)}' must be a string of 1-{MaxAnnotationValueLength} characters.");
            }

            result[key] = value;
        }

        return result;
    }

    public static bool IsLabelKey(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var name = slash < 0 ? key : key[(slash + 1)..];
        if (slash >= 0)
        {
            var prefix = key[..slash];
            if (prefix.Length is 0 or > MaxLabelPrefixLength || !DnsSubdomain().IsMatch(prefix))
            {
                return false;
            }
        }

        return name.Length is > 0 and <= MaxLabelNameLength && LabelName().IsMatch(name);
    }

    /// <summary>
    /// <c>response_format</c> of Get: an enum name of <c>GetResponseFormatCode</c> or its number (0..6, as F5's Go client sends);
    /// absent or empty = <see cref="F5GetFormat.Default"/>.
    /// </summary>
    public static F5GetFormat ParseGetFormat(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return F5GetFormat.Default;
        }

        var index = Array.IndexOf(GetFormatNames, value);
        if (index < 0 && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number < GetFormatNames.Length)
        {
            index = number;
        }

        return index >= 0
            ? (F5GetFormat)index
            : throw new RequestValidationException("response_format",
                $"response_format must be one of {string.Join(", ", GetFormatNames)} (or its number 0-{GetFormatNames.Length - 1}), not '{Names.Truncate(value)}'.");
    }

    /// <summary>The enum names of <c>GetResponseFormatCode</c>, in the order of their numbers.</summary>
    public static readonly string[] GetFormatNames =
    [
        "GET_RSP_FORMAT_DEFAULT",
        "GET_RSP_FORMAT_FOR_CREATE",
        "GET_RSP_FORMAT_FOR_REPLACE",
        "GET_RSP_FORMAT_STATUS",
        "GET_RSP_FORMAT_READ",
        "GET_RSP_FORMAT_REFERRING_OBJECTS",
        "GET_RSP_FORMAT_BROKEN_REFERENCES",
    ];

    private static int Length(string value)
    {
        var count = 0;
        foreach (var _ in value.EnumerateRunes())
        {
            count++;
        }

        return count;
    }


    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\z", RegexOptions.CultureInvariant)]
    private static partial Regex DnsSubdomain();

    [GeneratedRegex("^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex LabelName();

    [GeneratedRegex("^[A-Za-z0-9._-]*\\z", RegexOptions.CultureInvariant)]
    private static partial Regex LabelValue();
}

/// <summary><c>GetResponseFormatCode</c>; the numbers are F5's.</summary>
public enum F5GetFormat
{
    Default = 0,
    ForCreate = 1,
    ForReplace = 2,
    Status = 3,
    Read = 4,
    ReferringObjects = 5,
    BrokenReferences = 6,
}
