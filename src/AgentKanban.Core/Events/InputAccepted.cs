namespace AgentKanban.Core.Events;

/// <summary>
/// The runtime took a message written to its input into the conversation (Claude Code's echo of a stream-json user
/// message under <c>--replay-user-messages</c>): from here on the model sees it. <paramref name="MessageId"/> is the id
/// the message was written with (null when it carried none).
/// </summary>
public sealed record InputAccepted(string? MessageId) : AgentEvent;
