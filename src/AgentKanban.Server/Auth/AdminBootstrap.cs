using AgentKanban.Server.Data;
using AgentKanban.Server.Hosting;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Auth;

/// <summary>
/// On first start with an empty store: creates the admin user and writes its token to <c>DIR/admin-token</c>
/// (created with mode 0600). Several instances starting at once on one database create exactly one admin.
/// </summary>
internal static class AdminBootstrap
{
    public const string TokenFileName = "admin-token";

    /// <summary>The new admin token, or null when users already existed.</summary>
    public static async Task<string?> EnsureAdminAsync(IStorageEngine store, ServerClock clock, string dataDir, CancellationToken cancellationToken)
    {
        try
        {
            return await store.WriteAsync(async (tx, ct) =>
            {
                var token = Ids.NewSecret(Authenticator.UserTokenPrefix);
                if (await UserRows.InsertFirstAdminAsync(tx, Ids.New(), Ids.Hash(token), clock.Now(), ct) == 0)
                {
                    return null;
                }

                // Crash point: the file is written before the commit, so a committed admin always has its token on
                // disk; a crash between the two leaves a stale file that the next start overwrites.
                WriteTokenFile(Path.Combine(dataDir, TokenFileName), token);
                return token;
            }, cancellationToken);
        }
        catch (StorageException e) when (e.Failure == StorageFailure.UniqueViolation)
        {
            return null; // Another instance created the admin at the same moment.
        }
    }

    private static void WriteTokenFile(string path, string token)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Delete(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(token);
        writer.Flush();
        stream.Flush(flushToDisk: true);
    }
}
