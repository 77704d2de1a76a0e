using System.Collections.Immutable;

namespace Tally.Domain.Payments;

/// <summary>
/// A tenant's payment methods and their roles (name → role). Invariant, checked on construction: every role is
/// Primary, Secondary or Normal, at most one method is Primary and at most one is Secondary.
/// </summary>
public sealed class PaymentMethodArrangement : IEquatable<PaymentMethodArrangement>
{
    public static readonly PaymentMethodArrangement Empty = new(new Dictionary<string, PaymentMethodRole>());

    /// <summary>Throws <see cref="DomainValidationException"/> (field <c>role</c>) when the invariant does not hold.</summary>
    public PaymentMethodArrangement(IReadOnlyDictionary<string, PaymentMethodRole> roles)
    {
        ArgumentNullException.ThrowIfNull(roles);
        var builder = ImmutableSortedDictionary.CreateBuilder<string, PaymentMethodRole>(StringComparer.Ordinal);
        foreach (var (name, role) in roles)
        {
            if (string.IsNullOrEmpty(name))
            {
                throw new DomainValidationException("name", "A payment method has a name.");
            }

            if (role is not (PaymentMethodRole.Primary or PaymentMethodRole.Secondary or PaymentMethodRole.Normal))
            {
                throw new DomainValidationException("role", $"Payment method '{Names.Truncate(name)}' has no role ({role}).");
            }

            builder.Add(name, role);
        }

        Roles = builder.ToImmutable();
        Primary = Single(PaymentMethodRole.Primary);
        Secondary = Single(PaymentMethodRole.Secondary);
    }

    /// <summary>Every method's role, ordered by name (ordinal).</summary>
    public ImmutableSortedDictionary<string, PaymentMethodRole> Roles { get; }

    /// <summary>The primary method's name, or null.</summary>
    public string? Primary { get; }

    /// <summary>The secondary method's name, or null.</summary>
    public string? Secondary { get; }

    public int Count => Roles.Count;

    public bool Contains(string name) => Roles.ContainsKey(name);

    public PaymentMethodRole RoleOf(string name) =>
        Roles.TryGetValue(name, out var role) ? role : throw new ArgumentException($"No payment method '{name}'.", nameof(name));

    /// <summary>The methods whose role differs in <paramref name="next"/> (present in both), ordered by name.</summary>
    public IReadOnlyList<RoleChange> ChangesTo(PaymentMethodArrangement next)
    {
        ArgumentNullException.ThrowIfNull(next);
        return [.. Roles
            .Where(kv => next.Roles.TryGetValue(kv.Key, out var after) && after != kv.Value)
            .Select(kv => new RoleChange(kv.Key, kv.Value, next.Roles[kv.Key]))];
    }

    internal PaymentMethodArrangement With(params (string Name, PaymentMethodRole? Role)[] changes)
    {
        var roles = Roles.ToBuilder();
        foreach (var (name, role) in changes)
        {
            if (role is { } r)
            {
                roles[name] = r;
            }
            else
            {
                roles.Remove(name);
            }
        }

        return new PaymentMethodArrangement(roles.ToImmutable());
    }

    public bool Equals(PaymentMethodArrangement? other) =>
        other is not null && Roles.Count == other.Roles.Count && Roles.All(kv => other.Roles.TryGetValue(kv.Key, out var r) && r == kv.Value);

    public override bool Equals(object? obj) => Equals(obj as PaymentMethodArrangement);

    public override int GetHashCode() => Roles.Aggregate(0, (hash, kv) => HashCode.Combine(hash, kv.Key, kv.Value));

    /// <summary>"a=primary, b=normal" (ordered by name; "(none)" when empty).</summary>
    public override string ToString() =>
        Roles.Count == 0 ? "(none)" : string.Join(", ", Roles.Select(kv => $"{kv.Key}={kv.Value.ToStorage()}"));

    private string? Single(PaymentMethodRole role)
    {
        var holders = Roles.Where(kv => kv.Value == role).Select(kv => kv.Key).ToList();
        return holders.Count switch
        {
            0 => null,
            1 => holders[0],
            _ => throw new DomainValidationException("role", $"At most one payment method can be {role.ToStorage()}; {string.Join(", ", holders)} are."),
        };
    }
}

/// <summary>One method's role before and after an operation.</summary>
public sealed record RoleChange(string Name, PaymentMethodRole From, PaymentMethodRole To);

/// <summary>
/// The role rules of F5's payment method API (ves.io.schema.billing.payment_method.CustomAPI). Pure: each returns the
/// arrangement after the operation; the input is unchanged. Operations on a name the arrangement lacks throw
/// <see cref="ArgumentException"/> (callers answer 404 first). Every result keeps at most one primary and one secondary.
/// </summary>
public static class PaymentMethodRoles
{
    /// <summary>
    /// The role a new method gets when created asking for <paramref name="requested"/>: the role asked for, or for
    /// <see cref="PaymentMethodRole.Unknown"/> primary when the tenant has no primary, else normal.
    /// </summary>
    public static PaymentMethodRole RoleOnCreate(PaymentMethodArrangement current, PaymentMethodRole requested)
    {
        ArgumentNullException.ThrowIfNull(current);
        return requested != PaymentMethodRole.Unknown ? requested
            : current.Primary is null ? PaymentMethodRole.Primary
            : PaymentMethodRole.Normal;
    }

    /// <summary>
    /// Adds <paramref name="name"/> with <see cref="RoleOnCreate"/>'s role; a primary or secondary new method demotes
    /// the method that held that role to normal. Throws <see cref="ArgumentException"/> when the name is taken.
    /// </summary>
    public static PaymentMethodArrangement Create(PaymentMethodArrangement current, string name, PaymentMethodRole requested)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (current.Contains(name))
        {
            throw new ArgumentException($"Payment method '{name}' already exists.", nameof(name));
        }

        var role = RoleOnCreate(current, requested);
        var holder = role switch
        {
            PaymentMethodRole.Primary => current.Primary,
            PaymentMethodRole.Secondary => current.Secondary,
            _ => null,
        };
        return holder is null
            ? current.With((name, role))
            : current.With((holder, PaymentMethodRole.Normal), (name, role));
    }

    /// <summary>
    /// F5 MakePaymentMethodPrimary: nothing changes when the method is already primary; otherwise it becomes primary and
    /// the previous primary becomes normal. When the method was secondary, there is then no secondary.
    /// </summary>
    public static PaymentMethodArrangement MakePrimary(PaymentMethodArrangement current, string name) =>
        Promote(current, name, PaymentMethodRole.Primary);

    /// <summary>
    /// F5 MakePaymentMethodSecondary: nothing changes when the method is already secondary; otherwise it becomes secondary
    /// and the previous secondary becomes normal. When the method was primary, there is then no primary.
    /// </summary>
    public static PaymentMethodArrangement MakeSecondary(PaymentMethodArrangement current, string name) =>
        Promote(current, name, PaymentMethodRole.Secondary);

    /// <summary>
    /// F5 SwapPaymentMethodRole: the method becomes primary and the previous primary becomes secondary; the previous
    /// secondary (when it is neither) becomes normal. Nothing changes when the method is already primary. With no
    /// previous primary the method becomes primary and the secondary, if another method, stays secondary.
    /// </summary>
    public static PaymentMethodArrangement SwapPrimary(PaymentMethodArrangement current, string name)
    {
        ArgumentNullException.ThrowIfNull(current);
        var role = current.RoleOf(name);
        if (role == PaymentMethodRole.Primary)
        {
            return current;
        }

        if (current.Primary is not { } primary)
        {
            return current.With((name, PaymentMethodRole.Primary));
        }

        var changes = new List<(string, PaymentMethodRole?)> { (name, PaymentMethodRole.Primary), (primary, PaymentMethodRole.Secondary) };
        if (current.Secondary is { } secondary && secondary != name)
        {
            changes.Add((secondary, PaymentMethodRole.Normal));
        }

        return current.With([.. changes]);
    }

    /// <summary>
    /// F5 Delete: removes the method. Its role is left empty: a deleted primary does not promote the secondary (billing
    /// charges the secondary when there is no primary), and a deleted secondary promotes nothing.
    /// </summary>
    public static PaymentMethodArrangement Delete(PaymentMethodArrangement current, string name)
    {
        ArgumentNullException.ThrowIfNull(current);
        _ = current.RoleOf(name);
        return current.With((name, null));
    }

    private static PaymentMethodArrangement Promote(PaymentMethodArrangement current, string name, PaymentMethodRole target)
    {
        ArgumentNullException.ThrowIfNull(current);
        if (current.RoleOf(name) == target)
        {
            return current;
        }

        var holder = target == PaymentMethodRole.Primary ? current.Primary : current.Secondary;
        return holder is null
            ? current.With((name, target))
            : current.With((holder, PaymentMethodRole.Normal), (name, target));
    }
}
