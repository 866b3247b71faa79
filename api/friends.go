package api

import (
	"net/http"
	"time"

	"minipay/errs"
	"minipay/store"
)

// Friends (store/friends.go) and recent recipients: whom the wallet
// offers first when sending or requesting money. Other users appear by
// username and masked real name only.

// maxUsername is the longest username sign-up accepts.
const maxUsername = 32

// recentRecipients is how many recent recipients GET
// /v1/recipients/recent answers.
const recentRecipients = 10

type contactJSON struct {
	Username   string `json:"username"`
	MaskedName string `json:"masked_name"`
}

type friendJSON struct {
	contactJSON
	AddedAt time.Time `json:"added_at"`
}

func toContactJSON(c store.Contact) contactJSON {
	return contactJSON{Username: c.Username, MaskedName: c.MaskedName}
}

func toFriendJSON(f store.Friend) friendJSON {
	return friendJSON{contactJSON: toContactJSON(f.Contact), AddedAt: f.AddedAt}
}

// addFriendRequest is the body of POST /v1/friends.
type addFriendRequest struct {
	Username *string `json:"username"`
}

func (q *addFriendRequest) Validate() error {
	if q.Username == nil || *q.Username == "" {
		return missing("username")
	}
	return checkText("username", *q.Username, maxUsername)
}

// addFriend answers 201 for a new friend and 200, with the same body, for
// one added before.
func (s *Server) addFriend(w http.ResponseWriter, r *http.Request, p principal) {
	var req addFriendRequest
	if err := readRequest(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	f, added, err := s.db.AddFriend(r.Context(), p.user, *req.Username, s.clock.Now())
	if err != nil {
		writeError(w, r, err)
		return
	}
	status := http.StatusOK
	if added {
		status = http.StatusCreated
	}
	writeJSON(w, status, toFriendJSON(f))
}

// listFriends lists my friends, or with ?direction=added_me those who
// added me and whom I have not added.
func (s *Server) listFriends(w http.ResponseWriter, r *http.Request, p principal) {
	q := r.URL.Query()
	list := s.db.Friends
	switch q.Get("direction") {
	case "", "mine":
	case "added_me":
		list = s.db.AddedMe
	default:
		writeError(w, r, errs.E(errs.Invalid, "direction must be mine or added_me"))
		return
	}
	limit, err := pageLimit(q.Get("limit"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	at, id, err := decodeTimeCursor(q.Get("cursor"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	page, err := list(r.Context(), p.user, store.FriendCursor{AddedAt: at, UserID: id}, limit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]friendJSON, len(page))
	for i, f := range page {
		out[i] = toFriendJSON(f)
	}
	var next *string
	if len(page) == limit {
		c := encodeTimeCursor(page[len(page)-1].AddedAt, page[len(page)-1].UserID)
		next = &c
	}
	writeJSON(w, http.StatusOK, map[string]any{"friends": out, "next_cursor": next})
}

func (s *Server) removeFriend(w http.ResponseWriter, r *http.Request, p principal) {
	username := r.PathValue("username")
	if err := checkText("username", username, maxUsername); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.db.RemoveFriend(r.Context(), p.user, username); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// listRecentRecipients answers whom I sent transfers to lately, newest
// first, without amounts.
func (s *Server) listRecentRecipients(w http.ResponseWriter, r *http.Request, p principal) {
	cs, err := s.db.RecentRecipients(r.Context(), p.user, recentRecipients)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]contactJSON, len(cs))
	for i, c := range cs {
		out[i] = toContactJSON(c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"recipients": out})
}
