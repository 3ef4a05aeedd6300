using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace AgentKanban.Contracts.Auth;

/// <summary>
/// Agent-session identity: an ECDSA P-256 keypair minted per session (the machine registers the public half)
/// and short-lived ES256 JWTs signed with the private half. BCL only, no reflection (NativeAOT-safe).
/// Claims: <c>sub</c> = session id, <c>aud</c> = server base URL, <c>iat</c>, <c>exp</c> = iat + 60 s, <c>jti</c>.
/// </summary>
public static class SessionToken
{
    /// <summary>How long a token lives after it is issued.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    /// <summary>Tolerated clock difference between the signer and the server.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    // {"alg":"ES256","typ":"JWT"} — fixed, so it is encoded once.
    private static readonly string EncodedHeader = Base64Url.EncodeToString("{\"alg\":\"ES256\",\"typ\":\"JWT\"}"u8);

    /// <summary>A fresh P-256 keypair: private key as base64 PKCS#8, public key as base64 SubjectPublicKeyInfo.</summary>
    public static (string PrivateKeyPkcs8Base64, string PublicKeySpkiBase64) GenerateKeyPair()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return (Convert.ToBase64String(key.ExportPkcs8PrivateKey()), Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>Signs a token for <paramref name="sessionId"/> valid for <see cref="Lifetime"/> from <paramref name="now"/>.</summary>
    public static string Create(string sessionId, string audience, string privateKeyPkcs8Base64, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrEmpty(privateKeyPkcs8Base64);
        using var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(Convert.FromBase64String(privateKeyPkcs8Base64), out _);
        return Create(sessionId, audience, key, now);
    }

    /// <summary>Signs a token with an already imported key (callers that sign often keep the key).</summary>
    public static string Create(string sessionId, string audience, ECDsa privateKey, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        ArgumentException.ThrowIfNullOrEmpty(audience);
        ArgumentNullException.ThrowIfNull(privateKey);

        var iat = now.ToUnixTimeSeconds();
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("sub", sessionId);
            json.WriteString("aud", audience);
            json.WriteNumber("iat", iat);
            json.WriteNumber("exp", iat + (long)Lifetime.TotalSeconds);
            json.WriteString("jti", Guid.NewGuid().ToString("N"));
            json.WriteEndObject();
        }

        var signingInput = EncodedHeader + "." + Base64Url.EncodeToString(buffer.WrittenSpan);
        // IEEE P1363 (r||s, 64 bytes) is the JWS encoding of an ES256 signature.
        var signature = privateKey.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256,
            DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>True when <paramref name="publicKeySpkiBase64"/> is a base64 SubjectPublicKeyInfo of a P-256 key.</summary>
    public static bool IsValidPublicKey(string? publicKeySpkiBase64)
    {
        if (string.IsNullOrWhiteSpace(publicKeySpkiBase64) || publicKeySpkiBase64.Length > 1024)
        {
            return false;
        }

        try
        {
            using var key = ImportPublicKey(publicKeySpkiBase64);
            return key.KeySize == 256;
        }
        catch (FormatException)
        {
            return false;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Imports a base64 SPKI public key (throws <see cref="FormatException"/> or <see cref="CryptographicException"/>).</summary>
    public static ECDsa ImportPublicKey(string publicKeySpkiBase64)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(publicKeySpkiBase64), out _);
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads the <c>sub</c> claim without checking anything, so the server can find the session whose key
    /// must then verify the token. Never trust the result before <see cref="TryValidate(string, Func{string, bool}, ECDsa, DateTimeOffset, out string?, out string?)"/>.
    /// </summary>
    public static bool TryReadSubject(string? token, out string? sessionId)
    {
        sessionId = null;
        if (!TrySplit(token, out var parts) || !TryDecodeClaims(token!, parts, out var claims, out _))
        {
            return false;
        }

        sessionId = claims.Subject;
        return sessionId is not null;
    }

    /// <summary>Checks the signature, the audience, the expiry (with <see cref="ClockSkew"/>) and the lifetime.</summary>
    public static bool TryValidate(
        string token,
        string expectedAudience,
        string publicKeySpkiBase64,
        DateTimeOffset now,
        out string? sessionId,
        out string? error)
    {
        sessionId = null;
        ECDsa key;
        try
        {
            key = ImportPublicKey(publicKeySpkiBase64);
        }
        catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException)
        {
            error = "the session's public key is unusable";
            return false;
        }

        using (key)
        {
            return TryValidate(token, aud => string.Equals(aud, expectedAudience, StringComparison.Ordinal), key, now,
                out sessionId, out error);
        }
    }

    /// <summary>As above with an imported key and an audience predicate (a server answers on several base URLs).</summary>
    public static bool TryValidate(
        string token,
        Func<string, bool> audienceAccepted,
        ECDsa publicKey,
        DateTimeOffset now,
        out string? sessionId,
        out string? error)
    {
        ArgumentNullException.ThrowIfNull(audienceAccepted);
        ArgumentNullException.ThrowIfNull(publicKey);
        sessionId = null;
        if (!TrySplit(token, out var parts))
        {
            error = "not a compact JWT";
            return false;
        }

        if (!TryCheckHeader(token, parts.Header))
        {
            error = "unsupported JWT header (expected alg ES256, typ JWT)";
            return false;
        }

        if (!TryDecodeClaims(token, parts, out var claims, out error))
        {
            return false;
        }

        Span<byte> signature = stackalloc byte[80];
        var sigText = token.AsSpan(parts.Signature);
        if (Base64Url.GetMaxDecodedLength(sigText.Length) > signature.Length
            || Base64Url.DecodeFromChars(sigText, signature, out _, out var sigLength) != OperationStatus.Done
            || sigLength != 64)
        {
            error = "bad signature encoding";
            return false;
        }

        var signingInput = Encoding.ASCII.GetBytes(token, 0, parts.Signature.Start.Value - 1);
        if (!publicKey.VerifyData(signingInput, signature[..sigLength], HashAlgorithmName.SHA256,
                DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
        {
            error = "bad signature";
            return false;
        }

        if (claims.Subject is null || claims.Audience is null || claims.IssuedAt is null || claims.Expires is null)
        {
            error = "missing claim (sub, aud, iat and exp are required)";
            return false;
        }

        if (!audienceAccepted(claims.Audience))
        {
            error = $"wrong audience '{claims.Audience}'";
            return false;
        }

        var nowSeconds = now.ToUnixTimeSeconds();
        var skew = (long)ClockSkew.TotalSeconds;
        if (claims.Expires.Value + skew < nowSeconds)
        {
            error = "token expired";
            return false;
        }

        if (claims.IssuedAt.Value - skew > nowSeconds)
        {
            error = "token issued in the future";
            return false;
        }

        if (claims.Expires.Value - claims.IssuedAt.Value > (long)Lifetime.TotalSeconds + skew || claims.Expires < claims.IssuedAt)
        {
            error = "token lifetime too long";
            return false;
        }

        sessionId = claims.Subject;
        error = null;
        return true;
    }

    private readonly record struct Parts(Range Header, Range Payload, Range Signature);

    private readonly record struct Claims(string? Subject, string? Audience, long? IssuedAt, long? Expires);

    private static bool TrySplit(string? token, out Parts parts)
    {
        parts = default;
        if (string.IsNullOrEmpty(token) || token.Length > 4096)
        {
            return false;
        }

        var first = token.IndexOf('.', StringComparison.Ordinal);
        if (first <= 0)
        {
            return false;
        }

        var second = token.IndexOf('.', first + 1);
        if (second <= first + 1 || second == token.Length - 1 || token.IndexOf('.', second + 1) >= 0)
        {
            return false;
        }

        parts = new Parts(new Range(0, first), new Range(first + 1, second), new Range(second + 1, token.Length));
        return true;
    }

    private static bool TryCheckHeader(string token, Range header)
    {
        if (!TryDecode(token.AsSpan(header), out var bytes))
        {
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(bytes);
            string? alg = null;
            string? typ = null;
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isAlg = reader.ValueTextEquals("alg"u8);
                var isTyp = reader.ValueTextEquals("typ"u8);
                reader.Read();
                if (isAlg && reader.TokenType == JsonTokenType.String)
                {
                    alg = reader.GetString();
                }
                else if (isTyp && reader.TokenType == JsonTokenType.String)
                {
                    typ = reader.GetString();
                }
                else
                {
                    reader.Skip();
                }
            }

            return alg == "ES256" && (typ is null || typ == "JWT");
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool TryDecodeClaims(string token, Parts parts, out Claims claims, out string? error)
    {
        claims = default;
        if (!TryDecode(token.AsSpan(parts.Payload), out var bytes))
        {
            error = "bad payload encoding";
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(bytes);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "payload is not a JSON object";
                return false;
            }

            string? sub = null;
            string? aud = null;
            long? iat = null;
            long? exp = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "sub" when reader.TokenType == JsonTokenType.String:
                        sub = reader.GetString();
                        break;
                    case "aud" when reader.TokenType == JsonTokenType.String:
                        aud = reader.GetString();
                        break;
                    case "iat" when reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var i):
                        iat = i;
                        break;
                    case "exp" when reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var e):
                        exp = e;
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            claims = new Claims(sub, aud, iat, exp);
            error = null;
            return true;
        }
        catch (JsonException)
        {
            error = "payload is not valid JSON";
            return false;
        }
    }

    private static bool TryDecode(ReadOnlySpan<char> text, out byte[] bytes)
    {
        bytes = [];
        if (text.IsEmpty || text.Length > 4096)
        {
            return false;
        }

        var buffer = new byte[Base64Url.GetMaxDecodedLength(text.Length)];
        if (Base64Url.DecodeFromChars(text, buffer, out _, out var written) != OperationStatus.Done)
        {
            return false;
        }

        bytes = buffer.AsSpan(0, written).ToArray();
        return true;
    }
}
