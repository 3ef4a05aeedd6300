using System.Net;
using AgentKanban.Contracts;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Server.Tests.Api;

public abstract class TaskTransitionsTests(ServerFixture fixture) : ServerTests(fixture)
{
    [Fact]
    public async Task A_worker_claims_and_requests_review_and_the_user_completes()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);

        var claimed = await TransitionOkAsync(work.Session.Client, work.Task.Id, "claim");
        Assert.Equal("in_progress", claimed.Status);
        Assert.Equal(work.Session.Id, claimed.ActiveSessionId);

        var reviewed = await TransitionOkAsync(work.Session.Client, work.Task.Id, "review", new TransitionRequest(PrUrl: "https://example.com/pr/1"));
        Assert.Equal("in_review", reviewed.Status);
        Assert.Equal("https://example.com/pr/1", reviewed.PrUrl);

        var done = await TransitionOkAsync(user.Client, work.Task.Id, "complete");
        Assert.Equal("done", done.Status);
        Assert.Null(done.Lease);

        var detail = await user.GetTaskAsync(work.Task.Id, Ct);
        Assert.Equal(["created", "assigned", "claimed", "review_requested", "completed"], detail.Activity!.Select(a => a.Action));
        var claim = detail.Activity!.Single(a => a.Action == "claimed");
        Assert.Equal(("agent:worker", work.Agent.Id, work.Session.Id), (claim.ActorType, claim.ActorId, claim.SessionId));
        Assert.Equal("https://example.com/pr/1", detail.Activity!.Single(a => a.Action == "review_requested").Detail);
    }

    [Fact]
    public async Task An_illegal_transition_is_409_naming_the_current_and_allowed_states()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);

        var error = await (await TransitionAsync(user.Client, work.Task.Id, "complete")).ReadErrorAsync(HttpStatusCode.Conflict, ErrorCodes.IllegalTransition, cancellationToken: Ct);
        Assert.Contains("todo", error.Message, StringComparison.Ordinal);
        Assert.Contains("in_review", error.Message, StringComparison.Ordinal);

        await TransitionOkAsync(work.Session.Client, work.Task.Id, "claim");
        error = await (await TransitionAsync(work.Session.Client, work.Task.Id, "release")).ReadErrorAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden, cancellationToken: Ct);
        await TransitionOkAsync(work.Session.Client, work.Task.Id, "review");
        error = await (await TransitionAsync(work.Session.Client, work.Task.Id, "claim")).ReadErrorAsync(HttpStatusCode.Conflict, ErrorCodes.IllegalTransition, cancellationToken: Ct);
        Assert.Contains("in_review", error.Message, StringComparison.Ordinal);
        Assert.Equal("in_review", (await user.GetTaskAsync(work.Task.Id, Ct)).Status);
    }

    [Fact]
    public async Task Claiming_again_is_accepted_for_the_session_that_holds_the_claim_and_refused_for_any_other()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);
        await TransitionOkAsync(work.Session.Client, work.Task.Id, "claim");

        // The daemon restores a claim for a session it moved to a new lease; the agent, carrying on, may claim again.
        var again = await (await TransitionAsync(work.Session.Client, work.Task.Id, "claim")).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.TaskDto, Ct);
        Assert.Equal(("in_progress", work.Session.Id), (again.Status, again.ActiveSessionId));
        Assert.Single((await user.GetTaskAsync(work.Task.Id, Ct)).Activity!, a => a.Action == "claimed");

        // Another session of the same machine and agent (under the same lease epoch) does not hold the claim.
        var other = await work.Machine.OpenSessionAsync(work.Agent.Id, work.Task.Id, work.Session.Session.Epoch, Ct);
        var error = await (await TransitionAsync(other.Client, work.Task.Id, "claim")).ReadErrorAsync(HttpStatusCode.Conflict, ErrorCodes.IllegalTransition, cancellationToken: Ct);
        Assert.Contains("in_progress", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_role_is_403_before_the_state_is_considered()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);

        // The user may never claim; the task is todo (claimable) but the role decides first.
        var error = await (await TransitionAsync(user.Client, work.Task.Id, "claim")).ReadErrorAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden, cancellationToken: Ct);
        Assert.Contains("user cannot claim", error.Message, StringComparison.Ordinal);
        // A worker may never complete, even from a state where completing is legal.
        await TransitionOkAsync(work.Session.Client, work.Task.Id, "claim");
        await TransitionOkAsync(work.Session.Client, work.Task.Id, "review");
        await (await TransitionAsync(work.Session.Client, work.Task.Id, "complete")).ReadErrorAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden, cancellationToken: Ct);
        await (await TransitionAsync(work.Machine.Client, work.Task.Id, "review")).ReadErrorAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden, cancellationToken: Ct);
        Assert.Equal("in_review", (await user.GetTaskAsync(work.Task.Id, Ct)).Status);
    }

    [Fact]
    public async Task Reject_returns_to_progress_with_the_reason_and_cancel_ends_the_task()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);
        await TransitionOkAsync(work.Session.Client, work.Task.Id, "claim");
        await TransitionOkAsync(work.Session.Client, work.Task.Id, "review");

        var rejected = await TransitionOkAsync(user.Client, work.Task.Id, "reject", new TransitionRequest(Reason: "tests are missing"));
        Assert.Equal("in_progress", rejected.Status);
        var detail = await user.GetTaskAsync(work.Task.Id, Ct);
        Assert.Equal("tests are missing", detail.Activity!.Single(a => a.Action == "rejected").Detail);

        var cancelled = await TransitionOkAsync(work.Machine.Client, work.Task.Id, "cancel");
        Assert.Equal("cancelled", cancelled.Status);
        await (await TransitionAsync(user.Client, work.Task.Id, "reject")).ReadErrorAsync(HttpStatusCode.Conflict, ErrorCodes.IllegalTransition, cancellationToken: Ct);
    }

    [Fact]
    public async Task Release_returns_the_task_to_todo_and_fences_the_old_session()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);
        var claimed = await TransitionOkAsync(work.Session.Client, work.Task.Id, "claim");

        var released = await TransitionOkAsync(work.Machine.Client, work.Task.Id, "release");
        Assert.Equal("todo", released.Status);
        Assert.Equal(claimed.Epoch + 1, released.Epoch);
        Assert.Null(released.Lease);
        Assert.Null(released.ActiveSessionId);

        // The old session still authenticates but its epoch is stale now.
        await (await TransitionAsync(work.Session.Client, work.Task.Id, "claim")).ReadErrorAsync(HttpStatusCode.Conflict, ErrorCodes.StaleEpoch, cancellationToken: Ct);
        Assert.Equal("todo", (await user.GetTaskAsync(work.Task.Id, Ct)).Status);
    }

    [Fact]
    public async Task A_machine_transition_with_a_stale_epoch_is_refused()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);
        await TransitionOkAsync(work.Session.Client, work.Task.Id, "claim");

        await (await TransitionAsync(work.Machine.Client, work.Task.Id, "release", new TransitionRequest(Epoch: work.Session.Session.Epoch + 7)))
            .ReadErrorAsync(HttpStatusCode.Conflict, ErrorCodes.StaleEpoch, cancellationToken: Ct);
        var released = await TransitionOkAsync(work.Machine.Client, work.Task.Id, "release", new TransitionRequest(Epoch: work.Session.Session.Epoch));
        Assert.Equal("todo", released.Status);
    }

    [Fact]
    public async Task A_worker_cannot_claim_a_task_assigned_to_another_agent()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);
        var other = await user.CreateAgentAsync(cancellationToken: Ct);
        // Reassigning bumps the epoch, so the session is fenced before the assignment check even applies.
        var patch = await user.Client.PatchJsonAsync($"api/tasks/{work.Task.Id}", new UpdateTaskRequest { AssignedTo = other.Username },
            ContractsJsonContext.Default.UpdateTaskRequest, Ct);
        var reassigned = await patch.ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.TaskDto, Ct);
        Assert.Equal(other.Id, reassigned.AssignedTo);
        await (await TransitionAsync(work.Session.Client, work.Task.Id, "claim")).ReadErrorAsync(HttpStatusCode.Conflict, ErrorCodes.StaleEpoch, cancellationToken: Ct);
        Assert.Equal("todo", (await user.GetTaskAsync(work.Task.Id, Ct)).Status);
    }

    [Fact]
    public async Task Transitions_on_unknown_tasks_are_404()
    {
        var user = await NewUserAsync();
        await (await TransitionAsync(user.Client, "nosuchtask", "complete")).ReadErrorAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound, cancellationToken: Ct);
    }
}

public sealed class TaskTransitionsSqliteTests(SqliteServerFixture fixture) : TaskTransitionsTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class TaskTransitionsPostgresTests(PostgresServerFixture fixture) : TaskTransitionsTests(fixture), IClassFixture<PostgresServerFixture>;
