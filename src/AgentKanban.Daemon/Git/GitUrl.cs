using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace AgentKanban.Daemon.Git;

/// <summary>Repository URL handling: local paths versus remote URLs, credential redaction, the mirror key.</summary>
public static partial class GitUrl
{
    /// <summary>True for what git treats as a local path: no "scheme://" and no scp-like "host:path".</summary>
    public static bool IsLocalPath(string url)
    {
        if (url.Contains("://", StringComparison.Ordinal))
        {
            return false;
        }

        // git's own rule: a colon before the first slash makes "host:path" an ssh address.
        var colon = url.IndexOf(':', StringComparison.Ordinal);
        var slash = url.IndexOf('/', StringComparison.Ordinal);
        return colon < 0 || (slash >= 0 && slash < colon);
    }

    /// <summary>The URL handed to git: local paths become absolute (git runs in other directories), others are kept.</summary>
    public static string Normalize(string url)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(url);
        var trimmed = url.Trim();
        if (trimmed.StartsWith('-'))
        {
            // Never let a repository "URL" become a git option.
            throw new ArgumentException("A repository URL cannot start with '-'.", nameof(url));
        }

        if (!IsLocalPath(trimmed))
        {
            return trimmed;
        }

        var full = Path.GetFullPath(trimmed);
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }

    /// <summary>Stable key of a repository: credentials, a trailing slash and ".git" of remote URLs do not matter.</summary>
    public static string MirrorKey(string url)
    {
        var normalized = Normalize(url);
        var key = normalized;
        if (!IsLocalPath(normalized))
        {
            key = UserInfo().Replace(normalized, "://").TrimEnd('/');
            if (key.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
            {
                key = key[..^4];
            }
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        return Convert.ToHexString(hash, 0, 8).ToLowerInvariant();
    }

    /// <summary>Removes credentials from every "scheme://user:secret@" in a text (URLs, commands, git's messages).</summary>
    public static string Redact(string text) => UserInfo().Replace(text, "://***@");

    [GeneratedRegex(@"://[^/@\s]+@")]
    private static partial Regex UserInfo();
}
