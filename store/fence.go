package store

import (
	"context"
	"slices"
	"time"
)

// The read fence: the highest event id such that every event at or below
// it has committed or never will, so a reader that goes "after id X" up
// to the fence skips nothing that commits later. It holds for every
// writer of events alike — the money writer's batches and the
// transactions of InsertEvents (logins, settlement requests...), which
// commit in no order relative to each other.
//
// On PostgreSQL a fence is had in two steps: a snapshot reads the last id
// handed out, then the open transactions that took event ids (they hold
// events_id_seq locked); one that took an id at or below the last is
// among them or already ended. Once none of them is open any more, the
// last id is a fence. Only transactions that took event ids are waited
// for: a long one that writes no events, or one of another schema or
// database, holds nothing up. On SQLite, whose single writer commits ids
// in order, a snapshot has no holders: its last id is a fence at once.

// FenceSnapshot is the first step toward a read fence.
type FenceSnapshot struct {
	Last    int64
	Holders []string // the transactions that may still commit ids ≤ Last
}

// TakeFenceSnapshot reads the last event id, then its holders.
func (db *DB) TakeFenceSnapshot(ctx context.Context) (FenceSnapshot, error) {
	last, err := db.dialect.lastEventID(ctx, db.writes)
	if err != nil {
		return FenceSnapshot{}, err
	}
	holders, err := db.EventIDHolders(ctx)
	return FenceSnapshot{Last: last, Holders: holders}, err
}

// EventIDHolders are the transactions that hold event ids now. A snapshot
// none of whose holders is among them has its Last as a fence (Settled).
func (db *DB) EventIDHolders(ctx context.Context) ([]string, error) {
	return db.dialect.eventIDHolders(ctx, db.writes)
}

// Settled says whether none of s's holders is among holding.
func (s FenceSnapshot) Settled(holding []string) bool {
	for _, h := range s.Holders {
		if slices.Contains(holding, h) {
			return false
		}
	}
	return true
}

// EventFence returns a read fence: a snapshot's Last once its holders have
// ended, which takes as long as the longest event-writing transaction in
// flight, milliseconds. ok is false if ctx ends first.
func (db *DB) EventFence(ctx context.Context) (fence int64, ok bool, err error) {
	s, err := db.TakeFenceSnapshot(ctx)
	for err == nil && len(s.Holders) > 0 {
		select {
		case <-ctx.Done():
			return 0, false, nil
		case <-time.After(time.Millisecond):
		}
		var holding []string
		if holding, err = db.EventIDHolders(ctx); err == nil && s.Settled(holding) {
			break
		}
	}
	if ctx.Err() != nil {
		return 0, false, nil
	}
	return s.Last, err == nil, err
}
