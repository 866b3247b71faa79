package store_test

import (
	"context"
	"testing"
	"time"

	"minipay/errs"
	"minipay/store"
	"minipay/store/dbtest"
)

// The life of sessions in the store: revocation is the owner's only and
// happens once; a password change ends every other session and sets the
// hash in one go; a login sweeps the user's ended sessions; last use
// never moves back.
func TestSessionStore(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := dbtest.NewEnv(t, db)
		a, b := e.User(t, "ann"), e.User(t, "ben")
		now := e.Clock.Now()
		open := func(u store.User) store.Session {
			t.Helper()
			s, err := db.CreateSession(ctx, u.ID, "agent", now, now.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		a1, a2, a3, b1 := open(a), open(a), open(a), open(b)
		if a1.ID == a2.ID || len(a1.ID) != 22 {
			t.Fatalf("session ids %q %q", a1.ID, a2.ID)
		}

		if err := db.RevokeSession(ctx, b.ID, a1.ID, now); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("ben revoking ann's session: %v, want not_found", err)
		}
		if err := db.RevokeSession(ctx, a.ID, a1.ID, now); err != nil {
			t.Fatal(err)
		}
		if err := db.RevokeSession(ctx, a.ID, a1.ID, now); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("revoking twice: %v, want not_found", err)
		}
		if s, err := db.Session(ctx, a1.ID); err != nil || s.Live(now) || !s.RevokedAt.Equal(now) {
			t.Errorf("the revoked session reads %+v, %v", s, err)
		}

		later := now.Add(2 * time.Minute)
		if err := db.TouchSessions(ctx, map[string]time.Time{a2.ID: later, a3.ID: now.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if err := db.TouchSessions(ctx, map[string]time.Time{a2.ID: now.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if s, _ := db.Session(ctx, a2.ID); !s.LastUsedAt.Equal(later) {
			t.Errorf("last use %v, want %v", s.LastUsedAt, later)
		}
		if s, _ := db.Session(ctx, a3.ID); !s.LastUsedAt.Equal(now.Add(time.Minute)) {
			t.Errorf("the other session's last use %v, want %v", s.LastUsedAt, now.Add(time.Minute))
		}
		if s, _ := db.Session(ctx, b1.ID); !s.LastUsedAt.Equal(now) {
			t.Errorf("a session not touched: last use %v, want %v", s.LastUsedAt, now)
		}

		if err := db.ChangePassword(ctx, a.ID, "new hash", a2.ID, later); err != nil {
			t.Fatal(err)
		}
		if _, hash, _ := db.UserWithPassword(ctx, a.ID); hash != "new hash" {
			t.Errorf("hash after the change %q", hash)
		}
		live, err := db.Sessions(ctx, a.ID, later)
		if err != nil || len(live) != 1 || live[0].ID != a2.ID {
			t.Errorf("ann's live sessions after the change: %+v, %v", live, err)
		}
		if s, _ := db.Session(ctx, a3.ID); s.Live(later) {
			t.Error("another session outlived the password change")
		}
		if s, _ := db.Session(ctx, b1.ID); !s.Live(later) {
			t.Error("ben's session ended with ann's password change")
		}

		// Many sessions in one read: each as Session reads it, live or
		// not; an unknown id is simply absent.
		many, err := db.SessionsByID(ctx, []string{a1.ID, a2.ID, b1.ID, "AAAAAAAAAAAAAAAAAAAAAA"})
		if err != nil || len(many) != 3 {
			t.Fatalf("SessionsByID: %+v, %v", many, err)
		}
		for _, got := range many {
			if want, _ := db.Session(ctx, got.ID); got != want {
				t.Errorf("SessionsByID gave %+v, Session %+v", got, want)
			}
		}

		// Ann's next login sweeps her ended sessions away.
		open(a)
		for _, id := range []string{a1.ID, a3.ID} {
			if _, err := db.Session(ctx, id); errs.CodeOf(err) != errs.NotFound {
				t.Errorf("an ended session is still stored after the next login: %v", err)
			}
		}
	})
}
