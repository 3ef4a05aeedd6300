// A stand-in for an agent CLI, for the process-runner and parser tests. Runs its arguments as a
// script of steps, in order, e.g.:
//   FakeAgent line '{"type":"x"}' malformed binary 64 huge 20 replay t.jsonl 5 exit 3
// Steps:
//   line TEXT            write TEXT and a newline to stdout
//   partial TEXT         write TEXT without a newline
//   replay FILE [MS]     copy FILE to stdout line by line, waiting MS between lines
//   malformed            write a line of broken JSON
//   binary N             write a line of N bytes that are not UTF-8
//   huge MB              write one JSON line of MB megabytes
//   stderr TEXT          write TEXT and a newline to stderr
//   stderr-bulk KB       write KB kilobytes of numbered lines to stderr
//   env NAME...          write {"type":"env","vars":{NAME:value|null,...}} (names up to the next step word)
//   cwd                  write {"type":"cwd","cwd":"..."}
//   echo-stdin           copy standard input to stdout until it ends
//   sleep MS             wait
//   hang                 wait forever
//   ignore-sigterm       from now on, SIGTERM does nothing
//   grandchild PIDFILE   start a helper that inherits stdout, ignores SIGTERM and hangs; once it ignores
//                        SIGTERM it writes its pid to PIDFILE (so a test reading the pid knows it is ready)
//   escapee PIDFILE      like grandchild, but the helper leaves the process group (setsid)
//   pidfile PATH         write this process's pid to PATH
//   wait-file PATH       wait until PATH exists (e.g. a helper's pid file)
//   kill-self            die by SIGKILL
//   exit CODE            exit with CODE (the default end is exit 0)
//
// Claude mode: invoked like the Claude Code CLI (first argument starts with '-', e.g. `-p --output-format …`),
// it appends its arguments as one JSON array line to $FAKE_AGENT_ARGS_FILE (if set) and runs the steps in
// $FAKE_AGENT_STEPS (a JSON array; default: claude-init claude-result). Extra steps for this mode:
//   claude-init              a system/init line whose session_id is the --session-id or --resume argument
//   claude-text TEXT         an assistant message with one text block
//   claude-rate-limit EPOCH  a rejected rate_limit_event resetting at EPOCH, the assistant's rate-limit error,
//                            and a failed result, then exit 1 — what the real CLI does on a 429
//   claude-result            a successful result line
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

var stdout = Console.OpenStandardOutput();
string? claudeSession = null;
if (args.Length > 0 && args[0].StartsWith('-'))
{
    claudeSession = ArgumentAfter(args, "--session-id") ?? ArgumentAfter(args, "--resume") ?? "no-session";
    if (Environment.GetEnvironmentVariable("FAKE_AGENT_ARGS_FILE") is { Length: > 0 } argsFile)
    {
        File.AppendAllText(argsFile, JsonSerializer.Serialize(args) + "\n");
    }

    args = Environment.GetEnvironmentVariable("FAKE_AGENT_STEPS") is { Length: > 0 } steps
        ? JsonSerializer.Deserialize<string[]>(steps) ?? []
        : ["claude-init", "claude-result"];
}

var stderr = Console.OpenStandardError();
PosixSignalRegistration? sigterm = null;
var stepWords = new HashSet<string>(StringComparer.Ordinal)
{
    "line", "partial", "replay", "malformed", "binary", "huge", "stderr", "stderr-bulk", "env", "cwd", "echo-stdin",
    "sleep", "hang", "ignore-sigterm", "grandchild", "escapee", "pidfile", "wait-file", "kill-self", "exit",
    "claude-init", "claude-text", "claude-rate-limit", "claude-result",
};

for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "line":
            Write(stdout, args[++i] + "\n");
            break;
        case "partial":
            Write(stdout, args[++i]);
            break;
        case "replay":
        {
            var file = args[++i];
            var delay = i + 1 < args.Length && int.TryParse(args[i + 1], out var ms) ? ms : 0;
            if (delay > 0 || (i + 1 < args.Length && args[i + 1] == "0"))
            {
                i++;
            }

            foreach (var line in File.ReadLines(file))
            {
                Write(stdout, line + "\n");
                if (delay > 0)
                {
                    await Task.Delay(delay);
                }
            }

            break;
        }

        case "malformed":
            Write(stdout, "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"cut off\n");
            break;
        case "binary":
        {
            var count = int.Parse(args[++i]);
            var bytes = new byte[count + 1];
            for (var b = 0; b < count; b++)
            {
                // 0xFF and 0xFE never appear in UTF-8; mix in some NULs and high bytes.
                bytes[b] = (byte)(b % 3 == 0 ? 0xFF : b % 3 == 1 ? 0x00 : 0xC3);
            }

            bytes[count] = (byte)'\n';
            stdout.Write(bytes);
            stdout.Flush();
            break;
        }

        case "huge":
        {
            var size = int.Parse(args[++i]) * 1024 * 1024;
            var prefix = "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\",\"text\":\""u8;
            var suffix = "\"}]}}\n"u8;
            stdout.Write(prefix);
            var chunk = new byte[64 * 1024];
            chunk.AsSpan().Fill((byte)'x');
            for (var written = 0; written < size; written += chunk.Length)
            {
                stdout.Write(chunk, 0, Math.Min(chunk.Length, size - written));
            }

            stdout.Write(suffix);
            stdout.Flush();
            break;
        }

        case "stderr":
            Write(stderr, args[++i] + "\n");
            break;
        case "stderr-bulk":
        {
            var kb = int.Parse(args[++i]);
            var builder = new StringBuilder();
            for (var n = 0; builder.Length < kb * 1024; n++)
            {
                builder.Append("stderr line ").Append(n).Append('\n');
            }

            Write(stderr, builder.ToString());
            break;
        }

        case "env":
        {
            var vars = new Dictionary<string, string?>();
            while (i + 1 < args.Length && !stepWords.Contains(args[i + 1]))
            {
                var name = args[++i];
                vars[name] = Environment.GetEnvironmentVariable(name);
            }

            Write(stdout, JsonSerializer.Serialize(new Dictionary<string, object> { ["type"] = "env", ["vars"] = vars }) + "\n");
            break;
        }

        case "cwd":
            Write(stdout, JsonSerializer.Serialize(new Dictionary<string, string> { ["type"] = "cwd", ["cwd"] = Environment.CurrentDirectory }) + "\n");
            break;
        case "echo-stdin":
            Console.OpenStandardInput().CopyTo(stdout);
            stdout.Flush();
            break;
        case "sleep":
            await Task.Delay(int.Parse(args[++i]));
            break;
        case "hang":
            await Task.Delay(Timeout.Infinite);
            break;
        case "ignore-sigterm":
            sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => context.Cancel = true);
            break;
        case "grandchild":
        case "escapee":
        {
            var pidFile = args[++i];
            using var helper = StartSelf(args[i - 1] == "escapee", "ignore-sigterm", "pidfile", pidFile, "hang");
            break;
        }

        case "pidfile":
        {
            // Written to a temp name and renamed, so a reader never sees a half-written pid.
            var path = args[++i];
            File.WriteAllText(path + ".tmp", Environment.ProcessId.ToString());
            File.Move(path + ".tmp", path, overwrite: true);
            break;
        }

        case "wait-file":
        {
            var path = args[++i];
            while (!File.Exists(path))
            {
                await Task.Delay(10);
            }

            break;
        }

        case "kill-self":
            Process.GetCurrentProcess().Kill();
            await Task.Delay(Timeout.Infinite);
            break;
        case "exit":
            return int.Parse(args[++i]);
        case "claude-init":
            WriteJson(stdout, new Dictionary<string, object?>
            {
                ["type"] = "system", ["subtype"] = "init", ["cwd"] = Environment.CurrentDirectory,
                ["session_id"] = claudeSession, ["model"] = "fake-model", ["tools"] = new[] { "Bash" },
            });
            break;
        case "claude-text":
            WriteJson(stdout, new Dictionary<string, object?>
            {
                ["type"] = "assistant",
                ["message"] = new { role = "assistant", content = new[] { new { type = "text", text = args[++i] } } },
                ["parent_tool_use_id"] = null, ["session_id"] = claudeSession,
            });
            break;
        case "claude-rate-limit":
        {
            var reset = long.Parse(args[++i]);
            WriteJson(stdout, new Dictionary<string, object?>
            {
                ["type"] = "rate_limit_event",
                ["rate_limit_info"] = new { status = "rejected", resetsAt = reset, rateLimitType = "five_hour", isUsingOverage = false },
                ["session_id"] = claudeSession,
            });
            WriteJson(stdout, new Dictionary<string, object?>
            {
                ["type"] = "assistant",
                ["message"] = new { role = "assistant", content = new[] { new { type = "text", text = "You've hit your limit" } } },
                ["session_id"] = claudeSession, ["error"] = "rate_limit",
            });
            WriteJson(stdout, Result(claudeSession, isError: true));
            return 1;
        }

        case "claude-result":
            WriteJson(stdout, Result(claudeSession, isError: false));
            break;
        default:
            Write(stderr, $"FakeAgent: unknown step '{args[i]}'\n");
            return 64;
    }
}

GC.KeepAlive(sigterm);
return 0;

static string? ArgumentAfter(string[] arguments, string name)
{
    var index = Array.IndexOf(arguments, name);
    return index >= 0 && index + 1 < arguments.Length ? arguments[index + 1] : null;
}

static Dictionary<string, object?> Result(string? session, bool isError) => new()
{
    ["type"] = "result", ["subtype"] = "success", ["is_error"] = isError, ["num_turns"] = 1, ["session_id"] = session,
    ["total_cost_usd"] = isError ? 0 : 0.25, ["result"] = isError ? "You've hit your limit" : "done",
    ["usage"] = new { input_tokens = 10, output_tokens = 20, cache_read_input_tokens = 30, cache_creation_input_tokens = 40 },
};

static void WriteJson(Stream stream, object value) => Write(stream, JsonSerializer.Serialize(value) + "\n");

static void Write(Stream stream, string text)
{
    stream.Write(Encoding.UTF8.GetBytes(text));
    stream.Flush();
}

// Starts another FakeAgent that inherits this one's stdin, stdout and stderr (no redirection).
static Process StartSelf(bool leaveGroup, params string[] steps)
{
    var host = Environment.ProcessPath!;
    var self = typeof(Program).Assembly.Location;
    var info = leaveGroup ? new ProcessStartInfo("setsid") : new ProcessStartInfo(host);
    if (leaveGroup)
    {
        info.ArgumentList.Add(host);
    }

    if (Path.GetFileNameWithoutExtension(host) == "dotnet")
    {
        info.ArgumentList.Add(self);
    }

    foreach (var step in steps)
    {
        info.ArgumentList.Add(step);
    }

    info.UseShellExecute = false;
    return Process.Start(info)!;
}
