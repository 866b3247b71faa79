package api

import (
	"context"
	"net/http"

	"minipay/ledger"
	"minipay/store"
)

// move submits cmd to the engine under the request's Idempotency-Key and
// answers status and respond(result). A replay answers the same, marked
// with Idempotent-Replayed: true. Each request counts against the user's
// limit on money-moving requests, replays too: a retrying script is still
// a script.
func (s *Server) move(w http.ResponseWriter, r *http.Request, p principal, status int, cmd ledger.Command, respond func(store.Result) (any, error)) {
	idem, err := idempotency(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	res, err := s.submit(r.Context(), p, idem, cmd)
	if err != nil {
		writeError(w, r, err)
		return
	}
	body, err := respond(res)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if res.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeJSON(w, status, body)
}

// submit counts a money-moving request against p's limit and hands cmd
// to the engine: the one path of money for the API and the web wallet.
func (s *Server) submit(ctx context.Context, p principal, idem store.Idempotency, cmd ledger.Command) (store.Result, error) {
	if err := takeForUser(s.limits.moves, p, s.clock.Now(), "money-moving requests"); err != nil {
		return store.Result{}, err
	}
	return s.writer.Do(ctx, p.user, idem, cmd)
}
