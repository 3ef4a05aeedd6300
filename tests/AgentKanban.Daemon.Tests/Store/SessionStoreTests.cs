using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Outbox;
using AgentKanban.Daemon.Store;
using AgentKanban.Daemon.Tests.Infrastructure;

namespace AgentKanban.Daemon.Tests.Store;

public sealed class SessionStoreTests
{
    [Fact]
    public async Task Transition_is_compare_and_set_on_the_expected_state()
    {
        await using var store = await TempStore.CreateAsync();
        var session = await store.InsertAsync(TempStore.NewSession());

        var launched = await store.Sessions.TransitionAsync(session.Id, SessionState.Preparing, SessionTrigger.Launch, null, null, CancellationToken.None);
        Assert.Equal(TransitionStatus.Applied, launched.Status);
        Assert.Equal(SessionState.Active, launched.Session!.State);
        Assert.Equal(session.Version + 1, launched.Session.Version);

        // A second actor still believing the session is preparing loses the race and writes nothing.
        var stale = await store.Sessions.TransitionAsync(session.Id, SessionState.Preparing, SessionTrigger.FailedTerminal, null, null, CancellationToken.None);
        Assert.Equal(TransitionStatus.LostRace, stale.Status);
        Assert.Equal(SessionState.Active, (await store.Sessions.GetAsync(session.Id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task Illegal_transition_is_refused_and_writes_nothing()
    {
        await using var store = await TempStore.CreateAsync();
        var session = await store.InsertAsync(TempStore.NewSession(state: SessionState.InReview));

        // An in-review session is never reaped as an orphan.
        var result = await store.Sessions.TransitionAsync(session.Id, SessionState.InReview, SessionTrigger.Orphaned, null, null, CancellationToken.None);

        Assert.Equal(TransitionStatus.Illegal, result.Status);
        var stored = (await store.Sessions.GetAsync(session.Id, CancellationToken.None))!;
        Assert.Equal(SessionState.InReview, stored.State);
        Assert.Equal(session.Version, stored.Version);
    }

    [Fact]
    public async Task Fields_reports_and_pause_commit_with_the_transition_or_not_at_all()
    {
        await using var store = await TempStore.CreateAsync();
        var session = await store.InsertAsync(TempStore.NewSession(state: SessionState.Active));
        var outbox = new OutboxStore(store.Database);

        // Effects that fail roll the whole transition back: no state, no field, no report.
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.Sessions.TransitionAsync(session.Id, SessionState.Active, SessionTrigger.FailedTerminal,
            s => s with { LastReason = "boom" },
            async (tx, s) =>
            {
                await tx.EnqueueAsync(Reports.CloseSession(s.Id, s.ServerSessionId), CancellationToken.None);
                throw new InvalidOperationException("disk full");
            }, CancellationToken.None));
        var unchanged = (await store.Sessions.GetAsync(session.Id, CancellationToken.None))!;
        Assert.Equal(SessionState.Active, unchanged.State);
        Assert.Null(unchanged.LastReason);
        Assert.Equal(0, await outbox.PendingCountAsync(CancellationToken.None));

        var applied = await store.Sessions.TransitionAsync(session.Id, SessionState.Active, SessionTrigger.FailedTerminal,
            s => s with { LastReason = "provider error" },
            (tx, s) => tx.EnqueueAsync(Reports.CloseSession(s.Id, s.ServerSessionId), CancellationToken.None), CancellationToken.None);
        Assert.True(applied.Applied);
        Assert.Equal("provider error", applied.Session!.LastReason);
        Assert.Equal(SessionState.Completing, applied.Session.State);
        Assert.Equal(1, await outbox.PendingCountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Committed_state_survives_closing_and_reopening_the_file()
    {
        await using var store = await TempStore.CreateAsync();
        var session = await store.InsertAsync(TempStore.NewSession(state: SessionState.Active));
        var resumeAt = store.Time.GetUtcNow().AddHours(2);
        await store.Sessions.TransitionAsync(session.Id, SessionState.Active, SessionTrigger.EndedRateLimited,
            s => s with { ResumeAfter = resumeAt, DecidedAt = store.Time.GetUtcNow(), NextPrompt = "go on", ResumeToken = "conv-1" },
            null, CancellationToken.None);

        await store.ReopenAsync();

        var stored = (await store.Sessions.GetAsync(session.Id, CancellationToken.None))!;
        Assert.Equal(SessionState.RateLimited, stored.State);
        Assert.Equal(resumeAt, stored.ResumeAfter);
        Assert.Equal("go on", stored.NextPrompt);
        Assert.Equal("conv-1", stored.ResumeToken);
        Assert.Equal(session.PrivateKey, stored.PrivateKey);
    }

    [Fact]
    public async Task Store_file_is_readable_by_its_owner_only()
    {
        await using var store = await TempStore.CreateAsync();
        var mode = File.GetUnixFileMode(store.Path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }

    [Fact]
    public async Task One_open_session_per_task()
    {
        await using var store = await TempStore.CreateAsync();
        await store.InsertAsync(TempStore.NewSession("task-x"));

        await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() => store.InsertAsync(TempStore.NewSession("task-x")));
    }

    [Fact]
    public async Task Due_query_returns_waiting_sessions_whose_time_came_earliest_first()
    {
        await using var store = await TempStore.CreateAsync();
        var now = store.Time.GetUtcNow();
        var dueLater = await Waiting(store, SessionState.RateLimited, now.AddMinutes(-1));
        var dueFirst = await Waiting(store, SessionState.Suspended, now.AddMinutes(-5));
        await Waiting(store, SessionState.RateLimited, now.AddMinutes(10));
        // Active with a recorded resume time (the limit hit while it runs) is not due: its run decides.
        var active = await store.InsertAsync(TempStore.NewSession(state: SessionState.Active) with { ResumeAfter = now.AddMinutes(-2) });
        var closed = await Waiting(store, SessionState.Completing, now.AddMinutes(-3));
        await store.Sessions.TransitionAsync(closed.Id, SessionState.Completing, SessionTrigger.CleanupDone, null, null, CancellationToken.None);

        var due = await store.Sessions.DueAsync(now, 10, CancellationToken.None);

        Assert.Equal([dueFirst.Id, dueLater.Id], due.Select(s => s.Id));
        Assert.Equal(now.AddMinutes(-5), await store.Sessions.NextResumeAtAsync(CancellationToken.None));
        Assert.DoesNotContain(due, s => s.Id == active.Id);
    }

    private static Task<SessionRecord> Waiting(TempStore store, SessionState state, DateTimeOffset resumeAfter) =>
        store.InsertAsync(TempStore.NewSession(state: state) with { ResumeAfter = resumeAfter, DecidedAt = resumeAfter.AddMinutes(-30) });
}
