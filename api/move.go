package api

import (
	"net/http"

	"minipay/ledger"
)

// move submits cmd to the engine under the request's Idempotency-Key and
// answers status and respond(receipt). A replay answers the same, marked
// with Idempotent-Replayed: true.
func (s *Server) move(w http.ResponseWriter, r *http.Request, p principal, status int, cmd ledger.Command, respond func(ledger.Receipt) (any, error)) {
	key, err := idempotencyKey(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	receipt, replayed, err := s.writer.Do(r.Context(), p.user, key, cmd)
	if err != nil {
		writeError(w, r, err)
		return
	}
	body, err := respond(receipt)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeJSON(w, status, body)
}
