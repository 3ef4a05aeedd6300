namespace AgentKanban.Core.Policies;

/// <summary>Whether a failure is worth retrying.</summary>
public enum ErrorClass
{
    /// <summary>No failure was seen.</summary>
    None,
    /// <summary>Network, 5xx, 429 from our server, an overloaded provider, a stalled agent: retry with backoff.</summary>
    Transient,
    /// <summary>Bad credentials, an invalid request, billing, anything unknown: do not retry.</summary>
    Terminal,
}

/// <summary>Classifies the error codes runtimes report (Claude Code's assistant <c>error</c> field and similar).</summary>
public static class ProviderErrors
{
    /// <summary>The provider refused the call for its usage limit (a rate-limit signal, not a failure).</summary>
    public const string RateLimit = "rate_limit";

    /// <summary>
    /// A resume named a conversation the runtime does not have (its session files are gone): nothing ran. Terminal like
    /// any unknown code; the daemon answers it by starting the conversation afresh, once.
    /// </summary>
    public const string ConversationNotFound = "conversation_not_found";

    /// <summary>
    /// <c>rate_limit</c> is not classified here: it is a rate-limit signal and goes to the rate-limit policy.
    /// Unknown codes are terminal, so a mystery failure cannot loop.
    /// </summary>
    public static ErrorClass Classify(string? code) => code switch
    {
        null or "" => ErrorClass.None,
        "server_error" or "overloaded" or "overloaded_error" or "api_error" or "timeout" or "network_error" => ErrorClass.Transient,
        _ => ErrorClass.Terminal,
    };

    /// <summary>The worse of two classes: terminal beats transient beats none.</summary>
    public static ErrorClass Worst(ErrorClass a, ErrorClass b) => (ErrorClass)Math.Max((int)a, (int)b);
}
