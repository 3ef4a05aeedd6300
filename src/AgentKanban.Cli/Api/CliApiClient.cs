using System.Net.Http.Headers;
using System.Security.Cryptography;
using AgentKanban.Cli.Config;
using AgentKanban.Client;

namespace AgentKanban.Cli.Api;

/// <summary>
/// Makes the CLI's <see cref="BoardApiClient"/>: a user token (Bearer) or, inside an agent, the session's key; a minute
/// per call; and, on a 401, a pointer to where credentials come from.
/// </summary>
public static class CliApiClient
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);

    private static readonly BoardApiClientOptions Options = new()
    {
        RequestTimeout = RequestTimeout,
        UserAgent = new ProductInfoHeaderValue("ak", CliVersion.Short),
        UnauthorizedHint = Hint,
    };

    /// <param name="handler">A transport to use instead of a new socket handler; it is not disposed with the client.</param>
    public static BoardApiClient Create(ConnectionSettings settings, TimeProvider time, HttpMessageHandler? handler)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(settings.Server);
        var credentials = Credentials(settings, settings.Server, time);
        try
        {
            return new BoardApiClient(settings.Server, credentials, Options, handler);
        }
        catch
        {
            credentials.Dispose();
            throw;
        }
    }

    /// <summary>An agent session signs its own tokens (audience = the server); anyone else sends their token as is.</summary>
    public static BoardCredentials Credentials(ConnectionSettings settings, string audience, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Session is not { } session)
        {
            return new BearerTokenCredentials(settings.Token);
        }

        try
        {
            return new SessionKeyCredentials(session.SessionId, Convert.FromBase64String(session.PrivateKeyPkcs8Base64), audience, time);
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            throw new CliFailureException(
                $"{ConnectionSettings.SessionKeyVariable} is not a base64 PKCS#8 ECDSA P-256 private key", e);
        }
    }

    private static string? Hint(BoardCredentials credentials, bool serverExplained) =>
        !serverExplained ? ": check the token (`ak config set --token …` or AK_TOKEN)"
        : credentials is BearerTokenCredentials { Token: null } ? ": no token is configured (run `ak config set --token TOKEN`, `ak up`, or set AK_TOKEN)"
        : null;
}
