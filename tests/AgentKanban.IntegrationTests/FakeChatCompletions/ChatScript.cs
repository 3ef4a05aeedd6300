namespace AgentKanban.IntegrationTests.FakeChatCompletions;

/// <summary>
/// What the fake model answers for one task, step by step. The step is the number of assistant turns in the
/// conversation the CLI sends, so a resumed run (which sends the conversation again) continues where it stopped, and a
/// refused call (which leaves no assistant turn) is asked again as the same step.
/// </summary>
public sealed class ChatScript(params ChatReply[] steps)
{
    private readonly Lock _gate = new();
    private readonly List<ChatRequest> _calls = [];
    private int _refusalsLeft;

    /// <summary>
    /// The first <paramref name="calls"/> calls of this task get a 429 with <c>retry-after: 0</c> (the CLI's first try
    /// and its five retries make six: one refused run).
    /// </summary>
    public ChatScript RefuseFirstCalls(int calls = 6)
    {
        _refusalsLeft = calls;
        return this;
    }

    public ChatReply Next(ChatRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_gate)
        {
            _calls.Add(request);
            if (_refusalsLeft > 0)
            {
                _refusalsLeft--;
                return ChatReply.RateLimited(0);
            }

            var step = request.AssistantTurns;
            // Past the script the model just ends the turn, so a run that outlives its script still finishes.
            return step < steps.Length ? steps[step] : ChatReply.Text("Nothing left to do.");
        }
    }

    /// <summary>Every call routed to this script, in arrival order.</summary>
    public IReadOnlyList<ChatRequest> Calls()
    {
        lock (_gate)
        {
            return [.. _calls];
        }
    }
}
