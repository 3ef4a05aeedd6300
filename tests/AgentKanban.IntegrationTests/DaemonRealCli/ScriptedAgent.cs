using System.Text.Json.Nodes;
using AgentKanban.IntegrationTests.FakeAnthropic;

namespace AgentKanban.IntegrationTests.DaemonRealCli;

/// <summary>
/// What the fake model answers for one task, step by step. The step is the number of assistant turns already in the
/// conversation the CLI sends, so a resumed run (which replays the conversation) continues where it stopped, and a
/// call rejected by a rate limit (which leaves no assistant turn) is asked again as the same step.
/// </summary>
public sealed class ScriptedAgent
{
    private readonly Lock _gate = new();
    private readonly FakeReply[] _steps;
    private readonly List<RecordedRequest> _calls = [];
    private TimeSpan? _rateLimitWindow;
    private int _rateLimitedCall;
    private DateTimeOffset? _resetAt;

    public ScriptedAgent(params FakeReply[] steps)
    {
        _steps = steps;
    }

    /// <summary>A model turn that says <paramref name="text"/> (when given) and runs <paramref name="command"/> with the Bash tool.</summary>
    public static FakeMessageReply Bash(string? text, string command)
    {
        var toolUse = new FakeToolUseBlock("toolu_" + Guid.NewGuid().ToString("N")[..20], "Bash", new JsonObject { ["command"] = command });
        return text is null ? FakeReply.Message(toolUse) : FakeReply.Message(new FakeTextBlock(text), toolUse);
    }

    /// <summary>
    /// The first model call of this task is answered with a 429 subscription rate limit that resets
    /// <paramref name="window"/> after the call arrives (whole seconds, like the headers), once. Timing the window from
    /// the call, not from the test's start, keeps a slow CLI start-up from eating into it.
    /// </summary>
    public ScriptedAgent RejectFirstCallWithRateLimit(TimeSpan window) => RejectCallWithRateLimit(0, window);

    /// <summary>Like <see cref="RejectFirstCallWithRateLimit"/>, for the model call numbered <paramref name="call"/> (0 = the first).</summary>
    public ScriptedAgent RejectCallWithRateLimit(int call, TimeSpan window)
    {
        _rateLimitedCall = call;
        _rateLimitWindow = window;
        return this;
    }

    /// <summary>The reset instant the rejected call announced, once it was rejected.</summary>
    public DateTimeOffset? ResetAt
    {
        get
        {
            lock (_gate)
            {
                return _resetAt;
            }
        }
    }

    public FakeReply Next(RecordedRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_gate)
        {
            _calls.Add(request);
            if (_rateLimitWindow is { } window && _calls.Count == _rateLimitedCall + 1)
            {
                _rateLimitWindow = null;
                _resetAt = DateTimeOffset.FromUnixTimeSeconds((request.ReceivedAt + window).ToUnixTimeSeconds());
                return FakeReply.RateLimited(_resetAt.Value);
            }

            var step = request.Messages.Count(m => m.Role == "assistant");
            // Past the script the model just ends the turn, so a run that outlives its script still finishes.
            return step < _steps.Length ? _steps[step] : FakeReply.Text("Nothing left to do.");
        }
    }

    /// <summary>Every model call routed to this script, in arrival order.</summary>
    public IReadOnlyList<RecordedRequest> Calls()
    {
        lock (_gate)
        {
            return _calls.ToList();
        }
    }
}
