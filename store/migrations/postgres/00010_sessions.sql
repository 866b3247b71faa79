-- +goose Up
-- A login is a row here (store/sessions.go): its bearer token names it
-- (the token's sid), so logging out, revoking one session or changing the
-- password ends a token before it expires, on every server. id is random
-- (not a sequence), so it tells nothing about other users' logins.
-- user_agent is the client's, cut and checked as text by the API.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id, expires_at);

-- Token signing keys now come from configuration, never the database:
-- whoever could read this table could mint tokens for anyone. Tokens
-- signed with it stop working (everyone logs in again once).
DROP TABLE secrets;
