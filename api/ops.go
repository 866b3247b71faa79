package api

import (
	_ "embed"
	"net/http"

	"minipay/errs"
)

// The operator's endpoints: /healthz, /openapi.json (/metrics is
// Prometheus's handler, in the route table).

//go:embed openapi.json
var openAPI []byte

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if err := s.db.Ping(r.Context()); err != nil {
		writeError(w, r, errs.E(errs.Internal, "database unreachable"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
