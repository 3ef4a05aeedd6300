namespace AgentKanban.Server.Storage;

/// <summary>How hard the SQLite writer pushes each commit to disk (its <c>PRAGMA synchronous</c>).</summary>
public enum SqliteSynchronous
{
    /// <summary>
    /// <c>FULL</c>: every commit syncs the WAL before it returns, so a commit the server answered for survives a power
    /// cut or an OS crash. What the board server always runs with.
    /// </summary>
    Full,

    /// <summary>
    /// <c>NORMAL</c>: the WAL is synced only at checkpoints. A process crash loses nothing, but a power cut can drop the
    /// last commits — and with them event ids and lease epochs that were already handed out. Only for measuring what
    /// <see cref="Full"/> costs.
    /// </summary>
    Normal,
}
