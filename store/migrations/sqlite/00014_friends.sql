-- +goose Up
-- The SQLite twin of migrations/postgres/00014_friends.sql; see the
-- comments there.
CREATE TABLE friends (
    user_id BIGINT NOT NULL REFERENCES users (id),
    friend_id BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, friend_id),
    CHECK (user_id <> friend_id)
);
CREATE INDEX friends_added_me ON friends (friend_id, created_at, user_id);
