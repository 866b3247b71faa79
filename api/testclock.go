package api

import (
	"net/http"
	"time"

	"minipay/errs"
)

// advanceRequest is the body of POST /v1/test-clock/advance.
type advanceRequest struct {
	Seconds *int64 `json:"seconds"`
}

// maxAdvance bounds one advance: ten years.
const maxAdvance = 10 * 366 * 86400

func (q *advanceRequest) Validate() error {
	if q.Seconds == nil || *q.Seconds <= 0 || *q.Seconds > maxAdvance {
		return errs.E(errs.Invalid, "seconds must be a positive number of seconds, at most ten years")
	}
	return nil
}

// advanceClock moves the test clock and runs every job that became due,
// so the answer's time already has their effects.
func (s *Server) advanceClock(w http.ResponseWriter, r *http.Request) {
	var req advanceRequest
	if err := readRequest(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	now := s.testClock.Advance(time.Duration(*req.Seconds) * time.Second)
	if s.afterAdvance != nil {
		if err := s.afterAdvance(r.Context()); err != nil {
			writeError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]time.Time{"now": now})
}
