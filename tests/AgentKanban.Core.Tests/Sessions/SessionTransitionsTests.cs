using AgentKanban.Core.Sessions;

namespace AgentKanban.Core.Tests.Sessions;

public sealed class SessionTransitionsTests
{
    // The specification, written out independently of the implementation: for each state, the legal
    // triggers and where they lead. Every pair not listed here must be refused.
    private static readonly Dictionary<SessionState, Dictionary<SessionTrigger, SessionState>> Spec = new()
    {
        [SessionState.Preparing] = new()
        {
            [SessionTrigger.Launch] = SessionState.Active,
            [SessionTrigger.EndedRateLimited] = SessionState.RateLimited,
            [SessionTrigger.FailedTransient] = SessionState.Suspended,
            [SessionTrigger.FailedTerminal] = SessionState.Completing,
            [SessionTrigger.TaskGone] = SessionState.Completing,
            [SessionTrigger.Orphaned] = SessionState.Completing,
        },
        [SessionState.Active] = new()
        {
            [SessionTrigger.RateLimitHit] = SessionState.Active,
            [SessionTrigger.RateLimitCleared] = SessionState.Active,
            [SessionTrigger.EndedInReview] = SessionState.InReview,
            [SessionTrigger.EndedWithoutReview] = SessionState.Completing,
            [SessionTrigger.EndedRateLimited] = SessionState.RateLimited,
            [SessionTrigger.FailedTransient] = SessionState.Suspended,
            [SessionTrigger.FailedTerminal] = SessionState.Completing,
            [SessionTrigger.Interrupted] = SessionState.Active,
            [SessionTrigger.TaskGone] = SessionState.Completing,
            [SessionTrigger.Orphaned] = SessionState.Completing,
        },
        [SessionState.RateLimited] = new()
        {
            [SessionTrigger.Resume] = SessionState.Active,
            [SessionTrigger.Postpone] = SessionState.RateLimited,
            [SessionTrigger.TaskGone] = SessionState.Completing,
            [SessionTrigger.Orphaned] = SessionState.Completing,
        },
        [SessionState.Suspended] = new()
        {
            [SessionTrigger.Resume] = SessionState.Active,
            [SessionTrigger.Postpone] = SessionState.Suspended,
            [SessionTrigger.TaskGone] = SessionState.Completing,
            [SessionTrigger.Orphaned] = SessionState.Completing,
        },
        [SessionState.InReview] = new()
        {
            [SessionTrigger.Resume] = SessionState.Active,
            [SessionTrigger.Postpone] = SessionState.InReview,
            [SessionTrigger.TaskGone] = SessionState.Completing,
        },
        [SessionState.Completing] = new()
        {
            [SessionTrigger.CleanupDone] = SessionState.Closed,
            [SessionTrigger.CleanupFailed] = SessionState.Completing,
        },
        [SessionState.Closed] = [],
    };

    public static TheoryData<SessionState, SessionTrigger> EveryPair()
    {
        var data = new TheoryData<SessionState, SessionTrigger>();
        foreach (var state in Enum.GetValues<SessionState>())
        {
            foreach (var trigger in Enum.GetValues<SessionTrigger>())
            {
                data.Add(state, trigger);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void Decide_matches_the_specification(SessionState from, SessionTrigger trigger)
    {
        var legal = Spec[from].TryGetValue(trigger, out var expectedTo);

        var transition = SessionTransitions.Decide(from, trigger);

        Assert.Equal(legal, transition.IsAllowed);
        Assert.Equal(from, transition.From);
        Assert.Equal(trigger, transition.Trigger);
        Assert.Equal(legal ? expectedTo : from, transition.To);
        Assert.Equal(legal, SessionTransitions.TryApply(from, trigger, out var to));
        Assert.Equal(transition.To, to);
        if (legal)
        {
            Assert.Equal(expectedTo, SessionTransitions.Apply(from, trigger));
        }
        else
        {
            var error = Assert.Throws<InvalidOperationException>(() => SessionTransitions.Apply(from, trigger));
            Assert.Contains(from.ToName(), error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_pair_is_covered()
    {
        Assert.Equal(7 * 15, EveryPair().Count);
        Assert.Equal(7, Enum.GetValues<SessionState>().Length);
        Assert.Equal(15, Enum.GetValues<SessionTrigger>().Length);
    }

    [Fact]
    public void A_session_in_review_is_never_reaped_as_an_orphan()
    {
        Assert.False(SessionTransitions.Decide(SessionState.InReview, SessionTrigger.Orphaned).IsAllowed);
        Assert.False(SessionTransitions.Decide(SessionState.InReview, SessionTrigger.CleanupDone).IsAllowed);
        Assert.False(SessionTransitions.Decide(SessionState.InReview, SessionTrigger.FailedTerminal).IsAllowed);
    }

    [Fact]
    public void Closed_is_final_for_every_trigger()
    {
        Assert.Empty(SessionTransitions.AllowedTriggers(SessionState.Closed));
        Assert.All(Enum.GetValues<SessionTrigger>(), t => Assert.False(SessionTransitions.Decide(SessionState.Closed, t).IsAllowed));
        Assert.True(SessionState.Closed.IsFinal());
    }

    [Theory]
    [InlineData(SessionState.RateLimited)]
    [InlineData(SessionState.Suspended)]
    [InlineData(SessionState.InReview)]
    public void A_resume_is_marked_active_before_the_process_exists_so_its_exit_is_always_legal(SessionState waiting)
    {
        // The daemon commits Resume before spawning; whatever the process then does, its end applies from Active.
        var active = SessionTransitions.Apply(waiting, SessionTrigger.Resume);
        Assert.Equal(SessionState.Active, active);
        foreach (var end in new[]
                 {
                     SessionTrigger.EndedInReview, SessionTrigger.EndedWithoutReview, SessionTrigger.EndedRateLimited,
                     SessionTrigger.FailedTransient, SessionTrigger.FailedTerminal, SessionTrigger.Interrupted,
                 })
        {
            Assert.True(SessionTransitions.Decide(active, end).IsAllowed, end.ToString());
        }
    }

    [Fact]
    public void Every_state_but_closed_can_reach_closed()
    {
        foreach (var start in Enum.GetValues<SessionState>())
        {
            var seen = new HashSet<SessionState> { start };
            var frontier = new Queue<SessionState>([start]);
            while (frontier.TryDequeue(out var state))
            {
                foreach (var trigger in SessionTransitions.AllowedTriggers(state))
                {
                    var next = SessionTransitions.Apply(state, trigger);
                    if (seen.Add(next))
                    {
                        frontier.Enqueue(next);
                    }
                }
            }

            Assert.Contains(SessionState.Closed, seen);
        }
    }

    [Fact]
    public void Self_loops_are_reported_as_such()
    {
        Assert.True(SessionTransitions.Decide(SessionState.Active, SessionTrigger.RateLimitHit).IsSelfLoop);
        Assert.True(SessionTransitions.Decide(SessionState.RateLimited, SessionTrigger.Postpone).IsSelfLoop);
        Assert.False(SessionTransitions.Decide(SessionState.RateLimited, SessionTrigger.Resume).IsSelfLoop);
        Assert.False(SessionTransitions.Decide(SessionState.Closed, SessionTrigger.Resume).IsSelfLoop);
    }

    [Theory]
    [InlineData(SessionState.Preparing, true, false, true)]
    [InlineData(SessionState.Active, true, false, true)]
    [InlineData(SessionState.RateLimited, false, true, true)]
    [InlineData(SessionState.Suspended, false, true, true)]
    [InlineData(SessionState.InReview, false, false, true)]
    [InlineData(SessionState.Completing, false, false, false)]
    [InlineData(SessionState.Closed, false, false, false)]
    public void State_predicates(SessionState state, bool occupiesSlot, bool waitsForResume, bool keepsWorkspace)
    {
        Assert.Equal(occupiesSlot, state.OccupiesSlot());
        Assert.Equal(waitsForResume, state.WaitsForResumeTime());
        Assert.Equal(keepsWorkspace, state.KeepsWorkspace());
    }

    [Fact]
    public void Illegal_description_names_the_state_and_the_allowed_triggers()
    {
        var message = SessionTransitions.DescribeIllegal(SessionState.InReview, SessionTrigger.Orphaned);
        Assert.Equal("Session is in_review: Orphaned is not allowed (allowed: Resume, Postpone, TaskGone)", message);
    }
}
