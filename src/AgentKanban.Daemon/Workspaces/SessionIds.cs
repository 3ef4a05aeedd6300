using System.Text.RegularExpressions;

namespace AgentKanban.Daemon.Workspaces;

/// <summary>Session ids become directory names and ref names: only a safe alphabet is accepted.</summary>
internal static partial class SessionIds
{
    public static bool IsValid(string sessionId) => Pattern().IsMatch(sessionId);

    public static void Validate(string sessionId)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        if (!IsValid(sessionId))
        {
            throw new ArgumentException($"'{sessionId}' is not a valid session id (letters, digits, '-' and '_').", nameof(sessionId));
        }
    }

    /// <summary>"ak/&lt;first 8&gt;", then longer prefixes should another session already own a shorter name.</summary>
    public static IEnumerable<string> BranchCandidates(string sessionId) =>
        new[] { 8, 12, sessionId.Length }
            .Select(n => "ak/" + sessionId[..Math.Min(n, sessionId.Length)])
            .Distinct(StringComparer.Ordinal);

    public static string WipRef(string sessionId) => "refs/wip/" + sessionId;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")]
    private static partial Regex Pattern();
}
