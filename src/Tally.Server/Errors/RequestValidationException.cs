namespace Tally.Server.Errors;

/// <summary>Thrown by request validation; becomes a 400 problem+json naming <see cref="Field"/>.</summary>
public sealed class RequestValidationException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}
