package api

import (
	"net/http"
	"slices"
	"time"

	"minipay/errs"
	"minipay/ledger"
	"minipay/split"
	"minipay/store"
)

type shareJSON struct {
	ID         int64      `json:"id"`
	Username   string     `json:"username"`
	Name       string     `json:"name"`
	Amount     int64      `json:"amount"`
	Status     string     `json:"status"`
	TransferID *int64     `json:"transfer_id,omitempty"`
	SettledAt  *time.Time `json:"settled_at,omitempty"`
}

type settlementJSON struct {
	ID        int64       `json:"id"`
	Requester string      `json:"requester"`
	Total     int64       `json:"total"`
	Mode      string      `json:"mode"`
	Status    string      `json:"status"`
	CreatedAt time.Time   `json:"created_at"`
	Shares    []shareJSON `json:"shares"`
}

func toShareJSON(sh store.SettlementShare) shareJSON {
	j := shareJSON{ID: sh.ID, Username: sh.Username, Name: sh.Name, Amount: sh.Amount, Status: sh.Status, SettledAt: optionalTime(sh.SettledAt)}
	if sh.TransferID != 0 {
		j.TransferID = &sh.TransferID
	}
	return j
}

func toSettlementJSON(s store.Settlement) settlementJSON {
	j := settlementJSON{ID: s.ID, Requester: s.RequesterUsername, Total: s.Total, Mode: s.Mode, Status: s.Status(),
		CreatedAt: s.CreatedAt, Shares: make([]shareJSON, len(s.Shares))}
	for i, sh := range s.Shares {
		j.Shares[i] = toShareJSON(sh)
	}
	return j
}

// createSettlement splits a bill. Shares follow the order of participants
// as listed; in equal mode the first total mod n of them carry one extra
// won each (see split.Equal).
func (s *Server) createSettlement(w http.ResponseWriter, r *http.Request, p principal) {
	var req struct {
		Total        *int64   `json:"total"`
		Mode         *string  `json:"mode"`
		Participants []string `json:"participants"`
	}
	if err := decode(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	total, err := required("total", req.Total)
	var mode string
	if err == nil {
		mode, err = required("mode", req.Mode)
	}
	if err == nil && mode != "equal" && mode != "random" {
		err = errs.E(errs.Invalid, "mode must be equal or random")
	}
	if err == nil && len(req.Participants) == 0 {
		err = errs.E(errs.Invalid, "participants must list at least one username")
	}
	if err == nil && len(req.Participants) > split.MaxParticipants {
		err = errs.E(errs.Invalid, "at most %d participants", split.MaxParticipants)
	}
	if err == nil {
		seen := map[string]bool{}
		for _, u := range req.Participants {
			if seen[u] {
				err = errs.E(errs.Invalid, "participant %q is listed twice", u)
				break
			}
			seen[u] = true
		}
	}
	var amounts []int64
	if err == nil {
		if mode == "equal" {
			amounts, err = split.Equal(total, len(req.Participants))
		} else {
			amounts, err = split.Random(total, len(req.Participants), nil)
		}
	}
	var users []store.User
	if err == nil {
		users, err = s.db.UsersByUsername(r.Context(), req.Participants)
	}
	var requester store.User
	if err == nil {
		requester, err = s.db.User(r.Context(), p.user)
	}
	if err == nil && len(users) == 1 && users[0].ID == p.user {
		err = errs.E(errs.Invalid, "a settlement needs someone other than you")
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	shares := make([]store.NewShare, len(users))
	for i, u := range users {
		shares[i] = store.NewShare{User: u, Amount: amounts[i]}
	}
	id, err := s.db.CreateSettlement(r.Context(), requester, total, mode, shares, s.clock.Now())
	if err != nil {
		writeError(w, r, err)
		return
	}
	st, err := s.db.Settlement(r.Context(), p.user, id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toSettlementJSON(st))
}

func (s *Server) listSettlements(w http.ResponseWriter, r *http.Request, p principal) {
	role := r.URL.Query().Get("role")
	if role == "" {
		role = "requester"
	}
	if role != "requester" && role != "participant" {
		writeError(w, r, errs.E(errs.Invalid, "role must be requester or participant"))
		return
	}
	limit, err := pageLimit(r.URL.Query().Get("limit"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	list, err := s.db.Settlements(r.Context(), p.user, role, limit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]settlementJSON, len(list))
	for i, st := range list {
		out[i] = toSettlementJSON(st)
	}
	writeJSON(w, http.StatusOK, map[string]any{"settlements": out})
}

func (s *Server) getSettlement(w http.ResponseWriter, r *http.Request, p principal) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	st, err := s.db.Settlement(r.Context(), p.user, id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toSettlementJSON(st))
}

// actOnShare handles pay and decline: one engine command on the share,
// answered with the share as it now stands (and, for pay, what was
// auto-charged).
func (s *Server) actOnShare(build func(p principal, settlement, share int64) ledger.Command) func(http.ResponseWriter, *http.Request, principal) {
	return func(w http.ResponseWriter, r *http.Request, p principal) {
		id, err := pathID(r, "id")
		var shareID int64
		if err == nil {
			shareID, err = pathID(r, "share_id")
		}
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
