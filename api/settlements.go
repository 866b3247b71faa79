package api

import (
	"context"
	"net/http"
	"slices"
	"time"

	"minipay/errs"
	"minipay/ledger"
	"minipay/names"
	"minipay/split"
	"minipay/store"
)

// shareJSON is one participant's part, as the requester and every
// participant see it: the participant's masked real name, never the
// whole of it.
type shareJSON struct {
	ID         int64      `json:"id"`
	Username   string     `json:"username"`
	MaskedName string     `json:"masked_name"`
	Amount     int64      `json:"amount"`
	Status     string     `json:"status"`
	TransferID *int64     `json:"transfer_id,omitempty"`
	SettledAt  *time.Time `json:"settled_at,omitempty"`
}

type settlementJSON struct {
	ID                  int64       `json:"id"`
	Requester           string      `json:"requester"`
	RequesterMaskedName string      `json:"requester_masked_name"`
	Total               int64       `json:"total"`
	Mode                string      `json:"mode"`
	Status              string      `json:"status"`
	CreatedAt           time.Time   `json:"created_at"`
	Shares              []shareJSON `json:"shares"`
}

func toShareJSON(sh store.SettlementShare) shareJSON {
	j := shareJSON{ID: sh.ID, Username: sh.Username, MaskedName: names.Mask(sh.Name), Amount: sh.Amount, Status: sh.Status, SettledAt: optionalTime(sh.SettledAt)}
	if sh.TransferID != 0 {
		j.TransferID = &sh.TransferID
	}
	return j
}

func toSettlementJSON(s store.Settlement) settlementJSON {
	j := settlementJSON{ID: s.ID, Requester: s.RequesterUsername, RequesterMaskedName: names.Mask(s.RequesterName), Total: s.Total, Mode: s.Mode, Status: s.Status(),
		CreatedAt: s.CreatedAt, Shares: make([]shareJSON, len(s.Shares))}
	for i, sh := range s.Shares {
		j.Shares[i] = toShareJSON(sh)
	}
	return j
}

// settlementRequest is the body of POST /v1/settlements. Shares follow
// the order of participants as listed; in equal mode the first total mod n
// of them carry one extra won each (see split.Equal).
type settlementRequest struct {
	Total        *int64   `json:"total"`
	Mode         *string  `json:"mode"`
	Participants []string `json:"participants"`
}

func (q *settlementRequest) Validate() error {
	switch {
	case q.Total == nil:
		return missing("total")
	case q.Mode == nil:
		return missing("mode")
	case *q.Mode != "equal" && *q.Mode != "random":
		return errs.E(errs.Invalid, "mode must be equal or random")
	case len(q.Participants) == 0:
		return errs.E(errs.Invalid, "participants must list at least one username")
	case len(q.Participants) > split.MaxParticipants:
		return errs.E(errs.Invalid, "at most %d participants", split.MaxParticipants)
	}
	seen := map[string]bool{}
	for _, u := range q.Participants {
		if err := readable("participants", u); err != nil {
			return err
		}
		if seen[u] {
			return errs.E(errs.Invalid, "participant %q is listed twice", u)
		}
		seen[u] = true
	}
	return nil
}

// amounts splits the total among the participants.
func (q *settlementRequest) amounts() ([]int64, error) {
	if *q.Mode == "equal" {
		return split.Equal(*q.Total, len(q.Participants))
	}
	return split.Random(*q.Total, len(q.Participants), nil)
}

// createSettlement splits a bill.
func (s *Server) createSettlement(w http.ResponseWriter, r *http.Request, p principal) {
	var req settlementRequest
	if err := readRequest(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := takeForUser(s.limits.settlements, p, s.clock.Now(), "settlements"); err != nil {
		writeError(w, r, err)
		return
	}
	id, replayed, err := s.newSettlement(r, p, &req)
	if errs.CodeOf(err) == errs.RateLimited { // the daily stranger limits
		retryAfter(w, untilTomorrow(s.clock.Now(), s.loc))
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	s.writeSettlement(w, r, p, http.StatusCreated, id)
}

// newSettlement stores the settlement req asks for, once its participants
// are known users other than the caller alone, and returns its id. Under
// an Idempotency-Key a retry answers the settlement the key requested,
// with the shares first drawn, replayed (store.CreateSettlementOnce).
func (s *Server) newSettlement(r *http.Request, p principal, req *settlementRequest) (int64, bool, error) {
	idem, err := idempotency(r)
	if err != nil {
		return 0, false, err
	}
	amounts, err := req.amounts()
	if err != nil {
		return 0, false, err
	}
	return s.storeSettlement(r.Context(), p, req, amounts, idem)
}

// storeSettlement stores req split into amounts, under idem: its id, and
// whether idem had stored it already.
func (s *Server) storeSettlement(ctx context.Context, p principal, req *settlementRequest, amounts []int64, idem store.Idempotency) (int64, bool, error) {
	users, err := s.participants(ctx, p, req.Participants)
	if err != nil {
		return 0, false, err
	}
	requester, err := s.db.User(ctx, p.user)
	if err != nil {
		return 0, false, err
	}
	shares := make([]store.NewShare, len(users))
	for i, u := range users {
		shares[i] = store.NewShare{User: u, Amount: amounts[i]}
	}
	now := s.clock.Now()
	lim := s.limits.strangers
	lim.Since = dayStart(now, s.loc)
	return s.db.CreateSettlementOnce(ctx, idem, requester, *req.Total, *req.Mode, shares, lim, now)
}

// participants are the users of usernames, which must name someone other
// than the caller.
func (s *Server) participants(ctx context.Context, p principal, usernames []string) ([]store.User, error) {
	users, err := s.db.UsersByUsername(ctx, usernames)
	if err == nil && len(users) == 1 && users[0].ID == p.user {
		err = errs.E(errs.Invalid, "a settlement needs someone other than you")
	}
	return users, err
}

func (s *Server) listSettlements(w http.ResponseWriter, r *http.Request, p principal) {
	q := r.URL.Query()
	role, err := enumParam(q, "role", "requester", "participant")
	if err != nil {
		writeError(w, r, err)
		return
	}
	if role == "" {
		role = "requester"
	}
	limit, before, err := readPage(q)
	if err != nil {
		writeError(w, r, err)
		return
	}
	rows, err := s.db.Settlements(r.Context(), p.user, role, before, limit+1)
	if err != nil {
		writeError(w, r, err)
		return
	}
	list, next := pageOf(rows, limit, func(st store.Settlement) int64 { return st.ID })
	out := make([]settlementJSON, len(list))
	for i, st := range list {
		out[i] = toSettlementJSON(st)
	}
	writeJSON(w, http.StatusOK, map[string]any{"settlements": out, "next_cursor": next})
}

func (s *Server) getSettlement(w http.ResponseWriter, r *http.Request, p principal) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.writeSettlement(w, r, p, http.StatusOK, id)
}

// writeSettlement answers with settlement id as the caller sees it.
func (s *Server) writeSettlement(w http.ResponseWriter, r *http.Request, p principal, status int, id int64) {
	st, err := s.db.Settlement(r.Context(), p.user, id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, status, toSettlementJSON(st))
}

// actOnShare handles pay and decline: one engine command on the share,
// answered with the share as it now stands (and, for pay, what was
// auto-charged).
func (s *Server) actOnShare(build func(p principal, settlement, share int64) ledger.Command) func(http.ResponseWriter, *http.Request, principal) {
	return func(w http.ResponseWriter, r *http.Request, p principal) {
		id, err := pathID(r, "id")
		if err != nil {
			writeError(w, r, err)
			return
		}
		shareID, err := pathID(r, "share_id")
		if err != nil {
			writeError(w, r, err)
			return
		}
		s.move(w, r, p, http.StatusOK, build(p, id, shareID), func(res store.Result) (any, error) {
			st, err := s.db.Settlement(r.Context(), p.user, id)
			if err != nil {
				return nil, err
			}
			i := slices.IndexFunc(st.Shares, func(sh store.SettlementShare) bool { return sh.ID == shareID })
			if i < 0 {
				return nil, errs.E(errs.NotFound, "settlement %d has no share %d", id, shareID)
			}
			return struct {
				shareJSON
				Charged          int64  `json:"charged"`
				SettlementStatus string `json:"settlement_status"`
			}{toShareJSON(st.Shares[i]), res.Receipt.Charged, st.Status()}, nil
		})
	}
}
