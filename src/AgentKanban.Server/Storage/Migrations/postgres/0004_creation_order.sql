-- Listings in creation order. created_at cannot order them: two rows created in the same millisecond tie, and a clock
-- that steps back files a new row before older ones. Boards, users and sessions get created_seq, drawn from a sequence
-- at insert (the column's default). Existing rows are numbered in the order they were listed so far.

ALTER TABLE boards ADD COLUMN created_seq bigint;
UPDATE boards SET created_seq = o.n
FROM (SELECT id, row_number() OVER (ORDER BY created_at, name, id) AS n FROM boards) AS o
WHERE o.id = boards.id;
CREATE SEQUENCE boards_created_seq_seq OWNED BY boards.created_seq;
SELECT setval('boards_created_seq_seq', (SELECT COALESCE(MAX(created_seq), 0) + 1 FROM boards), false);
ALTER TABLE boards ALTER COLUMN created_seq SET DEFAULT nextval('boards_created_seq_seq'), ALTER COLUMN created_seq SET NOT NULL;
CREATE UNIQUE INDEX boards_created_seq ON boards (created_seq);

ALTER TABLE users ADD COLUMN created_seq bigint;
UPDATE users SET created_seq = o.n
FROM (SELECT id, row_number() OVER (ORDER BY created_at, name, id) AS n FROM users) AS o
WHERE o.id = users.id;
CREATE SEQUENCE users_created_seq_seq OWNED BY users.created_seq;
SELECT setval('users_created_seq_seq', (SELECT COALESCE(MAX(created_seq), 0) + 1 FROM users), false);
ALTER TABLE users ALTER COLUMN created_seq SET DEFAULT nextval('users_created_seq_seq'), ALTER COLUMN created_seq SET NOT NULL;
CREATE UNIQUE INDEX users_created_seq ON users (created_seq);

-- Sessions are listed newest first; the old listing broke ties by id, so ties are numbered by id descending.
ALTER TABLE sessions ADD COLUMN created_seq bigint;
UPDATE sessions SET created_seq = o.n
FROM (SELECT id, row_number() OVER (ORDER BY created_at, id DESC) AS n FROM sessions) AS o
WHERE o.id = sessions.id;
CREATE SEQUENCE sessions_created_seq_seq OWNED BY sessions.created_seq;
SELECT setval('sessions_created_seq_seq', (SELECT COALESCE(MAX(created_seq), 0) + 1 FROM sessions), false);
ALTER TABLE sessions ALTER COLUMN created_seq SET DEFAULT nextval('sessions_created_seq_seq'), ALTER COLUMN created_seq SET NOT NULL;
CREATE UNIQUE INDEX sessions_created_seq ON sessions (created_seq);
