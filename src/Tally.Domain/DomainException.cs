namespace Tally.Domain;

/// <summary>Thrown when a value breaks a domain invariant. <see cref="Field"/> names the offending input (snake_case path).</summary>
public sealed class DomainValidationException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}
