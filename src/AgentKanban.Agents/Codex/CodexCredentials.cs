using AgentKanban.Agents.Runtimes;

namespace AgentKanban.Agents.Codex;

/// <summary>
/// Whether Codex can authenticate, from the environment and its own files only: an API key (<c>OPENAI_API_KEY</c>,
/// <c>CODEX_API_KEY</c>), the login it keeps in <c>$CODEX_HOME/auth.json</c>, or a provider chosen in
/// <c>$CODEX_HOME/config.toml</c> whose <c>env_key</c> variable is set.
/// </summary>
public static class CodexCredentials
{
    public static RuntimeAvailability Check(IReadOnlyDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (RuntimeCredentials.AnySet(environment, "OPENAI_API_KEY", "CODEX_API_KEY"))
        {
            return RuntimeAvailability.Ready;
        }

        var home = CodexRollout.CodexHome(environment);
        if (home is null)
        {
            return RuntimeAvailability.Unauthorized("no OPENAI_API_KEY or CODEX_API_KEY, and no HOME to find a `codex login` in");
        }

        try
        {
            if (File.Exists(Path.Combine(home, "auth.json")))
            {
                return RuntimeAvailability.Ready;
            }

            var config = Path.Combine(home, "config.toml");
            if (File.Exists(config) && ProviderKeyVariable(File.ReadLines(config)) is { } variable && RuntimeCredentials.Get(environment, variable) is not null)
            {
                return RuntimeAvailability.Ready;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return RuntimeAvailability.Unauthorized($"cannot read {home}: {e.Message}");
        }

        return RuntimeAvailability.Unauthorized("no OPENAI_API_KEY, CODEX_API_KEY, `codex login` credentials or configured provider key");
    }

    /// <summary>
    /// The <c>env_key</c> of the provider that the top-level <c>model_provider</c> names, from config.toml's lines. A line
    /// scan, not a TOML parser: it understands <c>key = "value"</c> lines and <c>[model_providers.NAME]</c> tables.
    /// </summary>
    public static string? ProviderKeyVariable(IEnumerable<string> configLines)
    {
        ArgumentNullException.ThrowIfNull(configLines);
        string? provider = null, table = null;
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in configLines)
        {
            var line = raw.Trim();
            if (line.StartsWith('['))
            {
                table = line.Trim('[', ']', ' ');
                continue;
            }

            if (Assignment(line) is not { } pair)
            {
                continue;
            }

            if (table is null && pair.Key == "model_provider")
            {
                provider = pair.Value;
            }
            else if (table is not null && table.StartsWith("model_providers.", StringComparison.Ordinal) && pair.Key == "env_key")
            {
                keys[table["model_providers.".Length..].Trim('"')] = pair.Value;
            }
        }

        return provider is not null && keys.TryGetValue(provider, out var variable) ? variable : null;
    }

    private static KeyValuePair<string, string>? Assignment(string line)
    {
        var equals = line.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0 || line.StartsWith('#'))
        {
            return null;
        }

        var key = line[..equals].Trim();
        var value = line[(equals + 1)..].Trim();
        var hash = value.StartsWith('"') ? value.IndexOf('"', 1) + 1 : value.IndexOf('#', StringComparison.Ordinal);
        if (hash > 0)
        {
            value = value[..hash].Trim();
        }

        return new KeyValuePair<string, string>(key, value.Trim('"', '\''));
    }
}
