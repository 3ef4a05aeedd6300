using System.Text.Json;

namespace AgentKanban.Cli.Config;

/// <summary>
/// Reads and writes <c>config.json</c>. The folder is 0700 and the file 0600 (it holds a token), and a write
/// never leaves a half-written file: temp file in the same folder, fsync, rename, fsync of the folder.
/// </summary>
public sealed class ConfigStore(string directory)
{
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public string Directory { get; } = directory;

    public string FilePath => Path.Combine(Directory, "config.json");

    public static ConfigStore For(IReadOnlyDictionary<string, string?> env) => new(ConfigPaths.ConfigDirectory(env));

    /// <summary>The saved config, or an empty one when there is no file yet.</summary>
    public CliConfig Load()
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(FilePath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return new CliConfig();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliFailureException($"cannot read {FilePath}: {e.Message}", e);
        }

        try
        {
            return JsonSerializer.Deserialize(bytes, CliJsonContext.Default.CliConfig) ?? new CliConfig();
        }
        catch (JsonException e)
        {
            throw new CliFailureException($"{FilePath} is not valid JSON ({e.Message}); fix it or set it again with `ak config set`", e);
        }
    }

    public void Save(CliConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        EnsurePrivateDirectory();
        var bytes = JsonSerializer.SerializeToUtf8Bytes(config, CliJsonContext.Indented.CliConfig);
        var temp = Path.Combine(Directory, $".config.json.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = PrivateFile;
            }

            using (var stream = new FileStream(temp, options))
            {
                stream.Write(bytes);
                stream.WriteByte((byte)'\n');
                // The data must be on disk before the rename makes it the config, or a power loss could leave an empty file.
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, FilePath, overwrite: true);
            DirectorySync.Flush(Directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new CliFailureException($"cannot write {FilePath}: {e.Message}", e);
        }
    }

    private void EnsurePrivateDirectory()
    {
        var parent = Path.GetDirectoryName(Directory);
        if (!string.IsNullOrEmpty(parent))
        {
            System.IO.Directory.CreateDirectory(parent);
        }

        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(Directory);
            return;
        }

        System.IO.Directory.CreateDirectory(Directory, PrivateDirectory);
        // CreateDirectory leaves an existing folder's mode alone; tighten it in case it was made by hand.
        if ((File.GetUnixFileMode(Directory) & ~PrivateDirectory) != 0)
        {
            File.SetUnixFileMode(Directory, PrivateDirectory);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a stray temp file is harmless.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }
}
