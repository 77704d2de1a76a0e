using Tally.Domain.Quotas;

namespace Tally.Domain.Tests;

public sealed class LabelSelectorTests
{
    private static Dictionary<string, string> Labels(params (string Key, string Value)[] labels) =>
        labels.ToDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal);

    private static bool Matches(string expression, params (string Key, string Value)[] labels) =>
        LabelSelector.Parse(expression).Matches(Labels(labels));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\n")]
    public void An_empty_or_blank_expression_selects_everything(string? expression)
    {
        var selector = LabelSelector.Parse(expression);
        Assert.Same(LabelSelector.Everything, selector);
        Assert.True(selector.Matches(Labels()));
        Assert.True(selector.Matches(Labels(("app", "web"))));
    }

    [Theory]
    [InlineData("app=web")]
    [InlineData("app==web")]
    public void Equality_matches_only_the_same_value(string expression)
    {
        Assert.True(Matches(expression, ("app", "web")));
        Assert.False(Matches(expression, ("app", "db")));
        Assert.False(Matches(expression, ("app", "Web")));
        Assert.False(Matches(expression));
    }

    [Fact]
    public void Inequality_matches_another_value_or_a_missing_key()
    {
        Assert.False(Matches("app!=web", ("app", "web")));
        Assert.True(Matches("app!=web", ("app", "db")));
        Assert.True(Matches("app!=web"));
    }

    [Fact]
    public void In_matches_any_listed_value_and_needs_the_key()
    {
        const string expression = "env in (staging, testing)";
        Assert.True(Matches(expression, ("env", "staging")));
        Assert.True(Matches(expression, ("env", "testing")));
        Assert.False(Matches(expression, ("env", "prod")));
        Assert.False(Matches(expression));
    }

    [Fact]
    public void Notin_matches_unlisted_values_and_a_missing_key()
    {
        const string expression = "tier notin (db,cache)";
        Assert.False(Matches(expression, ("tier", "db")));
        Assert.False(Matches(expression, ("tier", "cache")));
        Assert.True(Matches(expression, ("tier", "web")));
        Assert.True(Matches(expression));
    }

    [Fact]
    public void A_bare_key_requires_the_label_to_exist_with_any_value()
    {
        Assert.True(Matches("legacy", ("legacy", "")));
        Assert.True(Matches("legacy", ("legacy", "yes")));
        Assert.False(Matches("legacy", ("app", "legacy")));
    }

    [Fact]
    public void A_negated_key_requires_the_label_to_be_absent()
    {
        Assert.True(Matches("!legacy", ("app", "web")));
        Assert.False(Matches("!legacy", ("legacy", "")));
        Assert.True(Matches("! legacy"));
    }

    [Fact]
    public void Comma_separated_requirements_must_all_hold()
    {
        const string expression = "env in (staging, testing), tier notin (db), app=web, !legacy";
        Assert.True(Matches(expression, ("env", "staging"), ("tier", "web"), ("app", "web")));
        Assert.False(Matches(expression, ("env", "prod"), ("tier", "web"), ("app", "web")));
        Assert.False(Matches(expression, ("env", "staging"), ("tier", "db"), ("app", "web")));
        Assert.False(Matches(expression, ("env", "staging"), ("tier", "web"), ("app", "api")));
        Assert.False(Matches(expression, ("env", "staging"), ("tier", "web"), ("app", "web"), ("legacy", "true")));
    }

    [Theory]
    [InlineData("app=web,env=prod")]
    [InlineData("  app = web ,env==  prod  ")]
    [InlineData("app\t=\tweb,\n env in( prod ,qa )")]
    [InlineData("env in (prod),app in (web)")]
    public void Whitespace_around_tokens_is_ignored(string expression)
    {
        Assert.True(Matches(expression, ("app", "web"), ("env", "prod")));
        Assert.False(Matches(expression, ("app", "web"), ("env", "dev")));
    }

    [Fact]
    public void Prefixed_keys_are_supported()
    {
        Assert.True(Matches("example.com/app=web", ("example.com/app", "web")));
        Assert.False(Matches("example.com/app=web", ("app", "web")));
        Assert.True(Matches("!app.kubernetes.io/legacy", ("app", "web")));
        Assert.True(Matches("ves.io/tier in (gold)", ("ves.io/tier", "gold")));
    }

    [Fact]
    public void Values_may_contain_dots_dashes_and_underscores()
    {
        Assert.True(Matches("version=v1.2-rc_3", ("version", "v1.2-rc_3")));
    }

    [Fact]
    public void Keys_and_values_are_case_sensitive()
    {
        Assert.False(Matches("App=web", ("app", "web")));
        Assert.True(Matches("App=Web", ("App", "Web")));
    }

    [Theory]
    [InlineData("a in (b")]
    [InlineData("=x")]
    [InlineData("a ~ b")]
    [InlineData("a in ()")]
    [InlineData("a in b")]
    [InlineData("a notin")]
    [InlineData("a b")]
    [InlineData("a = b c")]
    [InlineData("a,")]
    [InlineData(",a")]
    [InlineData("a,,b")]
    [InlineData("!")]
    [InlineData("!a=b")]
    [InlineData("a!b")]
    [InlineData("a=b)")]
    [InlineData("-a=b")]
    [InlineData("a-=b")]
    [InlineData("Example.com/a=b")]
    [InlineData("a/b/c=d")]
    [InlineData("a=b/c")]
    public void Malformed_expressions_throw_with_field_label_filter(string expression)
    {
        var error = Assert.Throws<DomainValidationException>(() => LabelSelector.Parse(expression));
        Assert.Equal("label_filter", error.Field);
    }

    [Fact]
    public void The_error_field_can_be_chosen_by_the_caller()
    {
        var error = Assert.Throws<DomainValidationException>(() => LabelSelector.Parse("a in (b", "spec.selector"));
        Assert.Equal("spec.selector", error.Field);
    }

    [Fact]
    public void Label_names_are_limited_to_63_characters()
    {
        Assert.True(Matches(new string('k', 63), (new string('k', 63), "v")));
        Assert.Throws<DomainValidationException>(() => LabelSelector.Parse(new string('k', 64)));
    }

    [Fact]
    public void Label_values_are_limited_to_63_characters()
    {
        var value = new string('v', 63);
        Assert.True(Matches($"k={value}", ("k", value)));
        var error = Assert.Throws<DomainValidationException>(() => LabelSelector.Parse($"k={value}v"));
        Assert.Equal("label_filter", error.Field);
    }
}
