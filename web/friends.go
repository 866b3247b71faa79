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

// friendWords explains the refusals of adding and removing a friend.
var friendWords = map[errs.Code]string{
	errs.NotFound: "friends.unknown",
	errs.Invalid:  "friends.invalid",
	errs.Conflict: "friends.full",
}

func (w *Wallet) friends(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	w.showFriends(rw, r, c, http.StatusOK, friendsData{}, "")
}

func (w *Wallet) showFriends(rw http.ResponseWriter, r *http.Request, c api.Caller, status int, d friendsData, errKey string) {
	p, err := w.userPage(r, c, "friends.title")
	if err == nil {
		d.Friends, err = w.cfg.DB.Friends(r.Context(), c.User, store.FriendCursor{}, friendsListed)
	}
	if err == nil {
		d.AddedMe, err = w.cfg.DB.AddedMe(r.Context(), c.User, store.FriendCursor{}, friendsListed)
	}
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	if errKey != "" {
		p.Error = p.T(errKey)
	}
	p.Notice, p.Data = takeFlash(rw, r, p), d
	w.render(rw, r, status, "friends", p)
}

func (w *Wallet) addFriend(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	username := strings.TrimSpace(r.PostFormValue("username"))
	_, _, err := w.cfg.API.AddFriend(r.Context(), c, username)
	w.friendDone(rw, r, c, friendsData{Username: username}, "friendAdded", err)
}

func (w *Wallet) removeFriend(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	err := w.cfg.API.RemoveFriend(r.Context(), c, r.PathValue("username"))
	w.friendDone(rw, r, c, friendsData{}, "friendRemoved", err)
}

// friendDone answers a change to the friends list: back to the list,
// saying what was done or why not.
func (w *Wallet) friendDone(rw http.ResponseWriter, r *http.Request, c api.Caller, d friendsData, what string, err error) {
	if err == nil {
		doneAt(rw, r, "/friends", what, 0)
		return
	}
	key, status, ok := screenRefusal(err, friendWords)
	if !ok {
		w.fail(rw, r, err)
		return
	}
	w.showFriends(rw, r, c, status, d, key)
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
