using System.Security.Cryptography;
using System.Text;

namespace AgentKanban.Server.Data;

/// <summary>Random identifiers and bearer secrets. Secrets are stored only as their SHA-256 hash.</summary>
public static class Ids
{
    // 32 symbols (no i, l, o, u) so each character carries exactly 5 random bits.
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    /// <summary>12 characters, 60 random bits: ids of every resource.</summary>
    public static string New()
    {
        Span<byte> random = stackalloc byte[12];
        RandomNumberGenerator.Fill(random);
        return string.Create(12, random.ToArray(), static (chars, bytes) =>
        {
            for (var i = 0; i < chars.Length; i++)
            {
                chars[i] = Alphabet[bytes[i] & 31];
            }
        });
    }

    /// <summary>A bearer secret: <paramref name="prefix"/> + 256 random bits, base64url.</summary>
    public static string NewSecret(string prefix)
    {
        Span<byte> random = stackalloc byte[32];
        RandomNumberGenerator.Fill(random);
        return prefix + Convert.ToBase64String(random).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>Lower-case hex SHA-256 of the secret: what the database keeps.</summary>
    public static string Hash(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(secret), hash);
        return Convert.ToHexStringLower(hash);
    }
}
