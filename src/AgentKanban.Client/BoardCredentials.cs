using System.Security.Cryptography;
using AgentKanban.Contracts.Auth;

namespace AgentKanban.Client;

/// <summary>Produces the bearer credential of each request a <see cref="BoardApiClient"/> sends.</summary>
public abstract class BoardCredentials : IDisposable
{
    /// <summary>The bearer credential for the next request, or null to send none.</summary>
    public abstract string? NextBearer();

    /// <summary>What kind of identity this is, for messages (<c>token</c>, <c>agent session …</c>).</summary>
    public abstract string Describe();

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }
}

/// <summary>A bearer token sent as is: a user's personal token or a machine key (<c>akm_…</c>); null sends none.</summary>
public sealed class BearerTokenCredentials(string? token) : BoardCredentials
{
    public const string NoCredentials = "no credentials";

    public string? Token { get; } = token;

    public override string? NextBearer() => Token;

    public override string Describe() => Token is null ? NoCredentials : "token";
}

/// <summary>
/// An agent session: signs a fresh short-lived ES256 token for every request (audience = the server's base URL), so a
/// long-running agent never holds a token that outlives its minute.
/// </summary>
public sealed class SessionKeyCredentials : BoardCredentials
{
    private readonly string _sessionId;
    private readonly string _audience;
    private readonly TimeProvider _time;
    private readonly ECDsa _key;

    /// <param name="privateKeyPkcs8">The session's ECDSA P-256 private key (PKCS#8).</param>
    /// <exception cref="CryptographicException">The key is not a PKCS#8 ECDSA key.</exception>
    public SessionKeyCredentials(string sessionId, ReadOnlySpan<byte> privateKeyPkcs8, string audience, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        ArgumentNullException.ThrowIfNull(audience);
        ArgumentNullException.ThrowIfNull(time);
        _sessionId = sessionId;
        _audience = audience;
        _time = time;
        _key = ECDsa.Create();
        try
        {
            _key.ImportPkcs8PrivateKey(privateKeyPkcs8, out _);
        }
        catch
        {
            _key.Dispose();
            throw;
        }
    }

    public override string? NextBearer() => SessionToken.Create(_sessionId, _audience, _key, _time.GetUtcNow());

    public override string Describe() => $"agent session {_sessionId}";

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _key.Dispose();
        }

        base.Dispose(disposing);
    }
}
