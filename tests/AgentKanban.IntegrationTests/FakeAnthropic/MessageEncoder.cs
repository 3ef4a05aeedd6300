using System.Text.Json.Nodes;

namespace AgentKanban.IntegrationTests.FakeAnthropic;

/// <summary>
/// Turns a scripted reply into the Messages API wire format: the SSE event sequence for streaming
/// requests (<c>message_start</c>, per block <c>content_block_start</c>/<c>_delta</c>/<c>_stop</c>,
/// <c>message_delta</c> with stop reason and output usage, <c>message_stop</c>) or one JSON message.
/// </summary>
internal static class MessageEncoder
{
    // Tool input is streamed in small fragments, as the real API does, so the CLI's
    // partial-JSON accumulation is exercised rather than a single delta.
    private const int InputFragmentLength = 16;

    public static IEnumerable<JsonObject> StreamEvents(FakeMessageReply reply, string messageId, string model)
    {
        yield return new JsonObject
        {
            ["type"] = "message_start",
            ["message"] = new JsonObject
            {
                ["id"] = messageId,
                ["type"] = "message",
                ["role"] = "assistant",
                ["model"] = model,
                ["content"] = new JsonArray(),
                ["stop_reason"] = null,
                ["stop_sequence"] = null,
                ["usage"] = new JsonObject
                {
                    ["input_tokens"] = reply.Usage.InputTokens,
                    ["cache_creation_input_tokens"] = reply.Usage.CacheCreationInputTokens,
                    ["cache_read_input_tokens"] = reply.Usage.CacheReadInputTokens,
                    ["output_tokens"] = 1,
                },
            },
        };

        for (var index = 0; index < reply.Blocks.Count; index++)
        {
            var block = reply.Blocks[index];
            yield return new JsonObject { ["type"] = "content_block_start", ["index"] = index, ["content_block"] = EmptyBlock(block) };
            foreach (var delta in Deltas(block))
            {
                yield return new JsonObject { ["type"] = "content_block_delta", ["index"] = index, ["delta"] = delta };
            }

            yield return new JsonObject { ["type"] = "content_block_stop", ["index"] = index };
        }

        yield return new JsonObject
        {
            ["type"] = "message_delta",
            ["delta"] = new JsonObject { ["stop_reason"] = reply.StopReason, ["stop_sequence"] = null },
            ["usage"] = new JsonObject { ["output_tokens"] = reply.Usage.OutputTokens },
        };
        yield return new JsonObject { ["type"] = "message_stop" };
    }

    public static JsonObject WholeMessage(FakeMessageReply reply, string messageId, string model) => new()
    {
        ["id"] = messageId,
        ["type"] = "message",
        ["role"] = "assistant",
        ["model"] = model,
        ["content"] = new JsonArray(reply.Blocks.Select(FullBlock).ToArray<JsonNode?>()),
        ["stop_reason"] = reply.StopReason,
        ["stop_sequence"] = null,
        ["usage"] = new JsonObject
        {
            ["input_tokens"] = reply.Usage.InputTokens,
            ["cache_creation_input_tokens"] = reply.Usage.CacheCreationInputTokens,
            ["cache_read_input_tokens"] = reply.Usage.CacheReadInputTokens,
            ["output_tokens"] = reply.Usage.OutputTokens,
        },
    };

    public static JsonObject ErrorBody(string errorType, string message) => new()
    {
        ["type"] = "error",
        ["error"] = new JsonObject { ["type"] = errorType, ["message"] = message },
    };

    private static JsonObject EmptyBlock(FakeBlock block) => block switch
    {
        FakeTextBlock => new JsonObject { ["type"] = "text", ["text"] = "" },
        FakeThinkingBlock => new JsonObject { ["type"] = "thinking", ["thinking"] = "" },
        FakeToolUseBlock tool => new JsonObject { ["type"] = "tool_use", ["id"] = tool.Id, ["name"] = tool.Name, ["input"] = new JsonObject() },
        _ => throw new ArgumentOutOfRangeException(nameof(block), block, "Unknown block."),
    };

    private static IEnumerable<JsonObject> Deltas(FakeBlock block)
    {
        switch (block)
        {
            case FakeTextBlock text:
                yield return new JsonObject { ["type"] = "text_delta", ["text"] = text.Text };
                break;
            case FakeThinkingBlock thinking:
                yield return new JsonObject { ["type"] = "thinking_delta", ["thinking"] = thinking.Thinking };
                yield return new JsonObject { ["type"] = "signature_delta", ["signature"] = "fake-signature" };
                break;
            case FakeToolUseBlock tool:
                var json = tool.Input.ToJsonString();
                for (var start = 0; start < json.Length; start += InputFragmentLength)
                {
                    var fragment = json.Substring(start, Math.Min(InputFragmentLength, json.Length - start));
                    yield return new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = fragment };
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(block), block, "Unknown block.");
        }
    }

    private static JsonObject FullBlock(FakeBlock block) => block switch
    {
        FakeTextBlock text => new JsonObject { ["type"] = "text", ["text"] = text.Text },
        FakeThinkingBlock thinking => new JsonObject { ["type"] = "thinking", ["thinking"] = thinking.Thinking, ["signature"] = "fake-signature" },
        FakeToolUseBlock tool => new JsonObject { ["type"] = "tool_use", ["id"] = tool.Id, ["name"] = tool.Name, ["input"] = tool.Input.DeepClone() },
        _ => throw new ArgumentOutOfRangeException(nameof(block), block, "Unknown block."),
    };
}
