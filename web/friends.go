package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"minipay/api"
	"minipay/errs"
	"minipay/store"
)

// Friends: add by username, remove, and send to (the send form,
// prefilled). Those who added the user and whom the user has not added
// are listed too, to add back. The send form offers friends first, then
// recent recipients (contacts).

// friendsListed is how many friends the send form offers, newest first.
const friendsListed = 100

// friendsPage is how many friends, and people who added the user, a page
// of the friends screen lists, newest first; each list has its own
// "more" link to the next page, by keyset (when added, then user id).
const friendsPage = 20

// recentListed is how many recent recipients the send form offers, as
// GET /v1/recipients/recent answers.
const recentListed = 10

// contactsShown is how many of those contacts the send form shows as
// links, about a phone's screen above the form; its recipient field
// suggests them all (a datalist), and its search finds any friend.
const contactsShown = 20

// searchListed is how many friends a search of the send form lists.
const searchListed = 20

type friendsData struct {
	Friends, AddedMe []store.Friend
	// MoreFriends and MoreAddedMe are the URLs of each list's next page
	// ("" on its last). A page past the first continues one list only;
	// OnlyAddedMe when it is the list of who added the user.
	MoreFriends, MoreAddedMe string
	OnlyAddedMe              bool
	Username                 string // the add form's field, kept after an error
}

func (w *Wallet) friendsScreen() screen {
	return screen{name: "friends", words: friendWords, data: func(r *http.Request, c api.Caller, _ *page) (any, error) {
		d := friendsData{Username: strings.TrimSpace(r.PostFormValue("username"))}
		q := r.URL.Query()
		before, addedBefore := q.Get("before"), q.Get("added_before")
		var err error
		if addedBefore == "" {
			d.Friends, d.MoreFriends, err = friendsPageOf(r, c, w.cfg.DB.Friends, "before", before)
		}
		if before == "" && err == nil {
			d.AddedMe, d.MoreAddedMe, err = friendsPageOf(r, c, w.cfg.DB.AddedMe, "added_before", addedBefore)
			d.OnlyAddedMe = addedBefore != ""
		}
		return d, err
	}}
}

// friendsPageOf reads the page of list after cursor (a friendCursor; not
// one: the first page) and the URL of the next, which carries the page's
// last row as param.
func friendsPageOf(r *http.Request, c api.Caller, list func(context.Context, int64, store.FriendCursor, int) ([]store.Friend, error),
	param, cursor string) ([]store.Friend, string, error) {
	rows, err := list(r.Context(), c.User, parseFriendCursor(cursor), friendsPage+1)
	if err != nil || len(rows) <= friendsPage {
		return rows, "", err
	}
	rows = rows[:friendsPage]
	last := rows[len(rows)-1]
	next := strconv.FormatInt(last.AddedAt.UnixMicro(), 10) + "." + strconv.FormatInt(last.UserID, 10)
	return rows, "/friends?" + url.Values{param: {next}}.Encode(), nil
}

// parseFriendCursor reads "<added at, unix µs>.<user id>"; anything else
// is the first page, as the wallet's other lists treat a bad ?before=.
func parseFriendCursor(s string) store.FriendCursor {
	at, id, _ := strings.Cut(s, ".")
	us, err1 := strconv.ParseInt(at, 10, 64)
	user, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil || user <= 0 {
		return store.FriendCursor{}
	}
	return store.FriendCursor{AddedAt: time.UnixMicro(us), UserID: user}
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

// friendSearch is the send form's search of the user's friends: those
// whose username, or the part of the real name its mask shows, contains
// q in any case, newest first, at most searchListed; more when others
// match too. It reads the whole list (at most store.MaxFriends rows) and
// filters it here: a search is a person's click, not a hot path.
func (w *Wallet) friendSearch(r *http.Request, c api.Caller, q string) (found []store.Contact, more bool, err error) {
	fs, err := w.cfg.DB.Friends(r.Context(), c.User, store.FriendCursor{}, store.MaxFriends)
	q = strings.ToLower(q)
	for _, f := range fs {
		if !strings.Contains(strings.ToLower(f.Username), q) && !strings.Contains(f.MaskedName, q) {
			continue
		}
		if len(found) == searchListed {
			return found, true, err
		}
		found = append(found, f.Contact)
	}
	return found, false, err
}
