-- How far pruning has eaten into the event log. A stream that resumes after an id below a mark that concerns it may
-- have lost events it never saw, so it is told to reload instead of resuming with a silent gap. The mark is the
-- highest id ever deleted: scope '' for the age-based retention (it can touch every stream), otherwise a task id (the
-- per-session cap of agent events, which only that task's stream carries). Kept in the database, so the answer is the
-- same after a restart and on every server instance.
CREATE TABLE event_prune_marks (
    scope           TEXT PRIMARY KEY,
    pruned_through  INTEGER NOT NULL
);
