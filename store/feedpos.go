package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// A feed publishes every event to somewhere outside (package feed): it
// reads all events after its position up to the read fence, publishes
// them, then saves the new position. The position row is also a lease, so
// that of several servers on one database one publishes at a time.

// UserEvent is an event as one user it concerns reads it.
type UserEvent struct {
	User int64
	Event
}

// AllEvents returns up to limit events after id after and at most up to
// fence (EventFence), oldest first; each event is its copies, one per user
// it concerns, in user order.
func (db *DB) AllEvents(ctx context.Context, after, fence int64, limit int) ([][]UserEvent, error) {
	rows, err := db.reads.QueryContext(ctx, `SELECT user_id, id, type, occurred_at, COALESCE(transaction_id, 0),
		COALESCE(transfer_id, 0), COALESCE(settlement_id, 0), COALESCE(account_id, 0), body FROM events
		WHERE id > $1 AND id <= $2 AND id IN (SELECT DISTINCT id FROM events WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3)
		ORDER BY id, user_id`, after, fence, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]UserEvent
	for rows.Next() {
		var u int64
		e, err := scanEvent(userScanner{rows, &u})
		if err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && out[n-1][0].ID == e.ID {
			out[n-1] = append(out[n-1], UserEvent{u, e})
		} else {
			out = append(out, []UserEvent{{u, e}})
		}
	}
	return out, rows.Err()
}

// userScanner reads a leading user_id column before an event's columns.
type userScanner struct {
	s    scanner
	user *int64
}

func (u userScanner) Scan(dest ...any) error {
	return u.s.Scan(append([]any{u.user}, dest...)...)
}

// ClaimFeed takes or renews the lease of the feed name for owner until
// now+lease and returns its position (0 for a new feed). ok is false while
// another owner's lease runs.
func (db *DB) ClaimFeed(ctx context.Context, name, owner string, now time.Time, lease time.Duration) (pos int64, ok bool, err error) {
	err = db.writes.QueryRowContext(ctx, `INSERT INTO feed_positions (name, last_id, owner, lease_until) VALUES ($1, 0, $2, $3)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
		WHERE feed_positions.owner = excluded.owner OR feed_positions.lease_until < $4
		RETURNING last_id`, name, owner, micros(now.Add(lease)), micros(now)).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return pos, err == nil, err
}

// SaveFeedPosition moves the feed's position to id and renews owner's
// lease. ok is false if owner no longer holds the lease: another server
// took the feed over, and this one must stop.
func (db *DB) SaveFeedPosition(ctx context.Context, name, owner string, id int64, now time.Time, lease time.Duration) (ok bool, err error) {
	res, err := db.writes.ExecContext(ctx, `UPDATE feed_positions SET last_id = $3, lease_until = $4
		WHERE name = $1 AND owner = $2 AND last_id <= $3`, name, owner, id, micros(now.Add(lease)))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseFeed ends owner's lease at once, so another server may take the
// feed over without waiting for it to run out.
func (db *DB) ReleaseFeed(ctx context.Context, name, owner string) error {
	_, err := db.writes.ExecContext(ctx, `UPDATE feed_positions SET lease_until = 0 WHERE name = $1 AND owner = $2`, name, owner)
	return err
}

// FeedLease is one process's hold on a feed's position row (ClaimFeed):
// taken or renewed only once half of it has run out, so a feed that reads
// often claims seldom.
type FeedLease struct {
	DB          *DB
	Name, Owner string
	Lease       time.Duration
	// Pos is the position as last claimed or saved.
	Pos int64
	// until is when the lease runs out (zero: not held).
	until time.Time
}

// Hold takes or renews the lease when it is not held or half run out,
// reading the position it comes with; false while another owner holds it.
func (l *FeedLease) Hold(ctx context.Context, now time.Time) (bool, error) {
	if now.Before(l.until.Add(-l.Lease / 2)) {
		return true, nil
	}
	pos, ok, err := l.DB.ClaimFeed(ctx, l.Name, l.Owner, now, l.Lease)
	if err != nil || !ok {
		l.until = time.Time{}
		return false, err
	}
	l.Pos, l.until = pos, now.Add(l.Lease)
	return true, nil
}

// Save moves the position to id and renews the lease. False if the lease
// was lost (another process took the feed over): Hold again, from the
// saved position.
func (l *FeedLease) Save(ctx context.Context, id int64, now time.Time) (bool, error) {
	ok, err := l.DB.SaveFeedPosition(ctx, l.Name, l.Owner, id, now, l.Lease)
	if err != nil || !ok {
		l.until = time.Time{}
		return false, err
	}
	l.Pos, l.until = id, now.Add(l.Lease)
	return true, nil
}

// Window holds the lease and returns the next window of event ids to
// read, (Pos, upto]: at most batch ids, so at most batch events and a
// narrow range of the id index however far behind the feed is, and at
// most the read fence (EventFence, waited for up to 2 s). Ids in it
// without an event (rolled back) are passed over for good: at or below
// the fence they never commit. The window is empty (upto == Pos) when the
// lease is another's or nothing new is safe to read; fence is 0 when it
// was not read (or no event exists yet).
func (l *FeedLease) Window(ctx context.Context, now time.Time, batch int) (upto, fence int64, err error) {
	if held, err := l.Hold(ctx, now); err != nil || !held {
		return l.Pos, 0, err
	}
	fctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	fence, ok, err := l.DB.EventFence(fctx)
	cancel()
	if err != nil || !ok {
		return l.Pos, 0, err
	}
	return max(l.Pos, min(fence, l.Pos+int64(batch))), fence, nil
}

// Release ends the lease, if held, so another process may take the feed
// over at once.
func (l *FeedLease) Release(ctx context.Context) error {
	if l.until.IsZero() {
		return nil
	}
	l.until = time.Time{}
	return l.DB.ReleaseFeed(ctx, l.Name, l.Owner)
}

// Drop forgets the lease without releasing it, as a crash would (tests).
func (l *FeedLease) Drop() { l.until = time.Time{} }
