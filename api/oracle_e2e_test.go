package api_test

import (
	"fmt"
	"math"
	"net/http"
	"testing"

	"minipay/api"
	"minipay/app"
	"minipay/store"
	"minipay/store/dbtest"
)

// TestNoBalanceOracleOverHTTP runs the attack of issue 12 over HTTP: a
// user binary-searches another user's balance with transfers sized to
// overflow it exactly when it holds at least the guess (amount = MaxInt64
// - guess + 1), reading a 400 as "it does". Against two receivers with
// very different balances every probe must get a byte-identical problem,
// the search must learn the same, and nothing may move. The search sends
// some 270 transfers at one instant, beyond the default per-user limit on
// money-moving requests: the test lifts it to see the answers themselves.
func TestNoBalanceOracleOverHTTP(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := wire(t, db, func(cfg *app.Config) { cfg.Limits = api.Limits{MovesPerUser: 1_000} })
		mallory := e.signUp(t, "mallory")
		poor := e.signUp(t, "poor")
		rich := e.signUp(t, "rich")
		e.charge(t, rich, 3_000_000)
		everyone := []*user{mallory, poor, rich}
		before := e.books(t, everyone...)

		for _, pending := range []bool{false, true} {
			want := e.probeBalance(t, mallory, poor, pending)
			got := e.probeBalance(t, mallory, rich, pending)
			if len(got) != len(want) {
				t.Fatalf("pending=%v: %d answers for rich, %d for poor", pending, len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("pending=%v, answer %d: rich got %s, poor got %s", pending, i, got[i], want[i])
				}
			}
		}
		e.unchanged(t, "the balance search", before, everyone...)
	})
}

// probeBalance runs the search as from against to, then the amounts just
// over what from can send (3,000,001: nothing held, nothing charged yet),
// and returns every answer and what the search learned.
func (e *env) probeBalance(t *testing.T, from, to *user, pending bool) []string {
	t.Helper()
	var answers []string
	probe := func(amount int64) bool {
		// One request id for every probe: answers are compared whole.
		res := e.do(t, req{method: "POST", path: "/v1/transfers", token: from.Token, header: map[string]string{"X-Request-Id": "probe"},
			body: map[string]any{"to": to.Username, "amount": amount, "require_acceptance": pending}})
		if res.status < 400 {
			t.Fatalf("transfer of %d to %s went through: %v", amount, to.Username, res)
		}
		// Each is beyond what from can cover: their own limit answers.
		checkProblem(t, fmt.Sprintf("transfer of %d to %s", amount, to.Username), res, http.StatusUnprocessableEntity, "charge_limit_exceeded")
		answers = append(answers, res.String())
		return res.status == http.StatusBadRequest
	}
	lo, hi := int64(0), int64(math.MaxInt64)
	for lo < hi {
		guess := lo + (hi-lo)/2 + 1
		if probe(math.MaxInt64 - guess + 1) {
			lo = guess
		} else {
			hi = guess - 1
		}
	}
	for _, amount := range []int64{3_000_001, 3_000_002, math.MaxInt64} {
		probe(amount)
	}
	return append(answers, fmt.Sprintf("learned %d", lo))
}
