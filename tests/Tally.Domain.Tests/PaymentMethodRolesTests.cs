using Tally.Domain.Payments;

namespace Tally.Domain.Tests;

/// <summary>
/// The payment method role rules over every valid arrangement of up to three methods (a, b, c) and every operation.
/// Arrangements are written "a=P b=S c=N" (P primary, S secondary, N normal; "-" for none).
/// </summary>
public sealed class PaymentMethodRolesTests
{
    private static readonly string[] Methods = ["a", "b", "c"];

    /// <summary>Every arrangement of 0–3 methods with at most one primary and one secondary (24 of them).</summary>
    public static IReadOnlyList<Dictionary<string, char>> AllArrangements()
    {
        var result = new List<Dictionary<string, char>>();
        for (var n = 0; n <= Methods.Length; n++)
        {
            foreach (var roles in Combinations(n))
            {
                if (roles.Count(r => r == 'P') <= 1 && roles.Count(r => r == 'S') <= 1)
                {
                    result.Add(Methods.Take(n).Zip(roles).ToDictionary(x => x.First, x => x.Second, StringComparer.Ordinal));
                }
            }
        }

        return result;
    }

    /// <summary>(start, operation, method or requested role, expected) for every arrangement and operation, from the rules as F5 states them.</summary>
    public static TheoryData<string, string, string, string> Table()
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (var start in AllArrangements())
        {
            foreach (var requested in new[] { 'U', 'P', 'S', 'N' })
            {
                data.Add(Text(start), "create", requested.ToString(), Text(ExpectedCreate(start, requested)));
            }

            foreach (var name in start.Keys)
            {
                data.Add(Text(start), "primary", name, Text(ExpectedPromote(start, name, 'P')));
                data.Add(Text(start), "secondary", name, Text(ExpectedPromote(start, name, 'S')));
                data.Add(Text(start), "swap", name, Text(ExpectedSwap(start, name)));
                data.Add(Text(start), "delete", name, Text(start.Where(kv => kv.Key != name).ToDictionary()));
            }
        }

        return data;
    }

    [Fact]
    public void The_table_covers_all_24_arrangements_and_320_operations()
    {
        Assert.Equal(24, AllArrangements().Count);
        Assert.Equal(320, Table().Count);
    }

    [Theory]
    [MemberData(nameof(Table))]
    public void Every_operation_on_every_arrangement_follows_the_rules_and_keeps_one_primary_and_one_secondary_at_most(
        string start, string operation, string argument, string expected)
    {
        var before = Parse(start);
        var after = operation switch
        {
            "create" => PaymentMethodRoles.Create(before, "new", Role(argument[0])),
            "primary" => PaymentMethodRoles.MakePrimary(before, argument),
            "secondary" => PaymentMethodRoles.MakeSecondary(before, argument),
            "swap" => PaymentMethodRoles.SwapPrimary(before, argument),
            "delete" => PaymentMethodRoles.Delete(before, argument),
            _ => throw new ArgumentOutOfRangeException(nameof(operation)),
        };

        Assert.Equal(expected, Text(after));
        Assert.True(after.Roles.Count(kv => kv.Value == PaymentMethodRole.Primary) <= 1);
        Assert.True(after.Roles.Count(kv => kv.Value == PaymentMethodRole.Secondary) <= 1);
        Assert.Equal(start, Text(before));
    }

    [Fact]
    public void Making_the_secondary_primary_leaves_no_secondary_and_the_old_primary_normal()
    {
        var after = PaymentMethodRoles.MakePrimary(Parse("a=P b=S c=N"), "b");

        Assert.Equal("a=N b=P c=N", Text(after));
        Assert.Null(after.Secondary);
    }

    [Fact]
    public void Making_the_primary_secondary_leaves_no_primary_and_the_old_secondary_normal()
    {
        var after = PaymentMethodRoles.MakeSecondary(Parse("a=P b=S c=N"), "a");

        Assert.Equal("a=S b=N c=N", Text(after));
        Assert.Null(after.Primary);
    }

    [Fact]
    public void Nothing_changes_when_a_method_already_has_the_role_asked_for()
    {
        var start = Parse("a=P b=S c=N");

        Assert.Equal(start, PaymentMethodRoles.MakePrimary(start, "a"));
        Assert.Equal(start, PaymentMethodRoles.MakeSecondary(start, "b"));
        Assert.Equal(start, PaymentMethodRoles.SwapPrimary(start, "a"));
        Assert.Empty(start.ChangesTo(PaymentMethodRoles.MakePrimary(start, "a")));
    }

    [Fact]
    public void Swap_makes_the_method_primary_the_old_primary_secondary_and_the_old_secondary_normal()
    {
        Assert.Equal("a=S b=N c=P", Text(PaymentMethodRoles.SwapPrimary(Parse("a=P b=S c=N"), "c")));
        Assert.Equal("a=S b=P", Text(PaymentMethodRoles.SwapPrimary(Parse("a=P b=S"), "b")));
        Assert.Equal("a=S b=P", Text(PaymentMethodRoles.SwapPrimary(Parse("a=S b=N"), "b")));
    }

    [Fact]
    public void Creating_without_a_role_makes_the_first_method_primary_and_later_ones_normal()
    {
        Assert.Equal("new=P", Text(PaymentMethodRoles.Create(PaymentMethodArrangement.Empty, "new", PaymentMethodRole.Unknown)));
        Assert.Equal("a=S new=P", Text(PaymentMethodRoles.Create(Parse("a=S"), "new", PaymentMethodRole.Unknown)));
        Assert.Equal("a=P new=N", Text(PaymentMethodRoles.Create(Parse("a=P"), "new", PaymentMethodRole.Unknown)));
    }

    [Fact]
    public void Creating_a_primary_or_secondary_demotes_the_previous_holder_to_normal()
    {
        Assert.Equal("a=N b=S new=P", Text(PaymentMethodRoles.Create(Parse("a=P b=S"), "new", PaymentMethodRole.Primary)));
        Assert.Equal("a=P b=N new=S", Text(PaymentMethodRoles.Create(Parse("a=P b=S"), "new", PaymentMethodRole.Secondary)));
    }

    [Fact]
    public void Deleting_the_primary_does_not_promote_the_secondary()
    {
        var after = PaymentMethodRoles.Delete(Parse("a=P b=S"), "a");

        Assert.Equal("b=S", Text(after));
        Assert.Null(after.Primary);
    }

    [Fact]
    public void Changes_list_only_the_methods_whose_role_changed()
    {
        var before = Parse("a=P b=S c=N");
        var changes = before.ChangesTo(PaymentMethodRoles.SwapPrimary(before, "c"));

        Assert.Equal(
            [new RoleChange("a", PaymentMethodRole.Primary, PaymentMethodRole.Secondary),
             new RoleChange("b", PaymentMethodRole.Secondary, PaymentMethodRole.Normal),
             new RoleChange("c", PaymentMethodRole.Normal, PaymentMethodRole.Primary)],
            changes);
    }

    [Fact]
    public void An_arrangement_with_two_primaries_two_secondaries_or_an_unknown_role_cannot_be_built()
    {
        Assert.Equal("role", Assert.Throws<DomainValidationException>(() => Parse("a=P b=P")).Field);
        Assert.Equal("role", Assert.Throws<DomainValidationException>(() => Parse("a=S b=S")).Field);
        Assert.Equal("role", Assert.Throws<DomainValidationException>(() =>
            new PaymentMethodArrangement(new Dictionary<string, PaymentMethodRole> { ["a"] = PaymentMethodRole.Unknown })).Field);
    }

    [Fact]
    public void Operations_on_a_missing_method_and_creating_a_taken_name_throw()
    {
        var start = Parse("a=P");

        Assert.Throws<ArgumentException>(() => PaymentMethodRoles.MakePrimary(start, "z"));
        Assert.Throws<ArgumentException>(() => PaymentMethodRoles.MakeSecondary(start, "z"));
        Assert.Throws<ArgumentException>(() => PaymentMethodRoles.SwapPrimary(start, "z"));
        Assert.Throws<ArgumentException>(() => PaymentMethodRoles.Delete(start, "z"));
        Assert.Throws<ArgumentException>(() => PaymentMethodRoles.Create(start, "a", PaymentMethodRole.Normal));
    }

    [Theory]
    [InlineData("PAYMENT_METHOD_ROLE_UNKNOWN", PaymentMethodRole.Unknown)]
    [InlineData("PAYMENT_METHOD_ROLE_PRIMARY", PaymentMethodRole.Primary)]
    [InlineData("PAYMENT_METHOD_ROLE_SECONDARY", PaymentMethodRole.Secondary)]
    [InlineData("PAYMENT_METHOD_ROLE_NORMAL", PaymentMethodRole.Normal)]
    [InlineData("", PaymentMethodRole.Unknown)]
    [InlineData(null, PaymentMethodRole.Unknown)]
    public void F5_role_names_parse_and_print_both_ways(string? wire, PaymentMethodRole role)
    {
        Assert.Equal(role, PaymentMethodRoleNames.ParseWire(wire));
        if (!string.IsNullOrEmpty(wire))
        {
            Assert.Equal(wire, role.ToWire());
        }
    }

    [Theory]
    [InlineData("primary")]
    [InlineData("PRIMARY")]
    [InlineData("payment_method_role_primary")]
    [InlineData("PAYMENT_METHOD_ROLE_BACKUP")]
    public void Other_role_names_are_refused_naming_the_field(string wire) =>
        Assert.Equal("role", Assert.Throws<DomainValidationException>(() => PaymentMethodRoleNames.ParseWire(wire)).Field);

    [Fact]
    public void Storage_names_round_trip_and_unknown_is_never_stored()
    {
        foreach (var role in new[] { PaymentMethodRole.Primary, PaymentMethodRole.Secondary, PaymentMethodRole.Normal })
        {
            Assert.Equal(role, PaymentMethodRoleNames.ParseStorage(role.ToStorage()));
        }

        Assert.Equal("primary", PaymentMethodRole.Primary.ToStorage());
        Assert.Throws<ArgumentOutOfRangeException>(() => PaymentMethodRole.Unknown.ToStorage());
        Assert.Throws<FormatException>(() => PaymentMethodRoleNames.ParseStorage("unknown"));
    }

    private static Dictionary<string, char> ExpectedCreate(Dictionary<string, char> start, char requested)
    {
        var role = requested != 'U' ? requested : start.ContainsValue('P') ? 'N' : 'P';
        var next = start.ToDictionary(kv => kv.Key, kv => kv.Value != 'N' && kv.Value == role ? 'N' : kv.Value);
        next["new"] = role;
        return next;
    }

    /// <summary>MakePrimary ('P') / MakeSecondary ('S'): unchanged when already so; else it takes the role and the previous holder becomes normal.</summary>
    private static Dictionary<string, char> ExpectedPromote(Dictionary<string, char> start, string name, char role)
    {
        if (start[name] == role)
        {
            return start;
        }

        var next = start.ToDictionary(kv => kv.Key, kv => kv.Value == role ? 'N' : kv.Value);
        next[name] = role;
        return next;
    }

    /// <summary>Swap: unchanged when already primary; else it becomes primary, the previous primary (if any) secondary, the previous secondary normal.</summary>
    private static Dictionary<string, char> ExpectedSwap(Dictionary<string, char> start, string name)
    {
        if (start[name] == 'P')
        {
            return start;
        }

        var hadPrimary = start.ContainsValue('P');
        var next = start.ToDictionary(kv => kv.Key, kv => (kv.Value, hadPrimary) switch
        {
            ('P', _) => 'S',
            ('S', true) => 'N',
            _ => kv.Value,
        });
        next[name] = 'P';
        return next;
    }

    private static IEnumerable<char[]> Combinations(int n) =>
        n == 0 ? [[]] : Combinations(n - 1).SelectMany(rest => new[] { 'P', 'S', 'N' }.Select(r => (char[])[.. rest, r]));

    private static PaymentMethodRole Role(char c) => c switch
    {
        'P' => PaymentMethodRole.Primary,
        'S' => PaymentMethodRole.Secondary,
        'N' => PaymentMethodRole.Normal,
        _ => PaymentMethodRole.Unknown,
    };

    private static PaymentMethodArrangement Parse(string text) =>
        new(text == "-" ? [] : text.Split(' ').Select(p => p.Split('=')).ToDictionary(p => p[0], p => Role(p[1][0]), StringComparer.Ordinal));

    private static string Text(Dictionary<string, char> roles) =>
        roles.Count == 0 ? "-" : string.Join(" ", roles.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));

    private static string Text(PaymentMethodArrangement arrangement) =>
        Text(arrangement.Roles.ToDictionary(kv => kv.Key, kv => kv.Value switch
        {
            PaymentMethodRole.Primary => 'P',
            PaymentMethodRole.Secondary => 'S',
            _ => 'N',
        }));
}
