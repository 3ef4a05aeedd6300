-- Listings in creation order. created_at cannot order them: two rows created in the same millisecond tie, and a clock
-- that steps back files a new row before older ones. Boards, users and sessions get created_seq, a number larger than
-- every existing row's, given at insert by a trigger (the store has one writer, so MAX + 1 cannot race). Existing rows
-- are numbered in the order they were listed so far.

ALTER TABLE boards ADD COLUMN created_seq INTEGER;
UPDATE boards SET created_seq = o.n
FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY created_at, name, id) AS n FROM boards) AS o
WHERE o.id = boards.id;
CREATE UNIQUE INDEX boards_created_seq ON boards (created_seq);
CREATE TRIGGER boards_number_new AFTER INSERT ON boards FOR EACH ROW WHEN NEW.created_seq IS NULL
BEGIN
    UPDATE boards SET created_seq = (SELECT COALESCE(MAX(created_seq), 0) + 1 FROM boards) WHERE rowid = NEW.rowid;
END;

ALTER TABLE users ADD COLUMN created_seq INTEGER;
UPDATE users SET created_seq = o.n
FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY created_at, name, id) AS n FROM users) AS o
WHERE o.id = users.id;
CREATE UNIQUE INDEX users_created_seq ON users (created_seq);
CREATE TRIGGER users_number_new AFTER INSERT ON users FOR EACH ROW WHEN NEW.created_seq IS NULL
BEGIN
    UPDATE users SET created_seq = (SELECT COALESCE(MAX(created_seq), 0) + 1 FROM users) WHERE rowid = NEW.rowid;
END;

-- Sessions are listed newest first; the old listing broke ties by id, so ties are numbered by id descending.
ALTER TABLE sessions ADD COLUMN created_seq INTEGER;
UPDATE sessions SET created_seq = o.n
FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY created_at, id DESC) AS n FROM sessions) AS o
WHERE o.id = sessions.id;
CREATE UNIQUE INDEX sessions_created_seq ON sessions (created_seq);
CREATE TRIGGER sessions_number_new AFTER INSERT ON sessions FOR EACH ROW WHEN NEW.created_seq IS NULL
BEGIN
    UPDATE sessions SET created_seq = (SELECT COALESCE(MAX(created_seq), 0) + 1 FROM sessions) WHERE rowid = NEW.rowid;
END;
