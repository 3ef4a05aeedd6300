-- The agent program an `acp` agent runs, as a command line (e.g. `copilot --acp`); NULL = the daemon's default.
ALTER TABLE agents ADD COLUMN command TEXT;
