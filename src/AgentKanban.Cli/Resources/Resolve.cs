using System.Net;
using AgentKanban.Client;

namespace AgentKanban.Cli.Resources;

/// <summary>
/// Turns what a user typed (an id, a name, a username, a repository URL or path) into an id, asking the
/// server when needed. Errors name what was not found and how to create it.
/// </summary>
public static class Resolve
{
    public static async Task<string> BoardIdAsync(BoardApiClient client, string idOrName, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            return (await client.GetBoardAsync(idOrName, ct)).Id;
        }
        catch (ServerApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            throw new CliFailureException($"no board '{idOrName}' (see `ak get boards`)", e);
        }
    }

    public static async Task<string> AgentIdAsync(BoardApiClient client, string idOrUsername, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            return (await client.GetAgentAsync(idOrUsername, ct)).Id;
        }
        catch (ServerApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            throw new CliFailureException($"no agent '{idOrUsername}' (see `ak get agents`)", e);
        }
    }

    /// <summary>True when the text is a git URL or a filesystem path rather than an id or a name.</summary>
    public static bool LooksLikeLocation(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Contains('/', StringComparison.Ordinal) || value.Contains(':', StringComparison.Ordinal)
            || value.StartsWith('.') || value.StartsWith('~');
    }

    /// <summary>A relative path becomes absolute (the server cannot know the caller's directory); URLs pass unchanged.</summary>
    public static string NormalizeLocation(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Contains("://", StringComparison.Ordinal) || IsScpLike(value))
        {
            return value;
        }

        return Path.GetFullPath(value);
    }

    public static async Task<string> RepositoryIdAsync(BoardApiClient client, string value, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (LooksLikeLocation(value))
        {
            var url = NormalizeLocation(value);
            var byUrl = await client.ListRepositoriesAsync(null, url, ct);
            return byUrl.Count > 0
                ? byUrl[0].Id
                : throw new CliFailureException($"no repository with url '{url}': add it with `ak create repo --name NAME --url {url}`");
        }

        var byName = await client.ListRepositoriesAsync(value, null, ct);
        var exact = byName.Where(r => r.Name == value || r.Id == value).ToList();
        if (exact.Count == 1)
        {
            return exact[0].Id;
        }

        if (exact.Count > 1)
        {
            throw new CliFailureException($"more than one repository is named '{value}': use its id ({string.Join(", ", exact.Select(r => r.Id))})");
        }

        try
        {
            return (await client.GetRepositoryAsync(value, ct)).Id;
        }
        catch (ServerApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            throw new CliFailureException($"no repository '{value}' (see `ak get repos`)", e);
        }
    }

    /// <summary>Agent id → username for tables; an empty map when the list cannot be read.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> AgentNamesAsync(BoardApiClient client, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            var agents = await client.ListAgentsAsync(null, null, null, ct);
            return agents.GroupBy(a => a.Id).ToDictionary(g => g.Key, g => g.First().Username);
        }
        catch (ServerApiException e) when (e.IsErrorAnswer)
        {
            return new Dictionary<string, string>();
        }
    }

    // git@host:owner/repo — a URL without a scheme.
    private static bool IsScpLike(string value)
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        return colon > 0 && (slash < 0 || colon < slash) && value.Contains('@', StringComparison.Ordinal);
    }
}
