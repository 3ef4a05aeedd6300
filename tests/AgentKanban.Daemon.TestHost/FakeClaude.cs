using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AgentKanban.Contracts;
using AgentKanban.Contracts.Auth;

namespace AgentKanban.Daemon.TestHost;

/// <summary>
/// A stand-in for <c>claude -p --output-format stream-json --verbose</c>: prints Claude Code's stream-json shapes and
/// drives its task through the real board API with the session identity the daemon handed it (like an agent
/// running <c>ak task claim/review</c>). Its script comes from the task description, one step per line starting with
/// <c>fake:</c> (default: claim, say, write a file, commit, review, result):
/// <list type="bullet">
/// <item><c>claim</c>, <c>review [PR_URL]</c> — the task transitions, signed with the session key;</item>
/// <item><c>say TEXT</c>, <c>write FILE TEXT</c>, <c>commit</c>, <c>push</c> (<c>git push origin HEAD</c>), <c>tool</c> (a tool call and its result), <c>result</c>;</item>
/// <item><c>rate-limit SECONDS</c> — on a fresh run only: a rejected <c>rate_limit_event</c> resetting SECONDS from now,
/// the assistant's <c>rate_limit</c> error, an error result, exit 1 (what the real CLI does on a 429);</item>
/// <item><c>reject WINDOW SECONDS</c> — on a fresh run only: a rejected <c>rate_limit_event</c> for the window WINDOW
/// (<c>five_hour</c>, <c>seven_day</c>, …) resetting SECONDS from now, and nothing else (the script goes on);</item>
/// <item><c>allowed WINDOW</c> — an <c>allowed</c> <c>rate_limit_event</c> for the window WINDOW;</item>
/// <item><c>rate-limit-api-key</c> — on a fresh run only: what the real CLI prints for a 429 when it runs on an API key
/// (no <c>rate_limit_event</c>): the assistant's <c>rate_limit</c> error and an error result, both with
/// <c>api_error_status</c> 429, exit 1;</item>
/// <item><c>rate-limit-result-only</c> — on a fresh run only: just the error result with <c>api_error_status</c> 429, exit 1;</item>
/// <item><c>lost-conversation</c> — on a resume only: what the real CLI prints when it has no conversation under the
/// resumed id (no init line, an error result whose <c>errors</c> say "No conversation found …"), exit 1;</item>
/// <item><c>note TEXT</c> — a note on the task (<c>ak task note</c>);</item>
/// <item><c>say-big N CHAR</c> — a text of N×1024 times the character CHAR (a letter, not a JSON escape), as raw UTF-8;</item>
/// <item><c>garbage</c> — malformed JSON, a binary line, a 20 MB line;</item>
/// <item><c>sleep MS</c>, <c>sleep-fresh MS</c> (on a fresh run only), <c>hang</c>, <c>exit N</c>, <c>exit-fresh N</c> (exit on a fresh run only);</item>
/// <item><c>wait-message</c> — a long tool call during which a person's message arrives: waits for one on stdin.</item>
/// </list>
/// Live input (<c>--input-format stream-json</c>, as the daemon runs Claude Code): the prompt is the first stream-json
/// user message on stdin. Later ones are marked <c>message-received TEXT</c> when they arrive and taken in between steps
/// (like the real CLI at its next model request): echoed back with their <c>uuid</c> (<c>--replay-user-messages</c>),
/// marked <c>message-taken TEXT</c> and answered with the text <c>Noted: LAST LINE</c>. After a script that ended with
/// <c>result</c> the fake waits, like the real CLI, for more messages (each one a turn with its result) until stdin closes.
/// A step written <c>run N: STEP</c> happens only in the Nth invocation for the task (counted in the log below).
/// Every invocation appends one JSON line to <c>$FAKE_CLAUDE_LOG</c> (arguments, prompt, identity) for the tests.
/// </summary>
internal static class FakeClaude
{
    private static readonly Stream Stdout = Console.OpenStandardOutput();

    public static async Task<int> RunAsync(string[] args)
    {
        string? sessionId = null;
        var resume = false;
        string? prompt = null;
        string? systemPrompt = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--session-id":
                    sessionId = args[++i];
                    break;
                case "--resume":
                    sessionId = args[++i];
                    resume = true;
                    break;
                case "--append-system-prompt":
                    systemPrompt = args[++i];
                    break;
                case "--":
                    prompt = string.Join(' ', args[(i + 1)..]);
                    i = args.Length;
                    break;
            }
        }

        // Live input (--input-format stream-json): the prompt is the first user message on stdin, which stays open for more.
        StdinMessages? input = null;
        if (args.Contains("--input-format"))
        {
            input = new StdinMessages(replay: args.Contains("--replay-user-messages"));
            prompt = await input.FirstAsync();
        }

        // At most one agent per task at any time: a second one finding the task's lock held says so in the log.
        using var taskLock = TryLockTask(Environment.GetEnvironmentVariable("AK_TASK_ID"), out var concurrent);
        var env = Environment.GetEnvironmentVariables();
        var server = env["AK_SERVER"] as string;
        var akSession = env["AK_SESSION_ID"] as string;
        var key = env["AK_SESSION_KEY"] as string;
        var taskId = env["AK_TASK_ID"] as string;
        await LogInvocationAsync(sessionId, resume, prompt, systemPrompt, args, concurrent);

        if (server is null || akSession is null || key is null || taskId is null)
        {
            Init(sessionId);
            await Console.Error.WriteLineAsync("fake-claude: no AK_* session identity in the environment");
            return 2;
        }

        using var http = new HttpClient { BaseAddress = new Uri(server.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
        var api = new SessionApi(http, server.TrimEnd('/'), akSession, key);
        var task = await api.GetTaskAsync(taskId);
        var script = (task.Description ?? string.Empty)
            .Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.StartsWith("fake:", StringComparison.Ordinal))
            .Select(l => l[5..].Trim())
            .ToList();
        if (script.Count == 0)
        {
            script = ["claim", "say working on it", "write result.txt done", "commit", "review", "result"];
        }

        script = ForThisRun(script, await InvocationNumberAsync(taskId));
        if (resume && script.Contains("lost-conversation"))
        {
            // The real CLI prints no init line when it cannot find the conversation to resume.
            Emit(new Dictionary<string, object?>
            {
                ["type"] = "result", ["subtype"] = "error_during_execution", ["duration_ms"] = 0, ["is_error"] = true, ["num_turns"] = 0,
                ["session_id"] = sessionId, ["total_cost_usd"] = 0m,
                ["usage"] = new Dictionary<string, object?> { ["input_tokens"] = 0, ["output_tokens"] = 0 },
                ["errors"] = new object[] { $"No conversation found with session ID: {sessionId}" },
            });
            await Console.Error.WriteLineAsync($"No conversation found with session ID: {sessionId}");
            return 1;
        }

        Init(sessionId);

        var resultLast = false;
        foreach (var step in script)
        {
            // Like the real CLI: messages that came in meanwhile reach the model with its next request.
            await TakeMessagesAsync(input, sessionId);
            var (verb, rest) = Split(step);
            resultLast = verb == "result";
            switch (verb)
            {
                case "wait-message":
                    // A long tool call during which a person posts a message: waits (at most two minutes) for one on stdin.
                    if (input is not null)
                    {
                        await input.WaitForOneAsync(TimeSpan.FromMinutes(2));
                        await TakeMessagesAsync(input, sessionId);
                    }

                    break;
                case "claim":
                    await api.TransitionAsync(taskId, "claim", tolerateConflict: true);
                    break;
                case "review":
                    await api.TransitionAsync(taskId, "review", tolerateConflict: false, prUrl: rest.Length > 0 ? rest : null);
                    break;
                case "say":
                    Assistant(sessionId, new Dictionary<string, object?> { ["type"] = "text", ["text"] = rest });
                    break;
                case "tool" or "tool-slow":
                {
                    var toolId = "toolu_" + Guid.NewGuid().ToString("N")[..12];
                    Assistant(sessionId, new Dictionary<string, object?>
                    {
                        ["type"] = "tool_use", ["id"] = toolId, ["name"] = "Bash", ["input"] = new Dictionary<string, object?> { ["command"] = "true" },
                    });
                    if (verb == "tool-slow")
                    {
                        // A tool call in flight (the daemon's shutdown waits for its result before stopping the agent).
                        await Task.Delay(int.Parse(rest, System.Globalization.CultureInfo.InvariantCulture));
                        await MarkAsync("tool-finished");
                    }

                    Emit(new Dictionary<string, object?>
                    {
                        ["type"] = "user", ["session_id"] = sessionId,
                        ["message"] = new Dictionary<string, object?>
                        {
                            ["role"] = "user",
                            ["content"] = new object[] { new Dictionary<string, object?> { ["type"] = "tool_result", ["tool_use_id"] = toolId, ["content"] = "ok", ["is_error"] = false } },
                        },
                    });
                    break;
                }

                case "write":
                {
                    var (file, text) = Split(rest);
                    await File.WriteAllTextAsync(Path.Combine(Environment.CurrentDirectory, file), text + "\n");
                    break;
                }

                case "commit":
                    if (Directory.Exists(".git") || File.Exists(".git"))
                    {
                        await GitAsync("add", "-A");
                        await GitAsync("-c", "user.name=Fake Agent", "-c", "user.email=fake@agent.test", "commit", "-q", "-m", "fake agent work");
                    }

                    break;
                case "push":
                    // What an agent does to publish its work: the task branch to the worktree's origin (the task's repository).
                    await GitAsync("push", "-q", "origin", "HEAD");
                    break;
                case "result":
                    Result(sessionId, isError: false);
                    break;
                case "rate-limit":
                    if (!resume)
                    {
                        var reset = TimeProvider.System.GetUtcNow().AddSeconds(double.Parse(rest, System.Globalization.CultureInfo.InvariantCulture));
                        Emit(new Dictionary<string, object?>
                        {
                            ["type"] = "rate_limit_event", ["session_id"] = sessionId,
                            ["rate_limit_info"] = new Dictionary<string, object?>
                            {
                                ["status"] = "rejected", ["resetsAt"] = reset.ToUnixTimeSeconds(), ["rateLimitType"] = "five_hour", ["isUsingOverage"] = false,
                            },
                        });
                        Emit(new Dictionary<string, object?>
                        {
                            ["type"] = "assistant", ["session_id"] = sessionId, ["error"] = "rate_limit",
                            ["message"] = new Dictionary<string, object?>
                            {
                                ["role"] = "assistant", ["content"] = new object[] { new Dictionary<string, object?> { ["type"] = "text", ["text"] = "API Error: Rate limit reached" } },
                            },
                        });
                        Result(sessionId, isError: true);
                        return 1;
                    }

                    break;
                case "reject" when !resume:
                {
                    var (window, seconds) = Split(rest);
                    var reset = TimeProvider.System.GetUtcNow().AddSeconds(double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture));
                    RateLimitEvent(sessionId, "rejected", window, reset);
                    break;
                }

                case "allowed":
                    RateLimitEvent(sessionId, "allowed", rest, TimeProvider.System.GetUtcNow().AddHours(5));
                    break;
                case "usage":
                {
                    // Claude's unified utilization as its rate_limit_event carries it: a fraction of the named window.
                    var (window, fraction) = Split(rest);
                    Emit(new Dictionary<string, object?>
                    {
                        ["type"] = "rate_limit_event", ["session_id"] = sessionId,
                        ["rate_limit_info"] = new Dictionary<string, object?>
                        {
                            ["status"] = "allowed", ["resetsAt"] = TimeProvider.System.GetUtcNow().AddHours(5).ToUnixTimeSeconds(), ["rateLimitType"] = window,
                            ["isUsingOverage"] = false, ["utilization"] = double.Parse(fraction, System.Globalization.CultureInfo.InvariantCulture),
                        },
                    });
                    break;
                }

                case "rate-limit-api-key" or "rate-limit-result-only" when !resume:
                {
                    // On an API key the CLI gets no rate-limit headers it understands: no rate_limit_event, only the 429.
                    const string apiError = "API Error: Request rejected (429) · This request would exceed your account's rate limit.";
                    if (verb == "rate-limit-api-key")
                    {
                        Emit(new Dictionary<string, object?>
                        {
                            ["type"] = "assistant", ["session_id"] = sessionId, ["error"] = "rate_limit", ["is_api_error_message"] = true,
                            ["api_error_status"] = 429, ["api_error_type"] = "rate_limit_error",
                            ["message"] = new Dictionary<string, object?>
                            {
                                ["role"] = "assistant", ["model"] = "<synthetic>",
                                ["content"] = new object[] { new Dictionary<string, object?> { ["type"] = "text", ["text"] = apiError } },
                            },
                        });
                    }

                    // The real CLI writes "type" last in this line.
                    Emit(new Dictionary<string, object?>
                    {
                        ["duration_api_ms"] = 0, ["session_id"] = sessionId, ["total_cost_usd"] = 0m,
                        ["usage"] = new Dictionary<string, object?> { ["input_tokens"] = 0, ["output_tokens"] = 0 },
                        ["terminal_reason"] = "api_error", ["is_error"] = true, ["num_turns"] = 1, ["subtype"] = "success",
                        ["api_error_status"] = 429, ["api_error_type"] = "rate_limit_error", ["result"] = apiError, ["type"] = "result",
                    });
                    return 1;
                }

                case "note":
                    await api.NoteAsync(taskId, rest);
                    break;
                case "say-big":
                {
                    // Written by hand: the real CLI writes non-ASCII text as raw UTF-8, unescaped.
                    var (count, character) = Split(rest);
                    var text = new string(character[0], int.Parse(count, System.Globalization.CultureInfo.InvariantCulture) * 1024);
                    Raw(Encoding.UTF8.GetBytes(
                        $"{{\"type\":\"assistant\",\"session_id\":\"{sessionId}\",\"message\":{{\"role\":\"assistant\",\"content\":[{{\"type\":\"text\",\"text\":\"{text}\"}}]}}}}\n"));
                    break;
                }

                case "garbage":
                    Raw("{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"cut off\n"u8);
                    Raw([0xFF, 0xFE, 0x00, 0xC3, 0x28, 0xFF, (byte)'\n']);
                    Huge(20);
                    break;
                case "sleep-fresh" when resume:
                    break;
                case "sleep" or "sleep-fresh":
                    await Task.Delay(int.Parse(rest, System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case "hang":
                    await Task.Delay(Timeout.Infinite);
                    break;
                case "exit":
                    return int.Parse(rest, System.Globalization.CultureInfo.InvariantCulture);
                case "exit-fresh":
                    if (!resume)
                    {
                        return int.Parse(rest, System.Globalization.CultureInfo.InvariantCulture);
                    }

                    break;
            }
        }

        if (input is not null && resultLast)
        {
            // With stream-json input the real CLI does not exit after a result: each further message starts another turn,
            // until its stdin is closed.
            while (await input.NextAsync() is { } more)
            {
                await TakeMessageAsync(input, sessionId, more);
                Result(sessionId, isError: false);
            }
        }

        return 0;
    }

    private static async Task TakeMessagesAsync(StdinMessages? input, string? sessionId)
    {
        while (input?.TryTake() is { } message)
        {
            await TakeMessageAsync(input, sessionId, message);
        }
    }

    /// <summary>The model sees the message: its echo (with --replay-user-messages), a mark, and a reply the daemon relays.</summary>
    private static async Task TakeMessageAsync(StdinMessages input, string? sessionId, (string Text, string? Uuid) message)
    {
        if (input.Replay)
        {
            Emit(new Dictionary<string, object?>
            {
                ["type"] = "user", ["session_id"] = sessionId, ["parent_tool_use_id"] = null, ["uuid"] = message.Uuid, ["isReplay"] = true,
                ["message"] = new Dictionary<string, object?>
                {
                    ["role"] = "user", ["content"] = new object[] { new Dictionary<string, object?> { ["type"] = "text", ["text"] = message.Text } },
                },
            });
        }

        await MarkAsync("message-taken " + message.Text);
        var lastLine = message.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
        Assistant(sessionId, new Dictionary<string, object?> { ["type"] = "text", ["text"] = "Noted: " + lastLine.Trim() });
    }

    private static void Init(string? sessionId) => Emit(new Dictionary<string, object?>
    {
        ["type"] = "system", ["subtype"] = "init", ["session_id"] = sessionId, ["model"] = "fake-claude", ["cwd"] = Environment.CurrentDirectory,
    });

    private static void RateLimitEvent(string? sessionId, string status, string window, DateTimeOffset reset) => Emit(new Dictionary<string, object?>
    {
        ["type"] = "rate_limit_event", ["session_id"] = sessionId,
        ["rate_limit_info"] = new Dictionary<string, object?>
        {
            ["status"] = status, ["resetsAt"] = reset.ToUnixTimeSeconds(), ["rateLimitType"] = window, ["isUsingOverage"] = false,
        },
    });

    /// <summary>The steps of this invocation: <c>run N: STEP</c> only in the Nth, every other step in all of them.</summary>
    private static List<string> ForThisRun(List<string> script, int invocation)
    {
        var steps = new List<string>();
        foreach (var step in script)
        {
            if (!step.StartsWith("run ", StringComparison.Ordinal))
            {
                steps.Add(step);
                continue;
            }

            var colon = step.IndexOf(':', StringComparison.Ordinal);
            if (colon > 4 && int.Parse(step[4..colon], System.Globalization.CultureInfo.InvariantCulture) == invocation)
            {
                steps.Add(step[(colon + 1)..].Trim());
            }
        }

        return steps;
    }

    /// <summary>Which invocation for <paramref name="taskId"/> this is (1 = the first), from the log this process already wrote to.</summary>
    private static async Task<int> InvocationNumberAsync(string taskId)
    {
        if (Environment.GetEnvironmentVariable("FAKE_CLAUDE_LOG") is not { Length: > 0 } log || !File.Exists(log))
        {
            return 1;
        }

        var count = 0;
        using var turn = await LogTurnAsync(log);
        using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            using var entry = JsonDocument.Parse(line);
            if (entry.RootElement.TryGetProperty("ak_task_id", out var id) && id.GetString() == taskId)
            {
                count++;
            }
        }

        return Math.Max(count, 1);
    }

    private static (string Head, string Tail) Split(string text)
    {
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? (text, string.Empty) : (text[..space], text[(space + 1)..]);
    }

    private static void Assistant(string? sessionId, Dictionary<string, object?> block) => Emit(new Dictionary<string, object?>
    {
        ["type"] = "assistant", ["session_id"] = sessionId,
        ["message"] = new Dictionary<string, object?> { ["role"] = "assistant", ["content"] = new object[] { block } },
    });

    private static void Result(string? sessionId, bool isError) => Emit(new Dictionary<string, object?>
    {
        ["type"] = "result", ["subtype"] = isError ? "error_during_execution" : "success", ["is_error"] = isError, ["session_id"] = sessionId,
        ["num_turns"] = 1, ["duration_ms"] = 1000, ["total_cost_usd"] = 0.0125m, ["result"] = isError ? "rate limited" : "done",
        ["usage"] = new Dictionary<string, object?>
        {
            ["input_tokens"] = 100, ["output_tokens"] = 50, ["cache_read_input_tokens"] = 1000, ["cache_creation_input_tokens"] = 10,
        },
    });

    private static void Emit(Dictionary<string, object?> message)
    {
        var json = JsonSerializer.Serialize(message, FakeJson.Default.DictionaryStringObject);
        Raw(Encoding.UTF8.GetBytes(json + "\n"));
    }

    private static void Raw(ReadOnlySpan<byte> bytes)
    {
        Stdout.Write(bytes);
        Stdout.Flush();
    }

    private static void Huge(int megabytes)
    {
        var chunk = new byte[1024 * 1024];
        Array.Fill(chunk, (byte)'x');
        Raw("{\"type\":\"assistant\",\"pad\":\""u8);
        for (var i = 0; i < megabytes; i++)
        {
            Raw(chunk);
        }

        Raw("\"}\n"u8);
    }

    /// <summary>Field 22 of <c>/proc/self/stat</c> (starttime), or null when it cannot be read.</summary>
    private static long? StartTicks()
    {
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[19], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static async Task GitAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        await process.WaitForExitAsync();
    }

    /// <summary>Appends a named event of this process to the log (for tests that need to know what an agent got to).</summary>
    private static async Task MarkAsync(string what)
    {
        if (Environment.GetEnvironmentVariable("FAKE_CLAUDE_LOG") is not { Length: > 0 } log)
        {
            return;
        }

        var line = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["mark"] = what, ["pid"] = Environment.ProcessId, ["at"] = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds(),
            ["ak_task_id"] = Environment.GetEnvironmentVariable("AK_TASK_ID"),
        }, FakeJson.Default.DictionaryStringObject) + "\n";
        await AppendAsync(log + ".marks", line);
    }

    private static FileStream? TryLockTask(string? taskId, out bool concurrent)
    {
        concurrent = false;
        if (taskId is null || Environment.GetEnvironmentVariable("FAKE_CLAUDE_LOG") is not { Length: > 0 } log)
        {
            return null;
        }

        try
        {
            // FileShare.None is an advisory lock on Unix, released by the kernel when the process dies (even by SIGKILL).
            return new FileStream(log + "." + taskId + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            concurrent = true;
            return null;
        }
    }

    private static async Task LogInvocationAsync(string? sessionId, bool resume, string? prompt, string? systemPrompt, string[] args, bool concurrent)
    {
        if (Environment.GetEnvironmentVariable("FAKE_CLAUDE_LOG") is not { Length: > 0 } log)
        {
            return;
        }

        var entry = new Dictionary<string, object?>
        {
            ["at"] = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds(),
            ["pid"] = Environment.ProcessId,
            // In the agent sandbox the pid above is the one inside its PID namespace; with the namespace the test finds the process.
            ["pid_ns"] = new FileInfo("/proc/self/ns/pid").LinkTarget,
            // Its start time (clock ticks since boot, the same inside and outside the namespace): a namespace's inode number
            // is reused once it is gone, so (namespace, pid) alone may name a later agent; with this it names only this one.
            ["start_ticks"] = StartTicks(),
            ["provider_session_id"] = sessionId,
            ["resume"] = resume,
            ["concurrent"] = concurrent,
            ["prompt"] = prompt,
            ["has_system_prompt"] = !string.IsNullOrEmpty(systemPrompt),
            ["ak_session_id"] = Environment.GetEnvironmentVariable("AK_SESSION_ID"),
            ["ak_task_id"] = Environment.GetEnvironmentVariable("AK_TASK_ID"),
            ["ak_epoch"] = Environment.GetEnvironmentVariable("AK_EPOCH"),
            ["ak_server"] = Environment.GetEnvironmentVariable("AK_SERVER"),
            ["has_ak_token"] = Environment.GetEnvironmentVariable("AK_TOKEN") is not null,
            ["path"] = Environment.GetEnvironmentVariable("PATH"),
            ["cwd"] = Environment.CurrentDirectory,
            ["args"] = string.Join(' ', args.Where(a => a.StartsWith("--", StringComparison.Ordinal))),
        };
        var line = JsonSerializer.Serialize(entry, FakeJson.Default.DictionaryStringObject) + "\n";
        await AppendAsync(log, line);
    }

    /// <summary>
    /// Appends under the log's lock. FileMode.Append writes at the end the file had when it was opened (no O_APPEND), so
    /// two agents appending at once would write over each other and leave the tail of one line as a line of its own.
    /// </summary>
    private static async Task AppendAsync(string path, string line)
    {
        using var turn = await LogTurnAsync(path);
        await using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(line));
    }

    /// <summary>Takes the log's lock (an exclusive lock on a file beside it, released when disposed, or when the process dies).</summary>
    private static async Task<FileStream> LogTurnAsync(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path + ".append-lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 6000)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(5), TimeProvider.System);
            }
        }
    }

    /// <summary>
    /// Stream-json user messages on stdin, read by a background task: each one is marked (<c>message-received TEXT</c>)
    /// the moment it arrives, and taken in by the script between steps.
    /// </summary>
    private sealed class StdinMessages
    {
        private readonly System.Threading.Channels.Channel<(string Text, string? Uuid)> _lines =
            System.Threading.Channels.Channel.CreateUnbounded<(string Text, string? Uuid)>();

        public StdinMessages(bool replay)
        {
            Replay = replay;
            _ = Task.Run(ReadAsync);
        }

        public bool Replay { get; }

        public async Task<string?> FirstAsync() =>
            await _lines.Reader.WaitToReadAsync() && _lines.Reader.TryRead(out var first) ? first.Text : null;

        public (string Text, string? Uuid)? TryTake() => _lines.Reader.TryRead(out var message) ? message : null;

        public async Task WaitForOneAsync(TimeSpan patience)
        {
            using var timeout = new CancellationTokenSource(patience);
            try
            {
                await _lines.Reader.WaitToReadAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // Nothing came: the script goes on.
            }
        }

        /// <summary>The next message, or null at the end of stdin.</summary>
        public async Task<(string Text, string? Uuid)?> NextAsync() =>
            await _lines.Reader.WaitToReadAsync() && _lines.Reader.TryRead(out var message) ? message : null;

        private async Task ReadAsync()
        {
            using var reader = new StreamReader(Console.OpenStandardInput(), Encoding.UTF8);
            var first = true;
            while (await reader.ReadLineAsync() is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }

                using var json = JsonDocument.Parse(line);
                var root = json.RootElement;
                var text = root.GetProperty("message").GetProperty("content")[0].GetProperty("text").GetString() ?? "";
                var uuid = root.TryGetProperty("uuid", out var u) ? u.GetString() : null;
                if (!first)
                {
                    await MarkAsync("message-received " + text);
                }

                first = false;
                await _lines.Writer.WriteAsync((text, uuid));
            }

            _lines.Writer.TryComplete();
        }
    }

    /// <summary>The board API as the agent session (a fresh ES256 token per request).</summary>
    private sealed class SessionApi(HttpClient http, string audience, string sessionId, string key)
    {
        public async Task<TaskDto> GetTaskAsync(string taskId)
        {
            using var request = Request(HttpMethod.Get, $"api/tasks/{taskId}");
            using var response = await http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            return JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), ContractsJsonContext.Default.TaskDto)!;
        }

        public async Task NoteAsync(string taskId, string text)
        {
            using var request = Request(HttpMethod.Post, $"api/tasks/{taskId}/notes");
            request.Content = new StringContent(JsonSerializer.Serialize(new NoteRequest(text), ContractsJsonContext.Default.NoteRequest), Encoding.UTF8, "application/json");
            using var response = await http.SendAsync(request);
            response.EnsureSuccessStatusCode();
        }

        public async Task TransitionAsync(string taskId, string action, bool tolerateConflict, string? prUrl = null)
        {
            // Like an agent retrying `ak task review` while the server is down: up to two minutes.
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    await TransitionOnceAsync(taskId, action, tolerateConflict, prUrl);
                    return;
                }
                catch (HttpRequestException) when (attempt < 120)
                {
                    await Task.Delay(1000);
                }
            }
        }

        private async Task TransitionOnceAsync(string taskId, string action, bool tolerateConflict, string? prUrl)
        {
            using var request = Request(HttpMethod.Post, $"api/tasks/{taskId}/{action}");
            var body = prUrl is null ? "{}" : JsonSerializer.Serialize(new Dictionary<string, object?> { ["pr_url"] = prUrl }, FakeJson.Default.DictionaryStringObject);
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await http.SendAsync(request);
            if ((int)response.StatusCode >= 500)
            {
                throw new HttpRequestException($"{action}: server answered {(int)response.StatusCode}");
            }

            if (response.IsSuccessStatusCode || (tolerateConflict && response.StatusCode == System.Net.HttpStatusCode.Conflict))
            {
                return;
            }

            var answer = await response.Content.ReadAsStringAsync();
            await Console.Error.WriteLineAsync($"fake-claude: {action} failed: {(int)response.StatusCode} {answer}");
            throw new InvalidOperationException($"{action} failed: {(int)response.StatusCode} {answer}");
        }

        private HttpRequestMessage Request(HttpMethod method, string path)
        {
            var request = new HttpRequestMessage(method, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SessionToken.Create(sessionId, audience, key, TimeProvider.System.GetUtcNow()));
            return request;
        }
    }
}
