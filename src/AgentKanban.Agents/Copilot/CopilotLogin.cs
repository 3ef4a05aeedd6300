using System.Text.Json;

namespace AgentKanban.Agents.Copilot;

/// <summary>
/// Whether <c>copilot login</c> left a signed-in user in the CLI's <c>config.json</c> (the token itself may be in the
/// system keychain; the config names the users). The file starts with <c>//</c> comment lines, which the reader skips.
/// </summary>
public static class CopilotLogin
{
    private static readonly JsonReaderOptions Options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>True when the config names a logged-in user (<c>loggedInUsers</c>/<c>logged_in_users</c> non-empty, or a last user).</summary>
    public static bool HasLoggedInUser(string configFile)
    {
        try
        {
            return File.Exists(configFile) && HasLoggedInUser(File.ReadAllBytes(configFile));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The check on the config file's bytes.</summary>
    public static bool HasLoggedInUser(ReadOnlySpan<byte> config)
    {
        if (config.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            // A byte-order mark (an editor's save) is not JSON.
            config = config[3..];
        }

        try
        {
            var reader = new Utf8JsonReader(config, Options);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var users = reader.ValueTextEquals("loggedInUsers"u8) || reader.ValueTextEquals("logged_in_users"u8);
                var last = reader.ValueTextEquals("lastLoggedInUser"u8) || reader.ValueTextEquals("last_logged_in_user"u8);
                reader.Read();
                if (users && reader.TokenType == JsonTokenType.StartArray)
                {
                    if (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        return true;
                    }
                }
                else if (last && reader.TokenType == JsonTokenType.StartObject)
                {
                    return true;
                }
                else
                {
                    reader.Skip();
                }
            }

            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
