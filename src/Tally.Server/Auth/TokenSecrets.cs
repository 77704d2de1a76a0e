using System.Security.Cryptography;
using System.Text;

namespace Tally.Server.Auth;

/// <summary>Token secrets: 256 random bits, shown once, stored only as a SHA-256 hash (hex, lower-case).</summary>
public static class TokenSecrets
{
    public const string Prefix = "tly_";

    /// <summary>A new secret: "tly_" + 43 base64url characters (32 random bytes).</summary>
    public static string Generate() => Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>A new token id (32 hex chars, time-ordered).</summary>
    public static string NewId() => Guid.CreateVersion7().ToString("N");

    /// <summary>Hex SHA-256 of the UTF-8 secret. A fast hash suffices: secrets carry 256 bits of entropy.</summary>
    public static string Hash(string secret) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
