package store

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"minipay/errs"
)

// StrangerLimits bound settlement requests between people who have never
// dealt with each other, per business day: a stranger cannot fill
// someone's inbox with bills, and one requester cannot spray them.
type StrangerLimits struct {
	Asked    int // strangers one requester may ask
	Received int // requests from strangers one user may receive
	// Since is when the current business day began.
	Since time.Time
}

// querier is a pool or a transaction.
type querier interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// strangers returns which of users have never dealt with requester: no
// completed transfer between them in either direction (a paid share is
// one), they never asked requester to settle a bill, and they have not
// added requester as a friend. This is the one place "has dealt with" is
// decided. Having been asked by requester does not count, nor requester
// adding them (anyone can add anyone): the first request must not make
// the next thousand welcome.
func strangers(ctx context.Context, q querier, d dialect, requester int64, users []int64) (map[int64]bool, error) {
	set, arg := d.list(2, "bigint", users)
	rows, err := q.QueryContext(ctx, `SELECT c.v FROM `+set+` c
		WHERE c.v <> $1
		AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.from_user = $1 AND t.to_user = c.v AND t.status IN ('completed', 'accepted'))
		AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.from_user = c.v AND t.to_user = $1 AND t.status IN ('completed', 'accepted'))
		AND NOT EXISTS (SELECT 1 FROM settlement_shares sh WHERE sh.requester_id = c.v AND sh.user_id = $1)
		AND NOT EXISTS (SELECT 1 FROM friends f WHERE f.user_id = c.v AND f.friend_id = $1)`, requester, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// checkStrangers refuses, with rate_limited, a settlement that would ask
// more strangers today than lim allows, of the requester or of any
// participant in strange. It runs in the settlement's transaction with
// the users' rows locked (lockUsers), so concurrent requests on several
// servers cannot both take the last place.
func checkStrangers(ctx context.Context, tx *sql.Tx, d dialect, requester User, strange []User, lim StrangerLimits) error {
	ids := []int64{requester.ID}
	for _, u := range strange {
		ids = append(ids, u.ID)
	}
	if err := lockUsers(ctx, tx, d, ids); err != nil {
		return err
	}
	since := micros(lim.Since)
	var asked int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM settlement_shares WHERE requester_id = $1 AND stranger_at >= $2`,
		requester.ID, since).Scan(&asked); err != nil {
		return err
	}
	if asked+len(strange) > lim.Asked {
		return errs.E(errs.RateLimited, "you may ask at most %d people you have never dealt with per day (%d asked today)", lim.Asked, asked)
	}
	for _, u := range strange {
		var received int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM settlement_shares WHERE user_id = $1 AND stranger_at >= $2`,
			u.ID, since).Scan(&received); err != nil {
			return err
		}
		if received >= lim.Received {
			return errs.E(errs.RateLimited, "%s has received as many requests from people they have never dealt with as they take per day", u.Username)
		}
	}
	return nil
}

// lockUsers locks the users' rows in id order (PostgreSQL; SQLite's
// write transaction is exclusive already), so that two transactions
// locking overlapping sets cannot deadlock, with a lock that lets the
// writer's inserts referring to these users go on.
func lockUsers(ctx context.Context, tx *sql.Tx, d dialect, ids []int64) error {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	set, arg := d.list(1, "bigint", ids)
	rows, err := tx.QueryContext(ctx, `SELECT id FROM users WHERE id IN `+set+` ORDER BY id`+d.forNoKeyUpdate(), arg)
	if err != nil {
		return err
	}
	return rows.Close()
}
