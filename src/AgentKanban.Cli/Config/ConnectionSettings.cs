namespace AgentKanban.Cli.Config;

/// <summary>An agent session's identity, handed to the agent process by the daemon in environment variables.</summary>
public sealed record SessionIdentity(string SessionId, string PrivateKeyPkcs8Base64, string? TaskId);

/// <summary>
/// Where to send requests and how to authenticate, from the environment first and the config file second:
/// <c>AK_SERVER</c> beats the file's server, <c>AK_TOKEN</c> beats the file's token, and an agent session
/// (<c>AK_SESSION_ID</c> + <c>AK_SESSION_KEY</c>) signs its own tokens instead of using any personal token.
/// </summary>
public sealed record ConnectionSettings(
    string? Server,
    string? ServerSource,
    string? Token,
    string? TokenSource,
    SessionIdentity? Session)
{
    public const string ServerVariable = "AK_SERVER";
    public const string TokenVariable = "AK_TOKEN";
    public const string SessionIdVariable = "AK_SESSION_ID";
    public const string SessionKeyVariable = "AK_SESSION_KEY";
    public const string TaskIdVariable = "AK_TASK_ID";

    public static ConnectionSettings Resolve(IReadOnlyDictionary<string, string?> env, CliConfig file, string fileDescription)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(file);
        var (server, serverSource) = Pick(Get(env, ServerVariable), ServerVariable, file.Server, fileDescription);
        var (token, tokenSource) = Pick(Get(env, TokenVariable), TokenVariable, file.Token, fileDescription);

        SessionIdentity? session = null;
        var sessionId = Get(env, SessionIdVariable);
        var sessionKey = Get(env, SessionKeyVariable);
        if (sessionId is not null && sessionKey is not null)
        {
            session = new SessionIdentity(sessionId, sessionKey, Get(env, TaskIdVariable));
        }

        return new ConnectionSettings(server is null ? null : NormalizeServer(server), serverSource, token, tokenSource, session);
    }

    /// <summary>The task this process works on (<c>AK_TASK_ID</c>), the default for <c>ak task …</c>.</summary>
    public static string? DefaultTaskId(IReadOnlyDictionary<string, string?> env) => Get(env, TaskIdVariable);

    /// <summary>Base URL without a trailing slash: that exact string is a session token's audience.</summary>
    public static string NormalizeServer(string server) => server.Trim().TrimEnd('/');

    /// <summary>True for an absolute http(s) URL, the only kind of server address the CLI accepts.</summary>
    public static bool IsValidServer(string? server) =>
        Uri.TryCreate(server?.Trim(), UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment);

    private static (string? Value, string? Source) Pick(string? fromEnv, string variable, string? fromFile, string fileDescription) =>
        fromEnv is not null ? (fromEnv, variable)
        : !string.IsNullOrWhiteSpace(fromFile) ? (fromFile, fileDescription)
        : (null, null);

    private static string? Get(IReadOnlyDictionary<string, string?> env, string name) =>
        env.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}
