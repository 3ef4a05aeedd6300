using System.Security.Cryptography;
using AgentKanban.Cli.Config;
using AgentKanban.Contracts.Auth;

namespace AgentKanban.Cli.Api;

/// <summary>Produces the <c>Authorization</c> value for each request.</summary>
public abstract class RequestAuthenticator : IDisposable
{
    /// <summary>The bearer credential for the next request, or null to send none.</summary>
    public abstract string? NextBearer();

    /// <summary>What kind of identity this is, for messages (<c>user token</c>, <c>agent session …</c>).</summary>
    public abstract string Describe();

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    public static RequestAuthenticator For(ConnectionSettings settings, string audience, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Session is { } session
            ? new SessionAuthenticator(session, audience, time)
            : new StaticTokenAuthenticator(settings.Token);
    }
}

/// <summary>A user's personal token (or a machine key), sent as is.</summary>
public sealed class StaticTokenAuthenticator(string? token) : RequestAuthenticator
{
    public const string NoCredentials = "no credentials";

    public override string? NextBearer() => token;

    public override string Describe() => token is null ? NoCredentials : "token";
}

/// <summary>
/// An agent session: signs a fresh short-lived ES256 token for every request (audience = the server's base URL),
/// so a long-running agent never holds a token that outlives its minute.
/// </summary>
public sealed class SessionAuthenticator : RequestAuthenticator
{
    private readonly SessionIdentity _session;
    private readonly string _audience;
    private readonly TimeProvider _time;
    private readonly ECDsa _key;

    public SessionAuthenticator(SessionIdentity session, string audience, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(session);
        _session = session;
        _audience = audience;
        _time = time;
        _key = ECDsa.Create();
        try
        {
            _key.ImportPkcs8PrivateKey(Convert.FromBase64String(session.PrivateKeyPkcs8Base64), out _);
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            _key.Dispose();
            throw new CliFailureException(
                $"{ConnectionSettings.SessionKeyVariable} is not a base64 PKCS#8 ECDSA P-256 private key", e);
        }
    }

    public override string? NextBearer() => SessionToken.Create(_session.SessionId, _audience, _key, _time.GetUtcNow());

    public override string Describe() => $"agent session {_session.SessionId}";

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _key.Dispose();
        }

        base.Dispose(disposing);
    }
}
