namespace AgentKanban.Daemon.Infrastructure;

/// <summary>
/// Files and directories that may hold secrets: created owner-only (0700 / 0600) and written atomically
/// (a temporary file next to the target, flushed to disk, then renamed), so a crash never leaves a
/// half-written key and nobody else can read it.
/// </summary>
public static class SecureFiles
{
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates the directory (and parents) if needed and makes sure it is 0700.</summary>
    public static string EnsurePrivateDirectory(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(full, DirectoryMode);
        if ((File.GetUnixFileMode(full) & ~DirectoryMode) != 0)
        {
            File.SetUnixFileMode(full, DirectoryMode);
        }

        return full;
    }

    /// <summary>Writes <paramref name="contents"/> to <paramref name="path"/> with mode 0600, atomically and durably.</summary>
    public static async Task WriteAtomicAsync(string path, string contents, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        // Stage next to the target: a rename across file systems (a tmpfs /tmp) would fail.
        var staging = Path.Combine(directory, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            await using (var stream = new FileStream(staging, new FileStreamOptions
            {
                Mode = System.IO.FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = FileMode,
            }))
            {
                await using var writer = new StreamWriter(stream);
                await writer.WriteAsync(contents.AsMemory(), cancellationToken);
                await writer.FlushAsync(cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            File.Move(staging, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(staging))
            {
                File.Delete(staging);
            }
        }
    }

    /// <summary>The file's text, or null when it does not exist.</summary>
    public static async Task<string?> ReadIfExistsAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Deletes the file if it is there; a failure is ignored (for leftovers that are harmless).</summary>
    public static void DeleteQuietly(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Harmless by contract of the callers.
        }
    }
}
