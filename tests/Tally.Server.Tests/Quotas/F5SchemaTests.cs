using Tally.Server.Tests.Infrastructure;

namespace Tally.Server.Tests.Quotas;

/// <summary>The schema validator used by the F5 quota tests can fail: it is strict about names, types and int64 strings.</summary>
public sealed class F5SchemaTests
{
    private const string Valid = """
        {"metadata":{"name":"q","namespace":"system","labels":{"a":"b"},"annotations":{},"description":"","disable":false},
         "system_metadata":{"uid":"0b7e3c2a-1111-2222-3333-444455556666","creation_timestamp":"2026-11-24T12:00:00Z",
           "modification_timestamp":"2026-11-24T12:00:00.123456Z","creator_class":"tally","creator_id":"tok","tenant":"acme"},
         "spec":{"object_limits":{"x":{"maximum":1}},"resource_limits":{},"api_limits":{}}}
        """;

    [Fact]
    public async Task A_well_formed_create_response_passes()
    {
        await F5Schema.Quota.AssertValidAsync("quotaCreateResponse", Valid);
    }

    [Theory]
    [InlineData("\"disable\":false", "\"disabled\":false")]
    [InlineData("\"creator_class\"", "\"creatorClass\"")]
    [InlineData("\"system_metadata\"", "\"systemMetadata\"")]
    [InlineData("\"spec\":{\"object_limits\"", "\"spec\":{\"objectLimits\"")]
    public async Task A_misspelled_member_fails(string from, string to)
    {
        var errors = await F5Schema.Quota.ValidateAsync("quotaCreateResponse", Valid.Replace(from, to, StringComparison.Ordinal));

        Assert.NotEmpty(errors);
    }

    [Theory]
    [InlineData("\"disable\":false", "\"disable\":\"false\"")]
    [InlineData("\"name\":\"q\"", "\"name\":5")]
    [InlineData("\"creation_timestamp\":\"2026-11-24T12:00:00Z\"", "\"creation_timestamp\":\"yesterday\"")]
    [InlineData("\"tenant\":\"acme\"", "\"tenant\":null")]
    public async Task A_member_of_the_wrong_type_fails(string from, string to)
    {
        var errors = await F5Schema.Quota.ValidateAsync("quotaCreateResponse", Valid.Replace(from, to, StringComparison.Ordinal));

        Assert.NotEmpty(errors);
    }

    [Fact]
    public async Task Int64_members_must_be_decimal_strings()
    {
        Assert.Empty(await F5Schema.Quota.ValidateAsync("schemaSystemObjectGetMetaType", """{"object_index":"7"}"""));
        Assert.NotEmpty(await F5Schema.Quota.ValidateAsync("schemaSystemObjectGetMetaType", """{"object_index":7}"""));
        Assert.NotEmpty(await F5Schema.Quota.ValidateAsync("schemaSystemObjectGetMetaType", """{"object_index":"seven"}"""));
    }

    [Fact]
    public async Task Empty_messages_take_no_members_and_int32_takes_no_fractions()
    {
        Assert.Empty(await F5Schema.Quota.ValidateAsync("quotaReplaceResponse", "{}"));
        Assert.NotEmpty(await F5Schema.Quota.ValidateAsync("quotaReplaceResponse", """{"ok":true}"""));
        Assert.NotEmpty(await F5Schema.Quota.ValidateAsync("quotaLimitType", """{"maximum":1.5}"""));
    }

    [Fact]
    public async Task The_Go_value_types_of_quota_usage_are_checked_too()
    {
        const string good = """{"objects":{"x":{"limit":{"maximum":2},"usage":{"current":1},"display_name":"x","description":""}},"quota_usage":{"x":{"limit":{"maximum":2},"usage":{"current":1}}}}""";
        Assert.Empty(await F5Schema.Quota.ValidateAsync("GO.quotaGetResponseType", good));
        Assert.NotEmpty(await F5Schema.Quota.ValidateAsync("GO.quotaGetResponseType", good.Replace("\"current\":1}}}}", "\"number\":1}}}}", StringComparison.Ordinal)));
        Assert.NotEmpty(await F5Schema.Quota.ValidateAsync("GO.quotaGetResponseType", good.Replace("\"current\":1}}}}", "\"current\":1.5}}}}", StringComparison.Ordinal)));
        Assert.Empty(await F5Schema.Quota.ValidateAsync("quotaGetResponseType", good.Replace("\"current\":1}}}}", "\"number\":1}}}}", StringComparison.Ordinal)));
    }
}
