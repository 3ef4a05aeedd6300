using System.Text;
using System.Text.Json;
using AgentKanban.Agents.Parsing;
using AgentKanban.Agents.Runtimes;
using AgentKanban.Core.Events;
using AgentKanban.Core.Policies;

namespace AgentKanban.Agents.Acp;

/// <summary>Where an ACP run stands.</summary>
public enum AcpPhase
{
    /// <summary>Nothing sent yet.</summary>
    NotStarted,
    /// <summary><c>initialize</c> sent, waiting for the agent's capabilities.</summary>
    Initializing,
    /// <summary><c>authenticate</c> sent.</summary>
    Authenticating,
    /// <summary><c>session/new</c>, <c>session/resume</c> or <c>session/load</c> sent.</summary>
    OpeningSession,
    /// <summary><c>session/prompt</c> sent: the agent works; its updates are the run's events.</summary>
    Prompting,
    /// <summary>The turn ended (or the run failed): the agent is to be stopped.</summary>
    Done,
}

/// <summary>
/// The client side of one ACP run, without any I/O: fed the agent's stdout lines, it answers with the lines to write to
/// the agent's stdin and with the run's events. The flow: <c>initialize</c> → <c>authenticate</c> when the agent offers a
/// method that needs nobody (an API key from the environment) → <c>session/new</c>, or for a resume <c>session/resume</c>
/// (when the agent has <c>sessionCapabilities.resume</c>), else <c>session/load</c> (when <c>loadSession</c>), else the
/// conversation counts as not found → <c>session/prompt</c> → its result is the turn's end, followed by another prompt for
/// each message queued meanwhile (live input, <see cref="TryQueue"/>), else the end of the run. The agent's requests are
/// answered: <c>session/request_permission</c> with its allow option, anything else with "method not found".
/// One instance per run; not thread-safe.
/// </summary>
public sealed partial class AcpConversation
{
    /// <summary>JSON-RPC "method not found".</summary>
    public const int MethodNotFound = -32601;

    private readonly string _workingDirectory;
    private readonly string _prompt;
    private readonly string? _resumeToken;
    private readonly IReadOnlyDictionary<string, string?> _environment;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Queue<AgentInputMessage> _queued = new();
    private long _nextId;
    private long _pendingId = -1;
    private string? _sessionId;
    private bool _canResume;
    private bool _canLoad;
    private bool _canClose;
    private string? _authMethod;
    private bool _replay;

    /// <param name="workingDirectory">The session's working directory (<c>cwd</c> of the session).</param>
    /// <param name="prompt">The text of the one prompt.</param>
    /// <param name="resumeToken">The agent's session id to continue, or null for a new conversation.</param>
    /// <param name="environment">The agent's environment, to tell which authentication method can work unattended.</param>
    /// <param name="timeProvider">The clock a printed reset time ("resets 6pm") is read against.</param>
    public AcpConversation(string workingDirectory, string prompt, string? resumeToken, IReadOnlyDictionary<string, string?> environment, TimeProvider timeProvider)
    {
        _time = timeProvider;
        _workingDirectory = workingDirectory;
        _prompt = prompt;
        _resumeToken = resumeToken;
        _environment = environment;
    }

    /// <summary>
    /// A conversation that reads a recorded agent stdout on its own (<see cref="AcpTranscriptParser"/>): it sends nothing
    /// that matters, takes every session it sees, and each prompt result ends a turn after which it reads on.
    /// </summary>
    public static AcpConversation Replaying(TimeProvider timeProvider) =>
        new(string.Empty, string.Empty, null, new Dictionary<string, string?>(), timeProvider) { _replay = true, Phase = AcpPhase.Prompting };

    public AcpPhase Phase { get; private set; }

    /// <summary>The run is over (its turn ended, or it failed): close the agent's input and stop it.</summary>
    public bool Finished => Phase == AcpPhase.Done;

    /// <summary>The run ended on a failure (an error, a refusal, a timeout) rather than a completed turn.</summary>
    public bool Failed { get; private set; }

    /// <summary>The agent's session id once known: the resume token.</summary>
    public string? SessionId => _sessionId;

    /// <summary>What the run is waiting for, for a timeout's report.</summary>
    public string Awaiting => Phase switch
    {
        AcpPhase.Initializing => "initialize",
        AcpPhase.Authenticating => "authenticate",
        AcpPhase.OpeningSession => _resumeToken is null ? "session/new" : "its session to open",
        AcpPhase.Prompting => "session/prompt",
        _ => "nothing",
    };

    /// <summary>
    /// Once the run is over: <c>session/close</c> for an agent that offers it, so it winds the session down (and its
    /// conversation is written out) before it is stopped; null when there is no session or the agent cannot close one.
    /// </summary>
    public byte[]? CloseSession() =>
        Finished && _canClose && _sessionId is { } id ? AcpMessages.CloseSession(++_nextId, id) : null;

    /// <summary>
    /// Live input: a person's message for the agent, sent as the next <c>session/prompt</c> once the current one has
    /// ended (reported then as <see cref="InputAccepted"/>). False once the run is over: the message waits for the next
    /// launch. Safe to call from another thread than the one feeding <see cref="Receive"/>.
    /// </summary>
    public bool TryQueue(AgentInputMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        lock (_gate)
        {
            if (Finished)
            {
                return false;
            }

            _queued.Enqueue(message);
            return true;
        }
    }

    /// <summary>The first message: <c>initialize</c>.</summary>
    public void Begin(List<byte[]> outgoing)
    {
        ArgumentNullException.ThrowIfNull(outgoing);
        Phase = AcpPhase.Initializing;
        outgoing.Add(AcpMessages.Initialize(Send()));
    }

    /// <summary>
    /// One line of the agent's stdout: appends the events it causes and the lines to write back. Never throws for bad
    /// input; a line that cannot be understood comes back skipped.
    /// </summary>
    public LineParseResult Receive(ReadOnlySpan<byte> line, List<AgentEvent> events, List<byte[]> outgoing)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(outgoing);
        line = line.Trim(" \t\r\n"u8);
        if (line.IsEmpty)
        {
            return LineParseResult.Ignore(LineReason.Blank);
        }

        if (line[0] != (byte)'{')
        {
            return LineParseResult.Skip(LineReason.NotAnObject);
        }

        var eventMark = events.Count;
        var outMark = outgoing.Count;
        var state = Save();
        try
        {
            var message = AcpJsonRpc.Read(line);
            var result = message.IsResponse ? OnResponse(message, events, outgoing)
                : message.IsRequest ? OnRequest(message, outgoing)
                : message.IsNotification ? OnNotification(message, events)
                : LineParseResult.Skip(LineReason.MissingType, "neither a request, a response nor a notification");
            return result.Outcome == LineOutcome.Ignored && events.Count > eventMark ? LineParseResult.Produced(events.Count - eventMark) : result;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or FormatException)
        {
            events.RemoveRange(eventMark, events.Count - eventMark);
            outgoing.RemoveRange(outMark, outgoing.Count - outMark);
            Restore(state);
            return LineParseResult.Skip(LineReason.Malformed, e.Message);
        }
    }

    /// <summary>The agent did not answer in time: the run fails with a transient error (a hung agent is retried later).</summary>
    public void TimedOut(TimeSpan after, List<AgentEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (Finished)
        {
            return;
        }

        events.Add(new AgentError("timeout", $"the ACP agent did not answer {Awaiting} within {after.TotalSeconds:0} s", false));
        Fail();
    }

    private long Send()
    {
        _pendingId = ++_nextId;
        return _pendingId;
    }

    private void Fail()
    {
        lock (_gate)
        {
            // Messages queued for a later prompt were never taken: they go with the next launch.
            Failed = true;
            Phase = AcpPhase.Done;
            _pendingId = -1;
            _queued.Clear();
        }
    }

    private static LineParseResult OnRequest(in AcpJsonRpc message, List<byte[]> outgoing)
    {
        var id = message.Id.Span(message.Line);
        if (message.MethodIs("session/request_permission"u8))
        {
            outgoing.Add(AcpMessages.PermissionAnswer(id, AllowOption(message)));
            return LineParseResult.Ignore(LineReason.NothingToReport);
        }

        // No file system, no terminal, nothing else offered: the agent falls back to its own tools.
        outgoing.Add(AcpMessages.ErrorAnswer(id, MethodNotFound, "Method not found"));
        return LineParseResult.Ignore(LineReason.NothingToReport);
    }

    /// <summary>The option that allows the call (once in preference, else always); null when none does.</summary>
    private static string? AllowOption(in AcpJsonRpc message)
    {
        if (!message.Params.HasValue)
        {
            return null;
        }

        var span = message.Params.Span(message.Line);
        var reader = new Utf8JsonReader(span, AcpJsonRpc.ReaderOptions);
        reader.Read();
        string? once = null, always = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals("options"u8))
            {
                reader.Read();
                reader.Skip();
                continue;
            }

            reader.Read();
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                reader.Skip();
                continue;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                string? optionId = null, kind = null;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("optionId"u8))
                    {
                        reader.Read();
                        optionId = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    }
                    else if (reader.ValueTextEquals("kind"u8))
                    {
                        reader.Read();
                        kind = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    }
                    else
                    {
                        reader.Read();
                        reader.Skip();
                    }
                }

                if (kind == "allow_once")
                {
                    once ??= optionId;
                }
                else if (kind == "allow_always")
                {
                    always ??= optionId;
                }
            }
        }

        return once ?? always;
    }

    private LineParseResult OnResponse(in AcpJsonRpc message, List<AgentEvent> events, List<byte[]> outgoing)
    {
        if (_replay)
        {
            return OnReplayedResponse(message, events, outgoing);
        }

        var id = message.NumericId();
        if (id < 0 || id != _pendingId)
        {
            return LineParseResult.Ignore(LineReason.NothingToReport);
        }

        _pendingId = -1;
        var error = message.Error.HasValue ? ReadError(message) : null;
        switch (Phase)
        {
            case AcpPhase.Initializing:
                if (error is { } initError)
                {
                    events.Add(new AgentError("acp_error", $"initialize failed: {initError.Message}", false));
                    Fail();
                    break;
                }

                ReadCapabilities(message);
                if (_authMethod is { } method)
                {
                    Phase = AcpPhase.Authenticating;
                    outgoing.Add(AcpMessages.Authenticate(Send(), method));
                }
                else
                {
                    OpenSession(events, outgoing);
                }

                break;
            case AcpPhase.Authenticating:
                if (error is { } authError)
                {
                    events.Add(new AgentError("authentication_failed", $"authenticate failed: {authError.Message}", false));
                    Fail();
                    break;
                }

                OpenSession(events, outgoing);
                break;
            case AcpPhase.OpeningSession:
                if (error is { } openError)
                {
                    if (_resumeToken is not null)
                    {
                        // The agent no longer has (or never had) the conversation: the daemon starts afresh, once.
                        events.Add(new AgentError(ProviderErrors.ConversationNotFound, $"the agent could not reopen session {_resumeToken}: {openError.Message}", false));
                    }
                    else
                    {
                        events.Add(AcpErrors.FromError(openError.Code, $"session/new failed: {openError.Message}", openError.Data, _time.GetUtcNow()));
                    }

                    Fail();
                    break;
                }

                _sessionId = _resumeToken ?? ReadSessionId(message);
                if (_sessionId is null)
                {
                    events.Add(new AgentError("acp_error", "session/new returned no sessionId", false));
                    Fail();
                    break;
                }

                events.Add(new SessionInitialized(_sessionId, null, _workingDirectory));
                Phase = AcpPhase.Prompting;
                outgoing.Add(AcpMessages.Prompt(Send(), _sessionId, _prompt));
                break;
            case AcpPhase.Prompting:
                EndTurn(message, error, events, outgoing);
                break;
        }

        return LineParseResult.Ignore(LineReason.NothingToReport);
    }

    private LineParseResult OnReplayedResponse(in AcpJsonRpc message, List<AgentEvent> events, List<byte[]> outgoing)
    {
        if (message.Error.HasValue || ReadPromptResult(message).StopReason is not null)
        {
            EndTurn(message, message.Error.HasValue ? ReadError(message) : null, events, outgoing);
        }
        else if (ReadSessionId(message) is { } sessionId)
        {
            _sessionId = sessionId;
            events.Add(new SessionInitialized(sessionId, null, null));
        }

        lock (_gate)
        {
            Phase = AcpPhase.Prompting;
            Failed = false;
        }

        return LineParseResult.Ignore(LineReason.NothingToReport);
    }

    private void OpenSession(List<AgentEvent> events, List<byte[]> outgoing)
    {
        Phase = AcpPhase.OpeningSession;
        if (_resumeToken is null)
        {
            outgoing.Add(AcpMessages.NewSession(Send(), _workingDirectory));
        }
        else if (_canResume || _canLoad)
        {
            // session/resume continues without replaying the history; session/load replays it as updates (ignored here).
            outgoing.Add(AcpMessages.OpenSession(Send(), _canResume ? "session/resume" : "session/load", _resumeToken, _workingDirectory));
        }
        else
        {
            events.Add(new AgentError(ProviderErrors.ConversationNotFound, "the ACP agent can neither resume nor load a session", false));
            Fail();
        }
    }

    private void ReadCapabilities(in AcpJsonRpc message)
    {
        if (!message.Result.HasValue)
        {
            return;
        }

        var span = message.Result.Span(message.Line);
        var reader = new Utf8JsonReader(span, AcpJsonRpc.ReaderOptions);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("agentCapabilities"u8))
            {
                reader.Read();
                ReadAgentCapabilities(ref reader);
            }
            else if (reader.ValueTextEquals("authMethods"u8))
            {
                reader.Read();
                ReadAuthMethods(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private void ReadAgentCapabilities(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("loadSession"u8))
            {
                reader.Read();
                _canLoad = reader.TokenType == JsonTokenType.True;
            }
            else if (reader.ValueTextEquals("sessionCapabilities"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isResume = reader.ValueTextEquals("resume"u8);
                    var isClose = reader.ValueTextEquals("close"u8);
                    reader.Read();
                    // Present as an object (possibly empty) means supported; null or false means not.
                    var supported = reader.TokenType is JsonTokenType.StartObject or JsonTokenType.True;
                    _canResume |= isResume && supported;
                    _canClose |= isClose && supported;
                    reader.Skip();
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    /// <summary>
    /// Picks a method that needs nobody at the keyboard: one that reads an API key from the environment, and only when
    /// that key is set (Gemini's <c>gemini-api-key</c> with <c>GEMINI_API_KEY</c>, say). Methods that open a browser or a
    /// terminal are never chosen; an agent that is logged in already needs none.
    /// </summary>
    private void ReadAuthMethods(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            string? id = null, type = null, variable = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    id = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    type = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("varName"u8))
                {
                    reader.Read();
                    variable = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (_authMethod is null && id is not null && UnattendedKey(id, type, variable) is { } key && HasVariable(key))
            {
                _authMethod = id;
            }
        }
    }

    /// <summary>The environment variable an unattended method reads, or null for a method that needs a person.</summary>
    private static string? UnattendedKey(string id, string? type, string? variable)
    {
        if (type == "env_var" && variable is not null)
        {
            return variable;
        }

        return id switch
        {
            "gemini-api-key" => "GEMINI_API_KEY",
            "openai-api-key" => "OPENAI_API_KEY",
            "codex-api-key" => "CODEX_API_KEY",
            "anthropic-api-key" => "ANTHROPIC_API_KEY",
            _ => null,
        };
    }

    private bool HasVariable(string name) => _environment.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value);

    private static string? ReadSessionId(in AcpJsonRpc message)
    {
        if (!message.Result.HasValue)
        {
            return null;
        }

        var span = message.Result.Span(message.Line);
        var reader = new Utf8JsonReader(span, AcpJsonRpc.ReaderOptions);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isSessionId = reader.ValueTextEquals("sessionId"u8);
            reader.Read();
            if (isSessionId && reader.TokenType == JsonTokenType.String)
            {
                return reader.GetString();
            }

            reader.Skip();
        }

        return null;
    }

    /// <summary>A JSON-RPC error: its code, message and data (as raw JSON, null when absent).</summary>
    private sealed record RpcError(int Code, string Message, string? Data);

    private static RpcError ReadError(in AcpJsonRpc message)
    {
        var span = message.Error.Span(message.Line);
        var reader = new Utf8JsonReader(span, AcpJsonRpc.ReaderOptions);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return new RpcError(0, Encoding.UTF8.GetString(span), null);
        }

        var code = 0;
        string? text = null, data = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("code"u8))
            {
                reader.Read();
                code = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var c) ? c : 0;
            }
            else if (reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                var isNull = reader.TokenType == JsonTokenType.Null;
                reader.Skip();
                data = isNull ? null : Encoding.UTF8.GetString(span[start..(int)reader.BytesConsumed]);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new RpcError(code, text ?? "(no message)", data);
    }

    private readonly record struct SavedState(AcpPhase Phase, long PendingId, long NextId, string? SessionId, bool Failed, bool TurnOpen, int MessageLength, int ThoughtLength);

    private SavedState Save() => new(Phase, _pendingId, _nextId, _sessionId, Failed, _turnOpen, _message.Length, _thought.Length);

    private void Restore(SavedState state)
    {
        Phase = state.Phase;
        _pendingId = state.PendingId;
        _nextId = state.NextId;
        _sessionId = state.SessionId;
        Failed = state.Failed;
        _turnOpen = state.TurnOpen;
        _message.Length = Math.Min(_message.Length, state.MessageLength);
        _thought.Length = Math.Min(_thought.Length, state.ThoughtLength);
    }
}
