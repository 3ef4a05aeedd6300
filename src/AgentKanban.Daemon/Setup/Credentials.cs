using System.Text.Json;

namespace AgentKanban.Daemon.Setup;

/// <summary>
/// Where the board server is and what to authenticate with: the options first, then <c>AK_SERVER</c>/<c>AK_TOKEN</c>,
/// then the CLI config (<c>${XDG_CONFIG_HOME:-~/.config}/agent-kanban/config.json</c>, read only).
/// </summary>
public sealed record Credentials(string Server, string Token, string TokenSource)
{
    public const string ServerVariable = "AK_SERVER";
    public const string TokenVariable = "AK_TOKEN";
    public const string UserTokenPrefix = "akp_";
    public const string MachineKeyPrefix = "akm_";

    public bool IsMachineKey => Token.StartsWith(MachineKeyPrefix, StringComparison.Ordinal);

    public static async Task<Credentials> ResolveAsync(
        string? server, string? token, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var configPath = ConfigFile(environment);
        string? fileServer = null;
        string? fileToken = null;
        if (File.Exists(configPath))
        {
            try
            {
                await using var stream = File.OpenRead(configPath);
                using var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
                fileServer = ReadString(document.RootElement, "server");
                fileToken = ReadString(document.RootElement, "token");
            }
            catch (JsonException e)
            {
                throw new DaemonSetupException($"cannot read {configPath}: {e.Message}", e);
            }
        }

        var (resolvedServer, _) = Pick(server, "--server", Get(environment, ServerVariable), ServerVariable, fileServer, configPath);
        var (resolvedToken, tokenSource) = Pick(token, "--token", Get(environment, TokenVariable), TokenVariable, fileToken, configPath);
        if (resolvedServer is null)
        {
            throw new DaemonSetupException($"no board server configured: set {ServerVariable} or run `ak config set --server URL --token TOKEN`");
        }

        if (!Uri.TryCreate(resolvedServer, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new DaemonSetupException($"the board server address '{resolvedServer}' is not an http(s) URL");
        }

        if (resolvedToken is null)
        {
            throw new DaemonSetupException($"no token configured: set {TokenVariable} or run `ak config set --server URL --token TOKEN`");
        }

        return new Credentials(resolvedServer.Trim().TrimEnd('/'), resolvedToken.Trim(), tokenSource!);
    }

    public static string ConfigFile(IReadOnlyDictionary<string, string?> environment)
    {
        var root = StatePaths.XdgDirectory(environment, "XDG_CONFIG_HOME", ".config") ?? ".config";
        return Path.Combine(root, StatePaths.AppFolder, "config.json");
    }

    private static (string? Value, string? Source) Pick(string? option, string optionName, string? env, string envName, string? file, string fileName) =>
        !string.IsNullOrWhiteSpace(option) ? (option, optionName)
        : env is not null ? (env, envName)
        : !string.IsNullOrWhiteSpace(file) ? (file, fileName)
        : (null, null);

    private static string? ReadString(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static string? Get(IReadOnlyDictionary<string, string?> environment, string name) =>
        environment.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;
}
