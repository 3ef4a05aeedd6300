using System.Net.Http.Headers;

namespace AgentKanban.Client;

/// <summary>
/// Adds to the message of a 401, in the consumer's own words (e.g. where credentials come from); null adds nothing.
/// </summary>
/// <param name="credentials">The credentials the refused request was sent with (the client's, not a per-call bearer).</param>
/// <param name="serverExplained">The answer was in the server's error shape, so its message comes first.</param>
public delegate string? UnauthorizedHint(BoardCredentials credentials, bool serverExplained);

/// <summary>How a <see cref="BoardApiClient"/> behaves beyond what the server answers.</summary>
public sealed record BoardApiClientOptions
{
    public static BoardApiClientOptions Default { get; } = new();

    /// <summary>
    /// Deadline of each ordinary call (event streams have none); null leaves it to the <see cref="HttpClient.Timeout"/>.
    /// </summary>
    public TimeSpan? RequestTimeout { get; init; }

    /// <summary>Sent as <c>User-Agent</c> with every request; null sends none.</summary>
    public ProductInfoHeaderValue? UserAgent { get; init; }

    public UnauthorizedHint? UnauthorizedHint { get; init; }
}
