namespace AgentKanban.Core.Events;

/// <summary>
/// A finished piece of an agent message. <see cref="ParentToolUseId"/> is set when the block
/// belongs to a sub-task (the tool call that started a sub-agent), null for the main conversation.
/// </summary>
public abstract record ContentBlock(string? ParentToolUseId) : AgentEvent;

/// <summary>Text the agent wrote to the user; the daemon posts it to the task as an agent message.</summary>
public sealed record TextBlock(string Text, string? ParentToolUseId = null) : ContentBlock(ParentToolUseId);

/// <summary>The agent's visible reasoning.</summary>
public sealed record ThinkingBlock(string Text, string? ParentToolUseId = null) : ContentBlock(ParentToolUseId);

/// <summary>The agent calls a tool. <see cref="InputJson"/> is the tool's input object as raw JSON text.</summary>
public sealed record ToolUseBlock(string Id, string Name, string InputJson, string? ParentToolUseId = null)
    : ContentBlock(ParentToolUseId);

/// <summary>What a tool call returned. Structured results are flattened to their text parts.</summary>
public sealed record ToolResultBlock(string ToolUseId, string Output, bool IsError, string? ParentToolUseId = null)
    : ContentBlock(ParentToolUseId);
