namespace AgentKanban.IntegrationTests.Support;

/// <summary>A scratch directory under the system temp dir, removed with everything in it on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "ak-it-")
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
    }

    public string Path { get; }

    /// <summary>Creates (if needed) and returns a sub-directory.</summary>
    public string Sub(string name) => Directory.CreateDirectory(System.IO.Path.Combine(Path, name)).FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A straggling process may still write here; the OS temp cleaner gets the rest.
        }
        catch (UnauthorizedAccessException)
        {
            // Files left by a process running as another user.
        }
    }
}
