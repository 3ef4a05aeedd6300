using System.Text;
using AgentKanban.Contracts.Auth;

namespace AgentKanban.Server.Tests.Auth;

/// <summary>The ES256 session JWT on its own (pure: no server, no database).</summary>
public sealed class SessionTokenTests
{
    private static readonly DateTimeOffset Now = new(2030, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private const string Audience = "http://127.0.0.1:7420";

    [Fact]
    public void A_token_round_trips_and_carries_the_expected_header_and_claims()
    {
        var (privateKey, publicKey) = SessionToken.GenerateKeyPair();
        var token = SessionToken.Create("session-1", Audience, privateKey, Now);

        Assert.True(SessionToken.TryValidate(token, Audience, publicKey, Now, out var sessionId, out var error), error);
        Assert.Equal("session-1", sessionId);
        var parts = token.Split('.');
        Assert.Equal(3, parts.Length);
        Assert.Equal("{\"alg\":\"ES256\",\"typ\":\"JWT\"}", Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(parts[0])));
        var claims = Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]));
        Assert.Contains($"\"iat\":{Now.ToUnixTimeSeconds()}", claims, StringComparison.Ordinal);
        Assert.Contains($"\"exp\":{Now.ToUnixTimeSeconds() + 60}", claims, StringComparison.Ordinal);
        Assert.Contains("\"jti\":", claims, StringComparison.Ordinal);
        Assert.True(SessionToken.TryReadSubject(token, out var subject));
        Assert.Equal("session-1", subject);
    }

    [Fact]
    public void Expiry_allows_a_small_clock_skew_and_no_more()
    {
        var (privateKey, publicKey) = SessionToken.GenerateKeyPair();
        var token = SessionToken.Create("s", Audience, privateKey, Now);
        Assert.True(SessionToken.TryValidate(token, Audience, publicKey, Now + SessionToken.Lifetime + SessionToken.ClockSkew, out _, out _));
        Assert.False(SessionToken.TryValidate(token, Audience, publicKey, Now + SessionToken.Lifetime + SessionToken.ClockSkew + TimeSpan.FromSeconds(1), out _, out var error));
        Assert.Equal("token expired", error);
        Assert.False(SessionToken.TryValidate(token, Audience, publicKey, Now - SessionToken.ClockSkew - TimeSpan.FromSeconds(1), out _, out error));
        Assert.Equal("token issued in the future", error);
    }

    [Fact]
    public void Wrong_audience_wrong_key_and_tampering_are_refused()
    {
        var (privateKey, publicKey) = SessionToken.GenerateKeyPair();
        var (_, otherPublic) = SessionToken.GenerateKeyPair();
        var token = SessionToken.Create("s", Audience, privateKey, Now);

        Assert.False(SessionToken.TryValidate(token, "http://other:1", publicKey, Now, out _, out var error));
        Assert.Contains("audience", error, StringComparison.Ordinal);
        Assert.False(SessionToken.TryValidate(token, Audience, otherPublic, Now, out _, out error));
        Assert.Equal("bad signature", error);

        var parts = token.Split('.');
        var forgedClaims = System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            $"{{\"sub\":\"admin\",\"aud\":\"{Audience}\",\"iat\":{Now.ToUnixTimeSeconds()},\"exp\":{Now.ToUnixTimeSeconds() + 60}}}"));
        Assert.False(SessionToken.TryValidate($"{parts[0]}.{forgedClaims}.{parts[2]}", Audience, publicKey, Now, out _, out _));
        var noneHeader = System.Buffers.Text.Base64Url.EncodeToString("{\"alg\":\"none\"}"u8);
        Assert.False(SessionToken.TryValidate($"{noneHeader}.{parts[1]}.", Audience, publicKey, Now, out _, out _));
        Assert.False(SessionToken.TryValidate($"{noneHeader}.{parts[1]}.{parts[2]}", Audience, publicKey, Now, out _, out error));
        Assert.Contains("header", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Garbage_is_refused_without_throwing()
    {
        var (_, publicKey) = SessionToken.GenerateKeyPair();
        foreach (var token in new[] { "", ".", "..", "a.b.c", "a.b", "a.b.c.d", "!!!.###.$$$", "eyJ.eyJ.AAAA", new string('a', 5000) })
        {
            Assert.False(SessionToken.TryValidate(token, Audience, publicKey, Now, out _, out var error));
            Assert.False(string.IsNullOrEmpty(error));
        }

        Assert.False(SessionToken.TryValidate("a.b.c", Audience, "not base64!", Now, out _, out _));
        Assert.False(SessionToken.IsValidPublicKey("not base64!"));
        Assert.False(SessionToken.IsValidPublicKey(Convert.ToBase64String(new byte[91])));
        Assert.True(SessionToken.IsValidPublicKey(SessionToken.GenerateKeyPair().PublicKeySpkiBase64));
    }

    [Fact]
    public void A_lifetime_longer_than_a_minute_is_refused()
    {
        // Hand-craft a token whose exp is an hour after iat, correctly signed.
        var (privateKey, publicKey) = SessionToken.GenerateKeyPair();
        using var key = System.Security.Cryptography.ECDsa.Create();
        key.ImportPkcs8PrivateKey(Convert.FromBase64String(privateKey), out _);
        var header = System.Buffers.Text.Base64Url.EncodeToString("{\"alg\":\"ES256\",\"typ\":\"JWT\"}"u8);
        var claims = System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            $"{{\"sub\":\"s\",\"aud\":\"{Audience}\",\"iat\":{Now.ToUnixTimeSeconds()},\"exp\":{Now.ToUnixTimeSeconds() + 3600}}}"));
        var signature = key.SignData(Encoding.ASCII.GetBytes(header + "." + claims), System.Security.Cryptography.HashAlgorithmName.SHA256,
            System.Security.Cryptography.DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        var token = header + "." + claims + "." + System.Buffers.Text.Base64Url.EncodeToString(signature);
        Assert.False(SessionToken.TryValidate(token, Audience, publicKey, Now, out _, out var error));
        Assert.Equal("token lifetime too long", error);
    }
}
