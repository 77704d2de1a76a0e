namespace Tally.Domain.Access;

/// <summary>What a token may do inside its tenant (or, for operator tokens, the deployment). Wire values: admin, member, viewer.</summary>
public enum Role
{
    /// <summary>Reads only.</summary>
    Viewer = 0,

    /// <summary>Reads and writes the tenant's objects; cannot manage tokens.</summary>
    Member = 1,

    /// <summary>Everything, including tokens.</summary>
    Admin = 2,
}

public static class Roles
{
    public static string ToWire(this Role role) => role switch
    {
        Role.Admin => "admin",
        Role.Member => "member",
        _ => "viewer",
    };

    public static Role Parse(string? value, string field = "role") => value switch
    {
        "admin" => Role.Admin,
        "member" => Role.Member,
        "viewer" => Role.Viewer,
        _ => throw new DomainValidationException(field, $"{field} must be \"admin\", \"member\" or \"viewer\", not '{value}'."),
    };
}
