using System.Buffers;
using System.Text;
using System.Text.Json;

namespace AgentKanban.Agents.ClaudeCode;

/// <summary>
/// Builds the Claude Code command line:
/// <c>claude -p --output-format stream-json --verbose (--session-id UUID | --resume TOKEN) [--model M]
/// [--append-system-prompt TEXT] [--permission-mode MODE] [--allowedTools A,B] [--disallowedTools C] -- PROMPT</c>.
/// The prompt goes last, after <c>--</c>, so a prompt that starts with a dash is never read as an option and a
/// list-valued option cannot swallow it. A prompt too long for one argument goes on standard input instead
/// (<c>--input-format stream-json</c>). With live input (<see cref="ClaudeLaunch.LiveInput"/>) the prompt always goes on
/// standard input, which stays open for more messages, and <c>--replay-user-messages</c> acknowledges each one.
/// </summary>
public static class ClaudeArgs
{
    /// <summary>Linux refuses a single argument longer than 128 KiB (MAX_ARG_STRLEN); stay well under it.</summary>
    public const int MaxArgumentBytes = 120 * 1024;

    public static ClaudeCommand Build(ClaudeLaunch launch)
    {
        ArgumentNullException.ThrowIfNull(launch);
        if (string.IsNullOrWhiteSpace(launch.Prompt))
        {
            throw new ArgumentException("The prompt must not be empty: the provider refuses an empty turn.", nameof(launch));
        }

        if (string.IsNullOrWhiteSpace(launch.SessionId))
        {
            throw new ArgumentException("A session id (new run) or resume token (resume) is required.", nameof(launch));
        }

        if (!launch.Resume && !Guid.TryParse(launch.SessionId, out _))
        {
            throw new ArgumentException($"--session-id needs a UUID, got '{launch.SessionId}'.", nameof(launch));
        }

        if (launch.AppendSystemPrompt is { } system && Encoding.UTF8.GetByteCount(system) > MaxArgumentBytes)
        {
            throw new ArgumentException($"The appended system prompt is longer than {MaxArgumentBytes} bytes.", nameof(launch));
        }

        var viaStdin = launch.LiveInput || launch.Delivery switch
        {
            PromptDelivery.StreamJsonStdin => true,
            PromptDelivery.Argument => false,
            _ => Encoding.UTF8.GetByteCount(launch.Prompt) > MaxArgumentBytes,
        };

        var args = new List<string> { "-p", "--output-format", "stream-json", "--verbose" };
        if (viaStdin)
        {
            args.AddRange(["--input-format", "stream-json"]);
        }

        if (launch.LiveInput)
        {
            args.Add("--replay-user-messages");
        }

        args.AddRange(launch.Resume ? ["--resume", launch.SessionId] : ["--session-id", launch.SessionId]);
        if (!string.IsNullOrWhiteSpace(launch.Model))
        {
            args.AddRange(["--model", launch.Model]);
        }

        if (!string.IsNullOrEmpty(launch.AppendSystemPrompt))
        {
            args.AddRange(["--append-system-prompt", launch.AppendSystemPrompt]);
        }

        var permissions = launch.Permissions;
        if (!string.IsNullOrEmpty(permissions.Mode))
        {
            args.AddRange(["--permission-mode", permissions.Mode]);
        }

        // One comma-joined value per list option: a variadic option never runs into the next argument.
        if (permissions.AllowedTools.Count > 0)
        {
            args.AddRange(["--allowedTools", string.Join(',', permissions.AllowedTools)]);
        }

        if (permissions.DisallowedTools.Count > 0)
        {
            args.AddRange(["--disallowedTools", string.Join(',', permissions.DisallowedTools)]);
        }

        args.AddRange(launch.ExtraArguments);
        if (viaStdin)
        {
            return new ClaudeCommand(launch.Executable, args, StreamJsonUserMessage(launch.Prompt, launch.SessionId, launch.PromptMessageId),
                launch.LiveInput);
        }

        args.Add("--");
        args.Add(launch.Prompt);
        return new ClaudeCommand(launch.Executable, args, null);
    }

    /// <summary>One <c>--input-format stream-json</c> user message, newline-terminated.</summary>
    public static byte[] StreamJsonUserMessage(string prompt, string sessionId) => StreamJsonUserMessage(prompt, sessionId, null);

    /// <summary>
    /// One <c>--input-format stream-json</c> user message, newline-terminated. <paramref name="uuid"/>: the message's id,
    /// which the CLI echoes back with <c>--replay-user-messages</c> once the conversation has taken the message.
    /// </summary>
    public static byte[] StreamJsonUserMessage(string prompt, string sessionId, Guid? uuid)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var buffer = new ArrayBufferWriter<byte>(prompt.Length + 256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "user");
            writer.WriteStartObject("message");
            writer.WriteString("role", "user");
            writer.WriteStartArray("content");
            writer.WriteStartObject();
            writer.WriteString("type", "text");
            writer.WriteString("text", prompt);
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteNull("parent_tool_use_id");
            writer.WriteString("session_id", sessionId);
            if (uuid is { } id)
            {
                writer.WriteString("uuid", id.ToString("D"));
            }

            writer.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }
}
