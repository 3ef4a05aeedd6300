namespace AgentKanban.Daemon.Workspaces;

/// <summary>Directory chores done so that a crash at any instant leaves either the old or the new state.</summary>
internal static class SafeDirectories
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates the directory (and parents) and makes it 0700, also when it already existed.</summary>
    public static void EnsurePrivate(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            // No POSIX modes there; the daemon's supported platforms are Unix ones.
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, Private);
        File.SetUnixFileMode(path, Private);
    }

    /// <summary>True when the directory is empty or holds only a ".git" link file: what a crash inside
    /// "git worktree add" can leave before any content was checked out.</summary>
    public static bool IsEmptyOrGitLinkOnly(string path)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(path))
        {
            if (Path.GetFileName(entry) != ".git" || !File.Exists(entry))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Renames the directory into <paramref name="into"/> under a unique name (one atomic step on the
    /// same file system) and returns where it went, or null when it was already gone.</summary>
    public static string? MoveAside(string path, string into)
    {
        var target = Path.Combine(into, $"{Path.GetFileName(path)}-{Guid.NewGuid():N}");
        try
        {
            Directory.Move(path, target);
            return target;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Deletes a directory tree off the caller's thread; a missing directory is success.</summary>
    public static Task DeleteTreeAsync(string path, CancellationToken ct) => Task.Run(() => DeleteTree(path), ct);

    public static void DeleteTree(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            // An agent may leave directories without write or search permission; open them up and try once more.
            // (Also reached when another deleter removed entries under us: then the second pass finds less to do.)
            MakeOwnerAccessible(path);
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
            }
        }
    }

    /// <summary>The path with every symbolic link in it resolved (like realpath(3)).</summary>
    public static string RealPath(string path) => RealPath(path, depth: 0);

    private static string RealPath(string path, int depth)
    {
        if (depth > 32)
        {
            throw new IOException($"Too many levels of symbolic links resolving '{path}'.");
        }

        var current = "/";
        foreach (var part in Path.GetFullPath(path).Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(current, part);
            var info = new DirectoryInfo(next);
            if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target)
            {
                next = RealPath(target.FullName, depth + 1);
            }

            current = next;
        }

        return current;
    }

    private static void MakeOwnerAccessible(string directory)
    {
        var info = new DirectoryInfo(directory);
        if (OperatingSystem.IsWindows() || !info.Exists || info.LinkTarget is not null)
        {
            return;
        }

        File.SetUnixFileMode(directory, info.UnixFileMode | Private);
        foreach (var child in info.EnumerateDirectories())
        {
            MakeOwnerAccessible(child.FullName);
        }
    }
}
