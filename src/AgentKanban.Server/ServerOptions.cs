namespace AgentKanban.Server;

/// <summary>How to run the board server (what <c>ak server</c> and <c>ak up</c> pass in).</summary>
public sealed record ServerOptions
{
    public const string DefaultUrls = "http://127.0.0.1:7420";

    /// <summary>Directory for the SQLite file (<c>ak.db</c>) and <c>admin-token</c>.</summary>
    public required string DataDir { get; init; }

    /// <summary>A PostgreSQL connection string (<c>Host=…;Database=…</c>); null = embedded SQLite in <see cref="DataDir"/>.</summary>
    public string? ConnectionString { get; init; }

    public string Urls { get; init; } = DefaultUrls;

    /// <summary>How long a dispatch lease lives without a heartbeat from its machine (<c>ak server --lease-ttl</c>).</summary>
    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How often expired leases are taken back: a quarter of the lease (at most every 5 s, at least every 250 ms), so a
    /// dead machine's task is free again within about one and a quarter leases.
    /// </summary>
    public TimeSpan LeaseSweepInterval => TimeSpan.FromTicks(Math.Clamp(LeaseTtl.Ticks / 4, TimeSpan.FromMilliseconds(250).Ticks, TimeSpan.FromSeconds(5).Ticks));

    /// <summary>How many live agent events the server keeps per session for late joiners (older ones are pruned on insert).</summary>
    public int AgentEventsPerSession { get; init; } = 1000;

    /// <summary>
    /// How long the event log behind the live streams keeps an event. Tasks, activity and messages live in their own
    /// tables; the log only serves streams that resume or start in the past, so old entries are pruned hourly.
    /// </summary>
    public TimeSpan EventRetention { get; init; } = TimeSpan.FromDays(30);

    /// <summary>
    /// How the embedded SQLite store syncs its commits: <see cref="Storage.SqliteSynchronous.Full"/> always in the
    /// product (no command-line flag sets anything else); benchmarks set <see cref="Storage.SqliteSynchronous.Normal"/>
    /// to measure what that durability costs.
    /// </summary>
    public Storage.SqliteSynchronous SqliteSynchronous { get; init; } = Storage.SqliteSynchronous.Full;

    /// <summary>
    /// The shared secret of GitHub's webhook (<c>ak server --github-webhook-secret-file</c>): with it, signed
    /// <c>pull_request</c> events at <c>POST /api/webhooks/github</c> finish tasks whose pull request was merged or closed;
    /// without it that path answers 404.
    /// </summary>
    public string? GitHubWebhookSecret { get; init; }

    /// <summary>Print the admin token to stdout when it is first created.</summary>
    public bool PrintAdminToken { get; init; } = true;
}
