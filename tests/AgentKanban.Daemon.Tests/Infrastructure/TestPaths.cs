using System.Reflection;

namespace AgentKanban.Daemon.Tests.Infrastructure;

/// <summary>Where the test host executable is, and throwaway directories that are removed afterwards.</summary>
internal static class TestPaths
{
    /// <summary>The daemon test host's app host (runs the daemon, or plays the fake <c>claude</c>).</summary>
    /// <remarks>Read on use, so projects that link this file without the test host never look for it.</remarks>
    public static string TestHostExecutable => Path.Combine(
        typeof(TestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "TestHostDirectory").Value!,
        "AgentKanban.Daemon.TestHost");

    public static string NewTempDirectory(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), $"ak-{prefix}-{Guid.NewGuid().ToString("N")[..10]}");
        Directory.CreateDirectory(path);
        return path;
    }

    public static void DeleteQuietly(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
            // A leftover temp dir is harmless.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }

    /// <summary>Writes an executable shell script (the fake <c>claude</c> on the daemon's runtime path).</summary>
    public static string WriteScript(string directory, string name, string body)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
