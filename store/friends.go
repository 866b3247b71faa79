package store

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"time"

	"minipay/errs"
	"minipay/ledger"
	"minipay/names"
)

// Friends are the people a user sends to and requests money from first.
// Adding is one-way and needs no consent (like a phone's contacts); the
// added person is notified and can list who added them. Other users are
// only ever shown by username and masked real name (MaskName): the
// functions here never return another user's real name.

// MaxFriends is how many friends a user may have: more than any person
// keeps, few enough that one user cannot grow the table at will.
const MaxFriends = 1000

// NoticeFriendAdded tells a user that someone added them as a friend;
// Counterparty is the adder's username.
const NoticeFriendAdded = "friend_added"

// Contact is another user as a user may see them.
type Contact struct {
	UserID     int64
	Username   string
	MaskedName string
}

// Friend is a contact in a friends list, with when they were added (to
// the list of who added me: when they added me).
type Friend struct {
	Contact
	AddedAt time.Time
}

// FriendCursor is where a page of friends starts: after the friend added
// at AddedAt with UserID (the zero cursor: from the newest).
type FriendCursor struct {
	AddedAt time.Time
	UserID  int64
}

// AddFriend adds the user named username to user's friends at now and
// notifies them, in one transaction; added is false if they were a friend
// already (nothing changes, and the friend is returned as added then).
// Refused with not_found for an unknown username, invalid for oneself and
// conflict past MaxFriends.
func (db *DB) AddFriend(ctx context.Context, user int64, username string, now time.Time) (f Friend, added bool, err error) {
	f.Contact, err = db.contactNamed(ctx, username)
	if err != nil {
		return Friend{}, false, err
	}
	if f.UserID == user {
		return Friend{}, false, errs.E(errs.Invalid, "you cannot add yourself as a friend")
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		// One user's adds take turns, so concurrent adds can neither pass
		// the cap together nor both insert (and notify) the same friend.
		if err := db.lockUser(ctx, tx, user); err != nil {
			return err
		}
		var adder string
		if err := tx.QueryRowContext(ctx, `SELECT username FROM users WHERE id = $1`, user).Scan(&adder); err != nil {
			return err
		}
		var at int64
		err := tx.QueryRowContext(ctx, `SELECT created_at FROM friends WHERE user_id = $1 AND friend_id = $2`, user, f.UserID).Scan(&at)
		if err == nil {
			f.AddedAt = fromMicros(at)
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM friends WHERE user_id = $1`, user).Scan(&n); err != nil {
			return err
		}
		if n >= MaxFriends {
			return errs.E(errs.Conflict, "at most %d friends; remove one to add another", MaxFriends)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO friends (user_id, friend_id, created_at) VALUES ($1, $2, $3)`,
			user, f.UserID, micros(now)); err != nil {
			return err
		}
		row, err := noticeRow(ledger.Notice{User: f.UserID, Kind: NoticeFriendAdded, Counterparty: adder}, micros(now))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO notifications (user_id, kind, transfer_id, body, created_at) VALUES ($1, $2, $3, $4, $5)`,
			row...); err != nil {
			return err
		}
		f.AddedAt, added = fromMicros(micros(now)), true
		return nil
	})
	if err != nil {
		return Friend{}, false, err
	}
	return f, added, nil
}

// RemoveFriend removes the user named username from user's friends;
// not_found if they are not one.
func (db *DB) RemoveFriend(ctx context.Context, user int64, username string) error {
	res, err := db.writes.ExecContext(ctx,
		`DELETE FROM friends WHERE user_id = $1 AND friend_id = (SELECT id FROM users WHERE username = $2)`, user, username)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return errs.E(errs.NotFound, "%q is not your friend", username)
	}
	return nil
}

// Friends returns a page of user's friends, most recently added first.
func (db *DB) Friends(ctx context.Context, user int64, after FriendCursor, limit int) ([]Friend, error) {
	at, id := after.keys()
	return db.friendRows(ctx, `SELECT u.id, u.username, u.name, f.created_at FROM friends f JOIN users u ON u.id = f.friend_id
		WHERE f.user_id = $1 AND (f.created_at, f.friend_id) < ($2, $3)
		ORDER BY f.created_at DESC, f.friend_id DESC LIMIT $4`, user, at, id, limit)
}

// AddedMe returns a page of the users who added user as a friend and whom
// user has not added, most recent first: whom user might add back.
func (db *DB) AddedMe(ctx context.Context, user int64, after FriendCursor, limit int) ([]Friend, error) {
	at, id := after.keys()
	return db.friendRows(ctx, `SELECT u.id, u.username, u.name, f.created_at FROM friends f JOIN users u ON u.id = f.user_id
		WHERE f.friend_id = $1 AND (f.created_at, f.user_id) < ($2, $3)
			AND NOT EXISTS (SELECT 1 FROM friends b WHERE b.user_id = $1 AND b.friend_id = f.user_id)
		ORDER BY f.created_at DESC, f.user_id DESC LIMIT $4`, user, at, id, limit)
}

// keys are the cursor as the (created_at, user) bound of a page query.
func (c FriendCursor) keys() (int64, int64) {
	if c.UserID == 0 {
		return math.MaxInt64, math.MaxInt64
	}
	return micros(c.AddedAt), c.UserID
}

func (db *DB) friendRows(ctx context.Context, q string, args ...any) ([]Friend, error) {
	rows, err := db.reads.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Friend
	for rows.Next() {
		var f Friend
		var at int64
		if err := scanContact(rows, &f.Contact, &at); err != nil {
			return nil, err
		}
		f.AddedAt = fromMicros(at)
		out = append(out, f)
	}
	return out, rows.Err()
}

// recentScan is how many of a user's latest sent transfers RecentRecipients
// looks through: enough to find the last few people paid, bounded so a
// heavy sender's query stays cheap.
const recentScan = 500

// RecentRecipients returns the distinct users user sent transfers to
// most recently (at most limit, newest first), among user's last
// recentScan transfers.
func (db *DB) RecentRecipients(ctx context.Context, user int64, limit int) ([]Contact, error) {
	rows, err := db.reads.QueryContext(ctx, `SELECT u.id, u.username, u.name, r.last FROM
		(SELECT to_user, MAX(id) AS last FROM
			(SELECT to_user, id FROM transfers WHERE from_user = $1 ORDER BY id DESC LIMIT $2) t
		GROUP BY to_user) r
		JOIN users u ON u.id = r.to_user ORDER BY r.last DESC LIMIT $3`, user, recentScan, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Contact
	for rows.Next() {
		var c Contact
		var last int64
		if err := scanContact(rows, &c, &last); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// contactNamed is the user named username as a contact.
func (db *DB) contactNamed(ctx context.Context, username string) (Contact, error) {
	var c Contact
	err := scanContact(db.reads.QueryRowContext(ctx, `SELECT id, username, name FROM users WHERE username = $1`, username), &c)
	if errors.Is(err, sql.ErrNoRows) {
		return Contact{}, errs.E(errs.NotFound, "no user %q", username)
	}
	return c, err
}

// scanContact reads id, username and real name into c, masking the name
// as it is read, then any extra columns.
func scanContact(s scanner, c *Contact, extra ...any) error {
	var name string
	if err := s.Scan(append([]any{&c.UserID, &c.Username, &name}, extra...)...); err != nil {
		return err
	}
	c.MaskedName = names.Mask(name)
	return nil
}
