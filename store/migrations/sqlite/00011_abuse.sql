-- +goose Up
-- Failed logins per username, shared by every server on this database so
-- a guesser behind a load balancer gets no more tries than against one
-- server. One row per username with recent attempts (ratelimit.Lockout);
-- a successful login deletes it, and rows past expires_at are pruned.
CREATE TABLE login_throttle (
    username TEXT PRIMARY KEY,
    attempts INTEGER NOT NULL,
    window_start BIGINT NOT NULL,
    lockouts INTEGER NOT NULL,
    locked_until BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX login_throttle_expires ON login_throttle (expires_at);

-- stranger_at is the creation time of a share asked of someone the
-- requester had never dealt with (store.strangers), NULL otherwise: the
-- daily stranger limits count these, per requester and per participant.
ALTER TABLE settlement_shares ADD COLUMN stranger_at BIGINT;
CREATE INDEX settlement_shares_stranger_out ON settlement_shares (requester_id, stranger_at) WHERE stranger_at IS NOT NULL;
CREATE INDEX settlement_shares_stranger_in ON settlement_shares (user_id, stranger_at) WHERE stranger_at IS NOT NULL;

-- store.strangers asks whether two users ever completed a transfer, in
-- either direction: one index probe per pair and direction.
CREATE INDEX transfers_pair ON transfers (from_user, to_user) WHERE status IN ('completed', 'accepted');
