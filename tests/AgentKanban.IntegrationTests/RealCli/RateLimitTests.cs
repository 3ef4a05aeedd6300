using System.Text.Json.Nodes;
using AgentKanban.IntegrationTests.ClaudeCode;
using AgentKanban.IntegrationTests.FakeAnthropic;
using AgentKanban.IntegrationTests.Support;

namespace AgentKanban.IntegrationTests.RealCli;

[Collection(RealCliCollection.Name)]
public sealed class RateLimitTests
{
    [Fact]
    public async Task A_rejected_unified_limit_gives_a_rate_limit_event_an_error_message_and_exit_1()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await ClaudeSandbox.CreateAsync(ct);
        var resetsAt = TimeProvider.System.GetUtcNow().AddSeconds(5);
        sandbox.Api.Enqueue(FakeReply.RateLimited(resetsAt));

        var run = await sandbox.RunAsync(sandbox.Options("Do the task") with { SessionId = Guid.NewGuid() }, ct);

        Assert.True(run.ExitCode == 1, run.ToString());
        var info = RejectedInfo(run);
        Assert.Equal(resetsAt.ToUnixTimeSeconds(), (long?)info["resetsAt"]);
        Assert.Equal("five_hour", (string?)info["rateLimitType"]);
        Assert.False((bool?)info["isUsingOverage"]);
        Assert.Null(info["overageStatus"]);

        // The fallback the daemon also understands: an assistant message flagged "error": "rate_limit".
        var error = Assert.Single(run.OfType("assistant"), m => (string?)m["error"] == "rate_limit");
        Assert.Equal(429, (int?)error["api_error_status"]);
        var messages = run.Messages.ToList();
        Assert.True(messages.IndexOf(RejectedEvent(run)) < messages.IndexOf(error), run.ToString());

        Assert.True((bool?)run.Result["is_error"]);
        Assert.Equal(429, (int?)run.Result["api_error_status"]);

        // A usage limit is final for the CLI: one call, no retries of its own.
        Assert.Single(sandbox.Api.ModelRequests);
        Assert.DoesNotContain(run.OfType("system"), m => (string?)m["subtype"] == "api_retry");
    }

    [Fact]
    public async Task Overage_headers_add_overage_status_and_reset_to_the_event()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await ClaudeSandbox.CreateAsync(ct);
        var resetsAt = TimeProvider.System.GetUtcNow().AddSeconds(5);
        var overageResetsAt = resetsAt.AddHours(1);
        sandbox.Api.Enqueue(FakeReply.RateLimited(resetsAt, "seven_day", overageStatus: "rejected", overageResetsAt: overageResetsAt));

        var run = await sandbox.RunAsync(sandbox.Options("Do the task"), ct);

        Assert.True(run.ExitCode == 1, run.ToString());
        var info = RejectedInfo(run);
        Assert.Equal(resetsAt.ToUnixTimeSeconds(), (long?)info["resetsAt"]);
        Assert.Equal("seven_day", (string?)info["rateLimitType"]);
        Assert.Equal("rejected", (string?)info["overageStatus"]);
        Assert.Equal(overageResetsAt.ToUnixTimeSeconds(), (long?)info["overageResetsAt"]);
        Assert.True((bool?)run.Result["is_error"]);
    }

    [Fact]
    public async Task A_bare_429_without_unified_headers_is_retried_by_the_cli_and_is_no_usage_limit()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await ClaudeSandbox.CreateAsync(ct);
        sandbox.Api.Enqueue(FakeReply.Error(429, "rate_limit_error", "Slow down."), FakeReply.Text("Recovered."));

        var run = await sandbox.RunAsync(sandbox.Options("Do the task"), ct);

        Assert.True(run.ExitCode == 0, run.ToString());
        var retry = Assert.Single(run.OfType("system"), m => (string?)m["subtype"] == "api_retry");
        Assert.Equal(429, (int?)retry["error_status"]);
        Assert.Equal("rate_limit", (string?)retry["error"]);
        Assert.DoesNotContain(run.OfType("rate_limit_event"), m => (string?)m["rate_limit_info"]?["status"] == "rejected");
        Assert.Equal("Recovered.", (string?)run.Result["result"]);
        Assert.Equal(2, sandbox.Api.ModelRequests.Count);
    }

    [Fact]
    public async Task Utilization_headers_on_a_successful_reply_give_an_allowed_warning_event()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await ClaudeSandbox.CreateAsync(ct);
        var resetsAt = TimeProvider.System.GetUtcNow().AddHours(2);
        sandbox.Api.Enqueue(FakeReply.Text("Fine.") with { Headers = FakeReply.WarningHeaders(resetsAt, 0.9) });

        var run = await sandbox.RunAsync(sandbox.Options("Do the task"), ct);

        Assert.True(run.ExitCode == 0, run.ToString());
        var warning = Assert.Single(run.OfType("rate_limit_event"))["rate_limit_info"]!;
        Assert.Equal("allowed_warning", (string?)warning["status"]);
        Assert.Equal("five_hour", (string?)warning["rateLimitType"]);
        Assert.Equal(resetsAt.ToUnixTimeSeconds(), (long?)warning["resetsAt"]);
        Assert.Equal(0.9, (double?)warning["utilization"]);
    }

    private static JsonObject RejectedEvent(ClaudeRunResult run) =>
        Assert.Single(run.OfType("rate_limit_event"), m => (string?)m["rate_limit_info"]?["status"] == "rejected");

    private static JsonObject RejectedInfo(ClaudeRunResult run) =>
        RejectedEvent(run)["rate_limit_info"]!.AsObject();
}
