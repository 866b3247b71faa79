-- +goose Up
-- Friends (store/friends.go): user_id added friend_id at created_at. The
-- relation is one-way: adding someone needs no consent, and the added
-- person sees who added them. The primary key serves "my friends" (a user
-- has at most store.MaxFriends); friends_added_me serves "who added me",
-- which has no bound, newest first.
CREATE TABLE friends (
    user_id BIGINT NOT NULL REFERENCES users (id),
    friend_id BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, friend_id),
    CHECK (user_id <> friend_id)
);
CREATE INDEX friends_added_me ON friends (friend_id, created_at, user_id);
