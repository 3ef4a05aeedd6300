using System.Data.Common;

namespace AgentKanban.Server.Storage;

/// <summary>
/// Counts requests that failed because the database did not answer. The lease sweeper reads the count: while the
/// database was unreachable no heartbeat could renew a lease, so after any such failure every held lease gets one full
/// lease of grace before anything is taken back (the lease sweeper).
/// </summary>
public sealed class StorageHealth
{
    private long _failures;

    /// <summary>How many storage failures were seen since the server started (only ever grows).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public void ReportFailure() => Interlocked.Increment(ref _failures);

    /// <summary>
    /// The exception (or one it wraps) came from the database (a <see cref="StorageException"/>, or a driver's own from a
    /// raw connection): the database failed, not the request.
    /// </summary>
    public static bool IsStorageFailure(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is StorageException or DbException or TimeoutException)
            {
                return true;
            }
        }

        return false;
    }
}
