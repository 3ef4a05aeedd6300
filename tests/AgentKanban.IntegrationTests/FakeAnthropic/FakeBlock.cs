using System.Text.Json.Nodes;

namespace AgentKanban.IntegrationTests.FakeAnthropic;

/// <summary>One content block of a scripted assistant message.</summary>
public abstract record FakeBlock;

/// <summary>A text block, streamed as <c>text_delta</c>.</summary>
public sealed record FakeTextBlock(string Text) : FakeBlock;

/// <summary>
/// A thinking block, streamed as <c>thinking_delta</c> plus a <c>signature_delta</c>
/// (the CLI keeps the signature and sends the block back on the next turn).
/// </summary>
public sealed record FakeThinkingBlock(string Thinking) : FakeBlock;

/// <summary>A tool call, streamed as <c>input_json_delta</c> fragments of <paramref name="Input"/>.</summary>
public sealed record FakeToolUseBlock(string Id, string Name, JsonObject Input) : FakeBlock;
