namespace AgentKanban.IntegrationTests.FakeGemini;

/// <summary>
/// What the fake Gemini model answers for one task, step by step. The step is the number of model turns already in the
/// conversation the CLI sends, so a resumed run (which re-sends the conversation) continues where it stopped, and a call
/// refused by a quota (which leaves no model turn) is asked again as the same step.
/// </summary>
public sealed class GeminiScript(params GeminiReply[] steps)
{
    private readonly Lock _gate = new();
    private readonly List<RecordedGeminiRequest> _calls = [];
    private int _refusedCall = -1;
    private GeminiReply? _refusal;

    /// <summary>The model call numbered <paramref name="call"/> (0 = the first) is answered with <paramref name="refusal"/>, once.</summary>
    public GeminiScript RefuseCall(int call, GeminiReply refusal)
    {
        _refusedCall = call;
        _refusal = refusal;
        return this;
    }

    /// <summary>When the refused call arrived, once it did.</summary>
    public DateTimeOffset? RefusedAt { get; private set; }

    public GeminiReply Next(RecordedGeminiRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_gate)
        {
            _calls.Add(request);
            if (_refusal is { } refusal && _calls.Count == _refusedCall + 1)
            {
                _refusal = null;
                RefusedAt = request.ReceivedAt;
                return refusal;
            }

            var step = request.ModelTurns;
            // Past the script the model just ends the turn, so a run that outlives its script still finishes.
            return step < steps.Length ? steps[step] : GeminiReply.Text("Nothing left to do.");
        }
    }

    /// <summary>Every model call routed to this script, in arrival order.</summary>
    public IReadOnlyList<RecordedGeminiRequest> Calls()
    {
        lock (_gate)
        {
            return [.. _calls];
        }
    }
}
