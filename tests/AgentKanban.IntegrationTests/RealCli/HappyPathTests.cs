using System.Text.Json.Nodes;
using AgentKanban.IntegrationTests.FakeAnthropic;
using AgentKanban.IntegrationTests.Support;

namespace AgentKanban.IntegrationTests.RealCli;

[Collection(RealCliCollection.Name)]
public sealed class HappyPathTests
{
    [Fact]
    public async Task The_cli_runs_a_scripted_bash_call_and_reports_every_step_on_stdout()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await ClaudeSandbox.CreateAsync(ct);
        sandbox.Api.Enqueue(
            FakeReply.Message(
                new FakeThinkingBlock("The user wants a file."),
                new FakeTextBlock("Writing out.txt."),
                new FakeToolUseBlock("toolu_happy", "Bash", new JsonObject { ["command"] = "echo hi > out.txt" })),
            FakeReply.Text("All done."));
        var sessionId = Guid.NewGuid();

        var run = await sandbox.RunAsync(sandbox.Options("Write hi into out.txt") with { SessionId = sessionId }, ct);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("hi\n", await File.ReadAllTextAsync(Path.Combine(sandbox.WorkingDirectory, "out.txt"), ct));

        var init = Assert.Single(run.OfType("system"), m => (string?)m["subtype"] == "init");
        Assert.Equal(sessionId.ToString(), (string?)init["session_id"]);
        Assert.Same(run.Messages[0], init);

        // Each assistant content block arrives as its own stdout message.
        var assistant = run.ContentBlocks("assistant").ToList();
        Assert.Equal(["thinking", "text", "tool_use", "text"], assistant.Select(b => (string?)b["type"]));
        Assert.Equal("The user wants a file.", (string?)assistant[0]["thinking"]);
        Assert.Equal("Bash", (string?)assistant[2]["name"]);
        Assert.Equal("echo hi > out.txt", (string?)assistant[2]["input"]?["command"]);
        Assert.Equal("All done.", (string?)assistant[3]["text"]);

        var toolResult = Assert.Single(run.ContentBlocks("user"));
        Assert.Equal("tool_result", (string?)toolResult["type"]);
        Assert.Equal("toolu_happy", (string?)toolResult["tool_use_id"]);
        Assert.False((bool?)toolResult["is_error"]);

        var messages = run.Messages.ToList();
        var toolUseAt = IndexOfBlock(messages, "assistant", "tool_use");
        var toolResultAt = IndexOfBlock(messages, "user", "tool_result");
        var finalTextAt = messages.FindLastIndex(m => (string?)m["type"] == "assistant");
        Assert.True(toolUseAt < toolResultAt && toolResultAt < finalTextAt, run.ToString());

        // Without any rate-limit headers the CLI still reports its (default) state once: allowed.
        var allowed = Assert.Single(run.OfType("rate_limit_event"))["rate_limit_info"]!;
        Assert.Equal("allowed", (string?)allowed["status"]);
        Assert.False((bool?)allowed["isUsingOverage"]);

        // The result sums the usage the fake reported over both calls and prices it.
        var result = run.Result;
        Assert.Same(run.Messages[^1], result);
        Assert.Equal("success", (string?)result["subtype"]);
        Assert.False((bool?)result["is_error"]);
        Assert.Equal("All done.", (string?)result["result"]);
        Assert.Equal(sessionId.ToString(), (string?)result["session_id"]);
        Assert.Equal(2, (int?)result["num_turns"]);
        Assert.Equal(2 * FakeUsage.Default.InputTokens, (int?)result["usage"]?["input_tokens"]);
        Assert.Equal(2 * FakeUsage.Default.OutputTokens, (int?)result["usage"]?["output_tokens"]);
        Assert.True((double?)result["total_cost_usd"] > 0, result.ToJsonString());

        var requests = sandbox.Api.ModelRequests;
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r => Assert.Equal(sessionId.ToString(), r.SessionId));
        Assert.All(requests, r => Assert.True(r.IsStreaming));
        Assert.Equal("Write hi into out.txt", requests[0].LastUserText);
        var returned = Assert.Single(requests[1].ToolResults);
        Assert.Equal("toolu_happy", (string?)returned["tool_use_id"]);
    }

    private static int IndexOfBlock(List<JsonObject> messages, string messageType, string blockType) =>
        messages.FindIndex(m => (string?)m["type"] == messageType
            && m["message"]?["content"] is JsonArray content
            && content.Any(b => (string?)b?["type"] == blockType));
}
