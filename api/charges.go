package api

import (
	"net/http"

	"minipay/ledger"
	"minipay/store"
)

// Charges (top-ups from the user's bank into main) and the daily charge
// limit they count against.

func (s *Server) charge(w http.ResponseWriter, r *http.Request, p principal) {
	amount, err := readAmount(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.move(w, r, p, http.StatusCreated, ledger.Charge{User: p.user, Account: p.main, Amount: amount}, func(res store.Result) (any, error) {
		return movementJSON{TransactionID: res.TransactionID, Amount: res.Receipt.Amount, MainBalance: res.Receipt.MainBalance}, nil
	})
}

func (s *Server) chargeLimit(w http.ResponseWriter, r *http.Request, p principal) {
	l, err := s.db.ChargeLimit(r.Context(), p.user, s.clock.Now(), s.loc)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"day": l.Day, "limit": l.Limit, "used": l.Used, "remaining": l.Remaining})
}
