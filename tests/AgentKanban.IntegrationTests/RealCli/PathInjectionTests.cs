using AgentKanban.IntegrationTests.FakeAnthropic;
using AgentKanban.IntegrationTests.Support;

namespace AgentKanban.IntegrationTests.RealCli;

[Collection(RealCliCollection.Name)]
public sealed class PathInjectionTests
{
    [Fact]
    public async Task Bash_finds_a_tool_put_on_path_and_passes_the_agent_environment_to_it()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await ClaudeSandbox.CreateAsync(ct);
        var calls = Path.Combine(sandbox.Root, "ak-calls.txt");
        sandbox.AddTool("ak", """
            #!/bin/sh
            echo "$AK_TASK_ID $*" >> "$AK_CALLS"
            echo "ok: $*"
            """);
        sandbox.Api.Enqueue(FakeReply.Bash("ak task claim"), FakeReply.Bash("ak task review"), FakeReply.Text("Done."));
        var options = sandbox.Options("Work on the task") with
        {
            Environment = new Dictionary<string, string?> { ["AK_CALLS"] = calls, ["AK_TASK_ID"] = "t-42" },
        };

        var run = await sandbox.RunAsync(options, ct);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["t-42 task claim", "t-42 task review"], await File.ReadAllLinesAsync(calls, ct));
        var results = run.ContentBlocks("user").ToList();
        Assert.Equal(["ok: task claim", "ok: task review"], results.Select(r => (string?)r["content"]));
        Assert.All(results, r => Assert.False((bool?)r["is_error"]));
    }
}
