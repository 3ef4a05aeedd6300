namespace AgentKanban.Daemon.Store;

/// <summary>
/// Numbered migrations of the daemon's SQLite file. Times are stored as Unix milliseconds (UTC) so the
/// due-session query is an integer range scan on a partial index that holds only waiting sessions.
/// </summary>
internal static class DaemonSchema
{
    public static IReadOnlyList<(int Version, string Sql)> Migrations { get; } =
    [
        (1, """
            CREATE TABLE sessions (
                id                    TEXT PRIMARY KEY,
                task_id               TEXT NOT NULL,
                agent_id              TEXT NOT NULL,
                runtime               TEXT NOT NULL,
                state                 INTEGER NOT NULL,          -- StoredSessionState
                version               INTEGER NOT NULL DEFAULT 1, -- bumped by every write: compare-and-set guard
                epoch                 INTEGER NOT NULL,          -- the task lease epoch this session runs under
                server_session_id     TEXT NOT NULL,             -- the server's session (new one when a lapsed lease is taken again)
                private_key           TEXT NOT NULL,             -- the session's signing key; this file is 0600
                public_key            TEXT NOT NULL,
                provider_session_id   TEXT NOT NULL,             -- chosen before the first launch (claude --session-id)
                resume_token          TEXT,                      -- what the runtime needs to continue (--resume)
                launches              INTEGER NOT NULL DEFAULT 0,
                model                 TEXT,
                permission_mode       TEXT,
                repository_url        TEXT,
                workspace             TEXT,
                branch                TEXT,
                resume_after_ms       INTEGER,                   -- set while waiting (rate limit, backoff); NULL otherwise
                decided_at_ms         INTEGER,                   -- when resume_after_ms was decided (caps waits if the clock jumps back)
                next_prompt           TEXT,                      -- what to say on the next resume
                attempts              INTEGER NOT NULL DEFAULT 0,
                last_reason           TEXT,
                pid                   INTEGER,
                server_session_open   INTEGER NOT NULL DEFAULT 0,
                input_tokens          INTEGER NOT NULL DEFAULT 0,
                output_tokens         INTEGER NOT NULL DEFAULT 0,
                cache_read_tokens     INTEGER NOT NULL DEFAULT 0,
                cache_creation_tokens INTEGER NOT NULL DEFAULT 0,
                cost_micro_usd        INTEGER NOT NULL DEFAULT 0,
                run_cost_micro_usd    INTEGER NOT NULL DEFAULT 0, -- cost already reported for the current process run
                created_at_ms         INTEGER NOT NULL,
                updated_at_ms         INTEGER NOT NULL,
                closed_at_ms          INTEGER,
                system_prompt         TEXT,                      -- our work protocol, appended on every launch (resumes too)
                task_prompt           TEXT                       -- the first prompt (the task), for a launch that starts fresh
            );
            -- The due-session query: only open sessions with a resume time are in this index.
            CREATE INDEX ix_sessions_due ON sessions(resume_after_ms) WHERE resume_after_ms IS NOT NULL AND closed_at_ms IS NULL;
            CREATE INDEX ix_sessions_open ON sessions(state) WHERE closed_at_ms IS NULL;
            -- Never two live sessions for one task on this machine.
            CREATE UNIQUE INDEX ux_sessions_open_task ON sessions(task_id) WHERE closed_at_ms IS NULL;

            CREATE TABLE runtime_pauses (
                runtime          TEXT PRIMARY KEY,
                until_ms         INTEGER NOT NULL,
                decided_at_ms    INTEGER NOT NULL,
                source           INTEGER NOT NULL,            -- PauseSource
                past_reset_streak INTEGER NOT NULL DEFAULT 0,
                reason           TEXT NOT NULL,
                updated_at_ms    INTEGER NOT NULL
            );

            CREATE TABLE circuit_breakers (
                runtime              TEXT PRIMARY KEY,
                status               INTEGER NOT NULL,        -- CircuitStatus
                consecutive_failures INTEGER NOT NULL,
                times_opened         INTEGER NOT NULL,
                opened_at_ms         INTEGER,
                open_until_ms        INTEGER,
                probe_started_at_ms  INTEGER,
                updated_at_ms        INTEGER NOT NULL
            );

            -- A task whose last session failed waits before it is dispatched again (no hot retry loop).
            CREATE TABLE task_backoff (
                task_id        TEXT PRIMARY KEY,
                failures       INTEGER NOT NULL,
                not_before_ms  INTEGER NOT NULL,
                decided_at_ms  INTEGER NOT NULL,
                reason         TEXT NOT NULL
            );

            CREATE TABLE outbox (
                id              INTEGER PRIMARY KEY AUTOINCREMENT,
                idempotency_key TEXT NOT NULL UNIQUE,
                kind            TEXT NOT NULL,
                method          TEXT NOT NULL,
                path            TEXT NOT NULL,
                body            TEXT,
                session_id      TEXT,
                task_id         TEXT,                         -- the task a release or lease return is about (dispatch waits for it)
                sign_as_session INTEGER NOT NULL DEFAULT 0,   -- 1: sent with a token signed by the session's key
                attempts        INTEGER NOT NULL DEFAULT 0,
                next_attempt_ms INTEGER NOT NULL,
                last_error      TEXT,
                failed_at_ms    INTEGER,                      -- refused for good by the server (kept, never dropped silently)
                created_at_ms   INTEGER NOT NULL
            );
            CREATE INDEX ix_outbox_due ON outbox(next_attempt_ms) WHERE failed_at_ms IS NULL;

            CREATE TABLE skip_reasons (
                task_id        TEXT PRIMARY KEY,
                reason         TEXT NOT NULL,
                recorded_at_ms INTEGER NOT NULL
            );

            CREATE TABLE meta (
                key   TEXT PRIMARY KEY,
                value TEXT NOT NULL
            );
            """),
        (2, """
            -- The provider's name of the usage window that rejected (five_hour, seven_day, …); NULL when it named none.
            -- An "allowed" report lifts the pause early only when it is about this same window.
            ALTER TABLE runtime_pauses ADD COLUMN limit_window TEXT;
            """),
        (3, """
            -- Reports are delivered in order within their group (a session's reports; a task's "why" notes, which have no
            -- session): an item waits while an earlier one of its group is pending. Rows with failed_at_ms set are dead
            -- letters: refused for good, never sent again, and no longer holding anything up.
            CREATE INDEX ix_outbox_group ON outbox(COALESCE(session_id, path), id) WHERE failed_at_ms IS NULL;
            """),
        (4, """
            -- People's messages a session's agent took in while it ran (live input, acknowledged by the runtime). The next
            -- launch hands over only what is neither here nor before the session's launch cursor (meta), so a message
            -- reaches the agent once across restarts.
            CREATE TABLE delivered_messages (
                session_id      TEXT NOT NULL,
                message_id      TEXT NOT NULL,
                delivered_at_ms INTEGER NOT NULL,
                PRIMARY KEY (session_id, message_id)
            ) WITHOUT ROWID;
            """),
        (5, """
            -- Tasks in review that this machine worked on, watched until their work is merged or dropped (Review/ReviewMonitor).
            -- A row outlives its session: it goes only when the task is done, cancelled or deleted.
            CREATE TABLE review_watch (
                task_id         TEXT PRIMARY KEY,
                session_id      TEXT NOT NULL,             -- the local session that worked on it (its branch and repository)
                repository_url  TEXT,
                branch          TEXT,                      -- the session branch in the mirror (ak/<id>)
                base_commit     TEXT,                      -- where that branch started (merged = its tip beyond this is in the default branch)
                failures        INTEGER NOT NULL DEFAULT 0, -- consecutive failed checks (backoff)
                next_check_ms   INTEGER NOT NULL,
                last_error      TEXT,
                last_checked_ms INTEGER,
                tracked_at_ms   INTEGER NOT NULL
            );
            CREATE INDEX ix_review_watch_due ON review_watch(next_check_ms);
            """),
        (6, """
            -- The agent's own command line for runtime acp, copied from the agent like its model (NULL = the daemon's default).
            ALTER TABLE sessions ADD COLUMN agent_command TEXT;
            """),
    ];
}
