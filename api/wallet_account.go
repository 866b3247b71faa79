package api

import (
	"context"
	"net/http"

	"minipay/store"
)

// More of the wallet's calls (see wallet.go): a user's friends,
// notifications, settings, password and sessions, each with the checks
// of its JSON route.

// AddFriend adds username to c's friends (POST /v1/friends); added is
// false for one added before.
func (s *Server) AddFriend(ctx context.Context, c Caller, username string) (f store.Friend, added bool, err error) {
	req := addFriendRequest{Username: &username}
	if err := req.Validate(); err != nil {
		return store.Friend{}, false, err
	}
	return s.db.AddFriend(ctx, c.User, username, s.clock.Now())
}

// RemoveFriend removes username from c's friends (DELETE
// /v1/friends/{username}).
func (s *Server) RemoveFriend(ctx context.Context, c Caller, username string) error {
	if err := checkText("username", username, maxUsername); err != nil {
		return err
	}
	return s.db.RemoveFriend(ctx, c.User, username)
}

// ReadNotification marks one of c's notifications read (POST
// /v1/notifications/{id}/read).
func (s *Server) ReadNotification(ctx context.Context, c Caller, id int64) error {
	return s.db.MarkNotificationRead(ctx, c.User, id, s.clock.Now())
}

// SetTransfersRequireAcceptance changes c's setting (PATCH
// /v1/me/settings).
func (s *Server) SetTransfersRequireAcceptance(ctx context.Context, c Caller, v bool) error {
	_, err := s.db.SetTransfersRequireAcceptance(ctx, c.User, v)
	return err
}

// ChangePassword sets c's password given the current one and revokes c's
// other sessions (POST /v1/me/password), under the login limits.
func (s *Server) ChangePassword(r *http.Request, c Caller, current, next string) error {
	req := passwordRequest{CurrentPassword: &current, NewPassword: &next}
	if err := req.Validate(); err != nil {
		return err
	}
	return s.setPassword(r, c.principal(), current, next)
}

// RevokeSession ends one of c's sessions, possibly c's own (DELETE
// /v1/sessions/{id}).
func (s *Server) RevokeSession(ctx context.Context, c Caller, id string) error {
	return s.endSession(ctx, c.User, id)
}
