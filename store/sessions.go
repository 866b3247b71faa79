package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"time"

	"minipay/errs"
)

// Sessions are logins. A bearer token names its session, and the session
// row decides whether the token still works: logging out, revoking a
// session or changing the password end tokens before they expire, on
// every server sharing the database. The API caches a session's state
// for a few seconds (api/auth.go), so these are not read per request.

// Session is one login of a user.
type Session struct {
	ID        string
	UserID    int64
	UserAgent string
	CreatedAt time.Time
	// LastUsedAt is when a request last used the session, to about a
	// minute: the API writes it at most that often.
	LastUsedAt time.Time
	ExpiresAt  time.Time
	RevokedAt  time.Time // zero while not revoked
}

// Live reports whether the session still lets its token in at now.
func (s Session) Live(now time.Time) bool { return s.RevokedAt.IsZero() && now.Before(s.ExpiresAt) }

// MaxSessions is how many live sessions a user keeps: a login beyond it
// ends the oldest, so a user's sessions (and the list of them) stay
// bounded however often they log in.
const MaxSessions = 100

const sessionColumns = `id, user_id, user_agent, created_at, last_used_at, expires_at, revoked_at`

func scanSession(row scanner) (Session, error) {
	var s Session
	var created, used, expires int64
	var revoked sql.NullInt64
	err := row.Scan(&s.ID, &s.UserID, &s.UserAgent, &created, &used, &expires, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, errs.E(errs.NotFound, "no such session")
	}
	s.CreatedAt, s.LastUsedAt, s.ExpiresAt = fromMicros(created), fromMicros(used), fromMicros(expires)
	if revoked.Valid {
		s.RevokedAt = fromMicros(revoked.Int64)
	}
	return s, err
}

// newSessionID returns a random id: 128 bits, so ids can be neither
// guessed nor counted.
func newSessionID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// CreateSession records a login of user at now, valid until expires, and
// its session.created event. In the same transaction it removes the
// user's ended sessions (expired or revoked: a token whose session row is
// gone is refused like a revoked one) and, past MaxSessions live ones, the
// oldest.
func (db *DB) CreateSession(ctx context.Context, user int64, userAgent string, now, expires time.Time) (Session, error) {
	s := Session{ID: newSessionID(), UserID: user, UserAgent: userAgent, CreatedAt: now, LastUsedAt: now, ExpiresAt: expires}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.noticeLogin(ctx, tx, s); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO sessions (id, user_id, user_agent, created_at, last_used_at, expires_at) VALUES ($1, $2, $3, $4, $4, $5)`,
			s.ID, user, userAgent, micros(now), micros(expires)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND (expires_at <= $2 OR revoked_at IS NOT NULL
			OR id NOT IN (SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2
				ORDER BY created_at DESC, id DESC LIMIT $3))`, user, micros(now), MaxSessions)
		if err != nil {
			return err
		}
		return db.InsertEvents(ctx, tx, now, []NewEvent{securityEvent(EventSessionCreated, s)})
	})
	return s, err
}

// NoticeNewLogin tells a user that their account was logged in to, from
// which client: a login they may not have made. A user's first login,
// right after signing up, sends none.
const NoticeNewLogin = "new_login"

// noticeLogin sends s's user a new_login notice in tx, unless s is their
// first session. Only the next login deletes a session row (ended ones,
// in CreateSession), so a user who has logged in before always has one.
// Two first logins at once may both pass for the first.
func (db *DB) noticeLogin(ctx context.Context, tx *sql.Tx, s Session) error {
	var before int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM sessions WHERE user_id = $1 LIMIT 1) s`, s.UserID).
		Scan(&before); err != nil || before == 0 {
		return err
	}
	row, err := noticeBodyRow(s.UserID, nil, noticeBody{Kind: NoticeNewLogin, SessionID: s.ID, UserAgent: s.UserAgent}, micros(s.CreatedAt))
	if err != nil {
		return err
	}
	return insertRows(ctx, tx, db.dialect, "notifications", noticeColumns, [][]any{row})
}

// Session returns the session with the given id, live or not; not_found
// if there is none (never was, or removed after it ended).
func (db *DB) Session(ctx context.Context, id string) (Session, error) {
	return scanSession(db.reads.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = $1`, id))
}

// Sessions returns user's live sessions at now, newest first (at most
// MaxSessions).
func (db *DB) Sessions(ctx context.Context, user int64, now time.Time) ([]Session, error) {
	return scanSessions(db.reads.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC, id DESC LIMIT $3`,
		user, micros(now), MaxSessions))
}

// SessionsByID returns those of the sessions ids that exist, live or not,
// in no order: one read for many, for a server re-reading the sessions
// in use.
func (db *DB) SessionsByID(ctx context.Context, ids []string) ([]Session, error) {
	set, arg := db.dialect.list(1, "text", ids)
	return scanSessions(db.reads.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id IN `+set, arg))
}

func scanSessions(rows *sql.Rows, err error) ([]Session, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// TouchSessions records uses of sessions, each at its time, never moving
// last_used_at back, in one statement: a server records the uses it saw
// in the background, many at once, instead of a write in a request.
func (db *DB) TouchSessions(ctx context.Context, uses map[string]time.Time) error {
	if len(uses) == 0 {
		return nil
	}
	rows := make([][]any, 0, len(uses))
	for id, t := range uses {
		rows = append(rows, []any{id, micros(t)})
	}
	src, args := db.dialect.table(1, []column{{"id", "text"}, {"last_used_at", "bigint"}}, rows)
	_, err := db.writes.ExecContext(ctx, `UPDATE sessions SET last_used_at = v.last_used_at FROM `+src+
		` WHERE sessions.id = v.id AND sessions.last_used_at < v.last_used_at`, args...)
	return err
}

// RevokeSession ends user's live session id at now. A session that is not
// user's, or has already ended, is not_found: the answer tells nothing
// about other users' sessions.
func (db *DB) RevokeSession(ctx context.Context, user int64, id string, now time.Time) error {
	res, err := db.writes.ExecContext(ctx, `UPDATE sessions SET revoked_at = $3
		WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3`, id, user, micros(now))
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = errs.E(errs.NotFound, "no such session")
	}
	return err
}

// ChangePassword sets user's password hash and, in the same transaction,
// revokes every session of theirs but keep (the one that asked) and
// records the password.changed event, naming keep.
func (db *DB) ChangePassword(ctx context.Context, user int64, passwordHash, keep string, now time.Time) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, user, passwordHash); err != nil {
			return err
		}
		var ua string
		if err := tx.QueryRowContext(ctx, `SELECT user_agent FROM sessions WHERE id = $1`, keep).Scan(&ua); err != nil &&
			!errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $3
			WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL`, user, keep, micros(now)); err != nil {
			return err
		}
		return db.InsertEvents(ctx, tx, now, []NewEvent{securityEvent(EventPasswordChanged, Session{ID: keep, UserID: user, UserAgent: ua})})
	})
}

// securityEvent is an event of the login lifecycle about session s, for
// its user. It holds the session's id and User-Agent, never a token or a
// password.
func securityEvent(typ string, s Session) NewEvent {
	return NewEvent{Type: typ, For: forAll(EventData{SessionID: s.ID, UserAgent: s.UserAgent}, s.UserID)}
}
