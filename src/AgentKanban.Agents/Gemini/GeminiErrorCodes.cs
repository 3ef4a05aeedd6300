namespace AgentKanban.Agents.Gemini;

/// <summary>
/// The error code an <see cref="Core.Events.AgentError"/> from the Gemini CLI carries, so the daemon's classification
/// (<see cref="Core.Policies.ProviderErrors.Classify"/>) retries what is passing (a server error, an outage) and stops
/// on what is not. The CLI names most API failures only as text (<c>"type":"unknown"</c>), so the text decides.
/// </summary>
public static class GeminiErrorCodes
{
    /// <summary>The CLI could not authenticate (exit 41, or an API key the provider refused).</summary>
    public const string AuthenticationFailed = "authentication_failed";

    /// <summary>The working directory is not trusted by the CLI (exit 55).</summary>
    public const string UntrustedFolder = "untrusted_folder";

    /// <summary>A failure with nothing more specific to say.</summary>
    public const string Unknown = "gemini_error";

    private static readonly string[] ServerMarkers =
        ["status: 500", "status: 502", "status: 503", "status: 504", "Internal error", "INTERNAL", "UNAVAILABLE", "overloaded", "The model is overloaded"];

    private static readonly string[] NetworkMarkers = ["fetch failed", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "socket hang up", "EAI_AGAIN"];

    private static readonly string[] AuthMarkers = ["API key not valid", "API_KEY_INVALID", "PERMISSION_DENIED", "UNAUTHENTICATED", "status: 401", "status: 403"];

    /// <summary>The code for an error of CLI type <paramref name="type"/> with text <paramref name="message"/>.</summary>
    public static string Classify(string? type, string? message)
    {
        if (!string.IsNullOrEmpty(message))
        {
            if (Contains(message, AuthMarkers))
            {
                return AuthenticationFailed;
            }

            if (Contains(message, NetworkMarkers))
            {
                return "network_error";
            }

            if (Contains(message, ServerMarkers))
            {
                return "server_error";
            }
        }

        return type switch
        {
            "FatalAuthenticationError" => AuthenticationFailed,
            null or "" or "unknown" => Unknown,
            _ => type,
        };
    }

    private static bool Contains(string text, string[] markers)
    {
        foreach (var marker in markers)
        {
            if (text.Contains(marker, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
