-- Live agent events ride in the durable event log (type 'agent.event'), so task streams order and resume them like
-- any other event. session_id + agent_seq identify an event within its session: the unique index makes a retried
-- batch apply once and serves the "last seq" lookup and the per-session pruning.
ALTER TABLE events ADD COLUMN session_id TEXT NULL;
ALTER TABLE events ADD COLUMN agent_seq INTEGER NULL;
CREATE UNIQUE INDEX events_session_seq ON events (session_id, agent_seq) WHERE session_id IS NOT NULL;
