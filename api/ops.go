package api

import (
	"context"
	_ "embed"
	"net/http"
	"time"

	"minipay/errs"
)

// The operator's endpoints: /livez, /readyz (and /healthz, its old name),
// /openapi.json (/metrics is Prometheus's handler, in the route table).

//go:embed openapi.json
var openAPI []byte

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI)
}

// livez says the process serves HTTP. It never touches the database: a
// liveness probe that failed during a database outage would restart every
// server at once and fix nothing.
func livez(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyTimeout bounds a readiness check: a database slower than this to
// take a write lock is not one to send traffic to.
const readyTimeout = time.Second

// readyz says whether to send this server traffic: the database takes a
// write lock on accounts in time, its schema is the one this build
// expects, and the writer is not stuck on a batch past its deadline.
// Not ready is 503 unavailable.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	err := s.db.Ready(ctx)
	if err == nil {
		err = s.writer.Ready()
	}
	if err != nil {
		infoOf(r.Context()).logger().Warn("not ready", "err", err)
		writeError(w, r, errs.E(errs.Unavailable, "not ready: %v", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
