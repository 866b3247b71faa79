package web

import (
	"net/http"
	"strings"

	"minipay/api"
	"minipay/errs"
	"minipay/store"
)

// Friends: add by username, remove, and send to (the send form,
// prefilled). Those who added the user and whom the user has not added
// are listed too, to add back. The send form offers friends first, then
// recent recipients (contacts).

// friendsListed is how many friends (and people who added the user) the
// page lists, newest first.
const friendsListed = 100

// recentListed is how many recent recipients the send form offers, as
// GET /v1/recipients/recent answers.
const recentListed = 10

type friendsData struct {
	Friends, AddedMe []store.Friend
	Username         string // the add form's field, kept after an error
}

func (w *Wallet) friendsScreen() screen {
	return screen{name: "friends", words: friendWords, data: func(r *http.Request, c api.Caller, _ *page) (any, error) {
		d := friendsData{Username: strings.TrimSpace(r.PostFormValue("username"))}
		var err error
		if d.Friends, err = w.cfg.DB.Friends(r.Context(), c.User, store.FriendCursor{}, friendsListed); err == nil {
			d.AddedMe, err = w.cfg.DB.AddedMe(r.Context(), c.User, store.FriendCursor{}, friendsListed)
		}
		return d, err
	}}
}

// friendWords explains the refusals of adding and removing a friend.
var friendWords = map[errs.Code]string{
	errs.NotFound: "friends.unknown",
	errs.Invalid:  "friends.invalid",
	errs.Conflict: "friends.full",
}

func (w *Wallet) friends(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	w.show(rw, r, c, w.friendsScreen(), http.StatusOK, "")
}

func (w *Wallet) addFriend(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	_, _, err := w.cfg.API.AddFriend(r.Context(), c, strings.TrimSpace(r.PostFormValue("username")))
	w.done(rw, r, c, w.friendsScreen(), err, "friendAdded", 0)
}

func (w *Wallet) removeFriend(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	err := w.cfg.API.RemoveFriend(r.Context(), c, r.PathValue("username"))
	w.done(rw, r, c, w.friendsScreen(), err, "friendRemoved", 0)
}

// contacts are whom the send form offers: friends first, then recent
// recipients who are not friends.
func (w *Wallet) contacts(r *http.Request, c api.Caller) ([]store.Contact, error) {
	fs, err := w.cfg.DB.Friends(r.Context(), c.User, store.FriendCursor{}, friendsListed)
	if err != nil {
		return nil, err
	}
	recent, err := w.cfg.DB.RecentRecipients(r.Context(), c.User, recentListed)
	out := make([]store.Contact, 0, len(fs)+len(recent))
	seen := map[string]bool{}
	for _, f := range fs {
		out, seen[f.Username] = append(out, f.Contact), true
	}
	for _, rc := range recent {
		if !seen[rc.Username] {
			out = append(out, rc)
		}
	}
	return out, err
}
