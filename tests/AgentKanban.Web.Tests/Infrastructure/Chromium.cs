namespace AgentKanban.Web.Tests.Infrastructure;

/// <summary>
/// Where Debian's Chromium lives. The browser tests never download a browser: Chromium must be installed with
/// <c>apt-get install -y chromium</c> (scripts/test.sh does it). A missing browser fails the tests, it never skips them.
/// </summary>
public static class Chromium
{
    /// <summary>The real binary first (the <c>/usr/bin</c> wrapper prints a harmless warning).</summary>
    public static readonly string[] Candidates = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"];

    public static string Find()
    {
        var fromEnv = Environment.GetEnvironmentVariable("AK_CHROMIUM");
        if (!string.IsNullOrWhiteSpace(fromEnv))
        {
            return File.Exists(fromEnv) ? fromEnv : throw new InvalidOperationException($"AK_CHROMIUM={fromEnv} does not exist");
        }

        foreach (var candidate in Candidates)
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            $"Chromium is not installed (looked for {string.Join(", ", Candidates)}). Install it with `apt-get install -y chromium` " +
            "(scripts/test.sh does this), or point AK_CHROMIUM at a Chromium binary. The browser tests do not run without it.");
    }
}
