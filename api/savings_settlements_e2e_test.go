package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"minipay/client"
	"minipay/names"
	"minipay/store"
	"minipay/store/dbtest"
)

// This file drives savings (with the test clock) and settlements end to
// end over HTTP. Its helpers carry an ss prefix so they cannot collide
// with helpers other test files add.

// ssSavings is the savings object of a savings account.
type ssSavings struct {
	AnnualRateBP       int64      `json:"annual_rate_bp"`
	Principal          int64      `json:"principal"`
	InterestPaid       int64      `json:"interest_paid"`
	InterestThrough    string     `json:"interest_through"`
	NextInstallmentAt  *time.Time `json:"next_installment_at"`
	MissedInstallments int64      `json:"missed_installments"`
}

// ssAccount is an account with its savings object.
type ssAccount struct {
	ID          int64      `json:"id"`
	Kind        string     `json:"kind"`
	Product     *string    `json:"product"`
	Balance     int64      `json:"balance"`
	DailyAmount int64      `json:"daily_amount"`
	Status      string     `json:"status"`
	Savings     *ssSavings `json:"savings"`
}

// ssEntry is one entry of GET /v1/accounts/{id}/history, printed for
// reading in failures.
type ssEntry client.HistoryEntry

func (h ssEntry) String() string {
	s := fmt.Sprintf("{%s %+d → %d at %s cp:%+v", h.Kind, h.Amount, h.BalanceAfter, h.At.In(seoul).Format(time.DateTime), h.Counterparty)
	if h.TransferID != nil {
		s += fmt.Sprintf(" transfer:%d", *h.TransferID)
	}
	if h.SettlementID != nil {
		s += fmt.Sprintf(" settlement:%d", *h.SettlementID)
	}
	return s + "}"
}

func (e *env) ssAccount(t *testing.T, u *user, id int64) ssAccount {
	t.Helper()
	var a ssAccount
	e.ok(t, req{method: "GET", path: fmt.Sprintf("/v1/accounts/%d", id), token: u.Token}, http.StatusOK, &a)
	if a.ID != id {
		t.Fatalf("GET /v1/accounts/%d answered account %d", id, a.ID)
	}
	return a
}

// ssHistory is the whole history of an account, oldest first, and
// requires each entry's balance_after to follow from the one before.
func (e *env) ssHistory(t *testing.T, u *user, account int64) []ssEntry {
	t.Helper()
	var out struct {
		Entries    []ssEntry `json:"entries"`
		NextCursor *string   `json:"next_cursor"`
	}
	e.ok(t, req{method: "GET", path: fmt.Sprintf("/v1/accounts/%d/history?limit=100", account), token: u.Token}, http.StatusOK, &out)
	if out.NextCursor != nil {
		t.Fatalf("account %d has more than 100 history entries", account)
	}
	h := slices.Clone(out.Entries)
	slices.Reverse(h)
	var bal int64
	for i, x := range h {
		if i > 0 && x.ID <= h[i-1].ID {
			t.Errorf("account %d: history not newest first: %v", account, out.Entries)
		}
		bal += x.Amount
		if x.BalanceAfter != bal {
			t.Errorf("account %d: entry %d %v has balance_after %d, want %d from the entries before", account, i, x, x.BalanceAfter, bal)
			bal = x.BalanceAfter
		}
	}
	return h
}

func ssOfKind(h []ssEntry, kind string) []ssEntry {
	var out []ssEntry
	for _, x := range h {
		if x.Kind == kind {
			out = append(out, x)
		}
	}
	return out
}

func (e *env) ssInbox(t *testing.T, u *user) []client.Notification {
	t.Helper()
	var out struct {
		Notifications []client.Notification `json:"notifications"`
		NextCursor    *string               `json:"next_cursor"`
	}
	e.ok(t, req{method: "GET", path: "/v1/notifications?limit=100", token: u.Token}, http.StatusOK, &out)
	if out.NextCursor != nil {
		t.Fatalf("%s has more than 100 notifications", u.Username)
	}
	return out.Notifications
}

func ssNotices(ns []client.Notification, kind string) []client.Notification {
	var out []client.Notification
	for _, n := range ns {
		if n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}

// ssInterest is the exact interest owed through the closing principals:
// floor(Σ closing principal × rate / 3,650,000).
func ssInterest(rateBP int64, closing []int64) int64 {
	var sum int64
	for _, p := range closing {
		sum += p * rateBP
	}
	return sum / 3_650_000
}

// ssDailyInterest is what each day's interest entry must be: the growth
// of the exact floor, skipping days that pay nothing.
func ssDailyInterest(rateBP int64, closing []int64) []int64 {
	var out []int64
	var paid int64
	for i := range closing {
		if due := ssInterest(rateBP, closing[:i+1]); due > paid {
			out = append(out, due-paid)
			paid = due
		}
	}
	return out
}

func ssAmounts(h []ssEntry) []int64 {
	out := make([]int64, len(h))
	for i, x := range h {
		out[i] = x.Amount
	}
	return out
}

// TestSavingsWithTestClock: a fixed savings account takes its installment
// every day at 08:00 (auto-charging 10,000 when main is one won short),
// interest is posted every day at 04:00 exactly as the formula says, a free
// savings account earns, pays out and closes, an installment the charge
// limit forbids is missed and notified, and fixed savings take no ad-hoc
// deposits or withdrawals.
func TestSavingsWithTestClock(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestClockEnv(t, db)
		u := e.signUp(t, "saver")
		// day n is n days after start (2026-03-10, a Tuesday).
		day := func(n int) string { return start.AddDate(0, 0, n).Format(time.DateOnly) }
		at := func(n, h, m, s int) time.Time { return time.Date(2026, 3, 10+n, h, m, s, 0, seoul) }
		// Tokens live 24 hours of clock time: log in again before that.
		loggedIn := e.clock.Now()
		to := func(t *testing.T, target time.Time) {
			t.Helper()
			e.advance(t, target.Sub(e.clock.Now()))
			if e.clock.Now().Sub(loggedIn) >= 20*time.Hour {
				e.relogin(t, u)
				loggedIn = e.clock.Now()
			}
		}

		var fixed, free ssAccount
		var freePath string
		var freeClose []int64
		var freeInterest int64
		// fixedClose[n] is the fixed account's principal at the end of day n.
		fixedClose := []int64{0}
		var principal, mainWant int64 = 0, 29_999
		checkFixed := func(t *testing.T, what string, next time.Time, missed int64) ssAccount {
			t.Helper()
			a := e.ssAccount(t, u, fixed.ID)
			s := a.Savings
			if s == nil || s.Principal != principal || a.Balance != principal+s.InterestPaid || s.MissedInstallments != missed ||
				s.NextInstallmentAt == nil || !s.NextInstallmentAt.Equal(next) {
				t.Fatalf("%s: fixed savings %+v savings %+v; want principal %d, balance principal+interest, %d missed, next installment %v",
					what, a, s, principal, missed, next)
			}
			if got := e.mainBalance(t, u); got != mainWant {
				t.Fatalf("%s: main holds %d, want %d", what, got, mainWant)
			}
			return a
		}
		checkInterest := func(t *testing.T, what string, a ssAccount, rate int64, closing []int64, through int) {
			t.Helper()
			if want := ssInterest(rate, closing); a.Savings.InterestPaid != want || a.Savings.InterestThrough != day(through) {
				t.Errorf("%s: account %d interest_paid %d through %s; want %d = floor(Σ %v × %d / 3,650,000) through %s",
					what, a.ID, a.Savings.InterestPaid, a.Savings.InterestThrough, want, closing, rate, day(through))
			}
		}

		step(t, "open fixed savings", func(t *testing.T) {
			e.ok(t, req{method: "POST", path: "/v1/accounts", token: u.Token, body: map[string]any{"product": "fixed", "daily_amount": 10_000}}, http.StatusCreated, &fixed)
			if fixed.Kind != "savings" || fixed.Product == nil || *fixed.Product != "fixed" || fixed.DailyAmount != 10_000 || fixed.Balance != 0 ||
				fixed.Status != "open" || fixed.Savings == nil {
				t.Fatalf("open fixed savings answered %+v", fixed)
			}
			if s := *fixed.Savings; s.AnnualRateBP != 500 || s.Principal != 0 || s.InterestPaid != 0 || s.MissedInstallments != 0 ||
				s.InterestThrough != day(-1) || s.NextInstallmentAt == nil || !s.NextInstallmentAt.Equal(at(1, 8, 0, 0)) {
				t.Fatalf("new fixed savings: %+v (next %v); want rate 500, nothing paid, next installment at %v", s, s.NextInstallmentAt, at(1, 8, 0, 0))
			}
			if got := fixed.Savings.NextInstallmentAt.In(seoul); got.Format(time.DateTime) != "2026-03-11 08:00:00" {
				t.Errorf("next_installment_at is %v in Seoul, want 2026-03-11 08:00:00", got)
			}
			e.charge(t, u, 29_999)
		})

		step(t, "five days of installments", func(t *testing.T) {
			// Five days of installments: days 1 and 2 from main, day 3 one
			// won short (auto-charge 10,000), then topped up by hand.
			for n := 1; n <= 5; n++ {
				to(t, at(n, 8, 0, 1))
				principal += 10_000
				if mainWant < 10_000 {
					mainWant += 10_000
				}
				mainWant -= 10_000
				a := checkFixed(t, fmt.Sprintf("day %d 08:00", n), at(n+1, 8, 0, 0), 0)
				checkInterest(t, fmt.Sprintf("day %d 08:00", n), a, 500, fixedClose, n-1)
				if n == 3 {
					if l := e.limit(t, u); l.Day != day(3) || l.Used != 10_000 {
						t.Fatalf("day 3: charge limit %+v; want 10,000 auto-charged", l)
					}
					e.charge(t, u, 20_001)
					mainWant += 20_001
				}
				to(t, at(n+1, 4, 0, 1))
				fixedClose = append(fixedClose, principal)
				a = checkFixed(t, fmt.Sprintf("day %d 04:00", n+1), at(n+1, 8, 0, 0), 0)
				checkInterest(t, fmt.Sprintf("day %d 04:00", n+1), a, 500, fixedClose, n)
			}

			mainH := e.ssHistory(t, u, u.Main)
			if charges := ssOfKind(mainH, "charge"); len(charges) != 3 || charges[0].Amount != 29_999 || charges[1].Amount != 10_000 ||
				charges[1].BalanceAfter != 19_999 || charges[2].Amount != 20_001 {
				t.Errorf("main's charges after five installments: %v; want 29,999, the auto-charge of 10,000 (one won short), 20,001", charges)
			}
			if ins := ssOfKind(mainH, "installment"); len(ins) != 5 {
				t.Errorf("main's installment debits: %v; want 5", ins)
			}
		})

		step(t, "free savings earn from day 6", func(t *testing.T) {
			// A free savings account, 3%: deposit on day 6.
			e.charge(t, u, 1_000_000) // day 6, 04:00:01
			mainWant += 1_000_000
			e.ok(t, req{method: "POST", path: "/v1/accounts", token: u.Token, body: map[string]any{"product": "free"}}, http.StatusCreated, &free)
			if free.Savings == nil || free.Savings.AnnualRateBP != 300 || free.Savings.NextInstallmentAt != nil || free.Savings.InterestThrough != day(5) {
				t.Fatalf("open free savings answered %+v (savings %+v)", free, free.Savings)
			}
			freePath = fmt.Sprintf("/v1/accounts/%d", free.ID)
			var m client.SavingsMovement
			e.ok(t, req{method: "POST", path: freePath + "/deposits", token: u.Token, body: map[string]int64{"amount": 1_000_000}}, http.StatusCreated, &m)
			mainWant -= 1_000_000
			if m.MainBalance != mainWant || m.SavingsBalance != 1_000_000 {
				t.Fatalf("deposit 1,000,000 answered %+v", m)
			}
			freeClose = []int64{0, 0, 0, 0, 0, 0}

			to(t, at(6, 8, 0, 1)) // installment 6 empties main
			principal += 10_000
			mainWant -= 10_000
			checkFixed(t, "day 6 08:00", at(7, 8, 0, 0), 0)
			if mainWant != 0 {
				t.Fatalf("test arithmetic: main should be empty, is %d", mainWant)
			}

			to(t, at(7, 4, 0, 1))
			fixedClose = append(fixedClose, principal)
			freeClose = append(freeClose, 1_000_000)
			checkInterest(t, "day 7 04:00", checkFixed(t, "day 7 04:00", at(7, 8, 0, 0), 0), 500, fixedClose, 6)
			fa := e.ssAccount(t, u, free.ID)
			checkInterest(t, "free, day 7 04:00", fa, 300, freeClose, 6)
			if fa.Savings.InterestPaid != 82 || fa.Balance != 1_000_082 || fa.Savings.Principal != 1_000_000 {
				t.Errorf("free savings after a day of 1,000,000 at 3%%: %+v %+v; want 82 won interest", fa, fa.Savings)
			}
		})

		step(t, "day 7 installment missed at the charge limit", func(t *testing.T) {
			// Day 7: the whole daily limit charged and main emptied before
			// 08:00, so the installment is missed.
			e.charge(t, u, 3_000_000)
			e.ok(t, req{method: "POST", path: freePath + "/deposits", token: u.Token, body: map[string]int64{"amount": 3_000_000}}, http.StatusCreated, nil)
			if l := e.limit(t, u); l.Day != day(7) || l.Remaining != 0 {
				t.Fatalf("day 7 limit %+v; want nothing remaining", l)
			}
			before := dbtest.Audit(t, db)
			fixedBefore := e.ssAccount(t, u, fixed.ID)
			to(t, at(7, 8, 0, 1))
			after := dbtest.Audit(t, db)
			if after.Transactions != before.Transactions || after.Entries != before.Entries || after.UserMoney != before.UserMoney {
				t.Errorf("the missed installment moved money: before %+v after %+v", before, after)
			}
			fa2 := checkFixed(t, "day 7 08:00 (missed)", at(8, 8, 0, 0), 1)
			if fa2.Balance != fixedBefore.Balance {
				t.Errorf("missed installment: fixed balance %d, was %d", fa2.Balance, fixedBefore.Balance)
			}
			if ns := ssNotices(e.ssInbox(t, u), "installment_missed"); len(ns) != 1 || ns[0].AccountID != fixed.ID || ns[0].Day != day(7) ||
				ns[0].Amount != 10_000 || ns[0].Reason == "" {
				t.Errorf("installment_missed notifications: %+v; want one for account %d, day %s, 10,000", ns, fixed.ID, day(7))
			}
		})

		step(t, "day 8 free savings interest, withdrawal and close", func(t *testing.T) {
			// Day 8, 04:00: interest for day 7; then withdraw and close the
			// free account.
			to(t, at(8, 4, 0, 1))
			fixedClose = append(fixedClose, principal)
			freeClose = append(freeClose, 4_000_000)
			checkInterest(t, "day 8 04:00", checkFixed(t, "day 8 04:00", at(8, 8, 0, 0), 1), 500, fixedClose, 7)
			fa := e.ssAccount(t, u, free.ID)
			checkInterest(t, "free, day 8 04:00", fa, 300, freeClose, 7)
			freeInterest = fa.Savings.InterestPaid
			if freeInterest != 410 {
				t.Errorf("free savings interest %d, want 410 (1,000,000 + 4,000,000 won-days at 3%%)", freeInterest)
			}
			var m client.SavingsMovement
			e.ok(t, req{method: "POST", path: freePath + "/withdrawals", token: u.Token, body: map[string]int64{"amount": 1_500_000}}, http.StatusCreated, &m)
			mainWant += 1_500_000
			if m.MainBalance != mainWant || m.SavingsBalance != 2_500_000+freeInterest {
				t.Fatalf("withdraw 1,500,000 answered %+v", m)
			}
			if fa = e.ssAccount(t, u, free.ID); fa.Savings.Principal != 2_500_000 {
				t.Errorf("after withdrawing 1,500,000 of 4,000,000 the principal is %d", fa.Savings.Principal)
			}
			var closed struct {
				ssAccount
				ReturnedToMain int64 `json:"returned_to_main"`
				MainBalance    int64 `json:"main_balance"`
			}
			e.ok(t, req{method: "POST", path: freePath + "/close", token: u.Token}, http.StatusOK, &closed)
			mainWant += 2_500_000 + freeInterest
			if closed.Status != "closed" || closed.Balance != 0 || closed.ReturnedToMain != 2_500_000+freeInterest || closed.MainBalance != mainWant {
				t.Fatalf("close free savings answered %+v; want %d returned, main %d", closed, 2_500_000+freeInterest, mainWant)
			}
			freeH := e.ssHistory(t, u, free.ID)
			if got, want := ssAmounts(ssOfKind(freeH, "interest")), ssDailyInterest(300, freeClose); !slices.Equal(got, want) {
				t.Errorf("free savings interest entries %v, want %v", got, want)
			}
			wantKinds := []string{"savings_deposit", "interest", "savings_deposit", "interest", "savings_withdrawal", "savings_close"}
			if kinds := func() []string {
				var k []string
				for _, x := range freeH {
					k = append(k, x.Kind)
				}
				return k
			}(); !slices.Equal(kinds, wantKinds) || freeH[len(freeH)-1].BalanceAfter != 0 {
				t.Errorf("free savings history %v; want kinds %v ending at 0", freeH, wantKinds)
			}
		})

		step(t, "fixed savings take only their installment", func(t *testing.T) {
			// Fixed savings take only their installment.
			fixedPath := fmt.Sprintf("/v1/accounts/%d", fixed.ID)
			e.rejects(t, req{method: "POST", path: fixedPath + "/deposits", token: u.Token, body: `{"amount": 10000}`}, http.StatusBadRequest, "invalid", u)
			e.rejects(t, req{method: "POST", path: fixedPath + "/withdrawals", token: u.Token, body: `{"amount": 1}`}, http.StatusBadRequest, "invalid", u)
		})

		step(t, "installments resume after the miss", func(t *testing.T) {
			// Day 8, 08:00: installments resume after the miss.
			to(t, at(8, 8, 0, 1))
			principal += 10_000
			mainWant -= 10_000
			fixedNow := checkFixed(t, "day 8 08:00", at(9, 8, 0, 0), 1)

			// The fixed account's history: one installment a day except day 7,
			// and the interest entries the formula predicts.
			fixedH := e.ssHistory(t, u, fixed.ID)
			var days []string
			for _, x := range ssOfKind(fixedH, "installment") {
				if x.Amount != 10_000 || x.Counterparty.AccountID != u.Main {
					t.Errorf("installment entry %v; want +10,000 from main account %d", x, u.Main)
				}
				days = append(days, x.At.In(seoul).Format(time.DateOnly))
			}
			if want := []string{day(1), day(2), day(3), day(4), day(5), day(6), day(8)}; !slices.Equal(days, want) {
				t.Errorf("installments on %v, want %v", days, want)
			}
			interest := ssOfKind(fixedH, "interest")
			var interestSum int64
			for _, x := range interest {
				interestSum += x.Amount
			}
			if got, want := ssAmounts(interest), ssDailyInterest(500, fixedClose); !slices.Equal(got, want) {
				t.Errorf("fixed savings interest entries %v, want %v (closing principals %v)", got, want, fixedClose)
			}
			if want := ssInterest(500, fixedClose); interestSum != want || fixedNow.Savings.InterestPaid != want || fixedNow.Savings.Principal != 70_000 {
				t.Errorf("fixed savings: interest entries sum to %d, interest_paid %d, principal %d; want %d, %d, 70,000",
					interestSum, fixedNow.Savings.InterestPaid, fixedNow.Savings.Principal, want, want)
			}
			if len(fixedH) != 7+len(interest) || fixedH[len(fixedH)-1].BalanceAfter != fixedNow.Balance {
				t.Errorf("fixed savings history %v; want 7 installments and the interest, ending at balance %d", fixedH, fixedNow.Balance)
			}
		})

		step(t, "main's whole history and the audit", func(t *testing.T) {
			// Main's whole history, oldest first.
			type row struct {
				kind          string
				amount, after int64
			}
			want := []row{
				{"charge", 29_999, 29_999},
				{"installment", -10_000, 19_999},
				{"installment", -10_000, 9_999},
				{"charge", 10_000, 19_999}, // one won short: 10,000 charged
				{"installment", -10_000, 9_999},
				{"charge", 20_001, 30_000},
				{"installment", -10_000, 20_000},
				{"installment", -10_000, 10_000},
				{"charge", 1_000_000, 1_010_000},
				{"savings_deposit", -1_000_000, 10_000},
				{"installment", -10_000, 0},
				{"charge", 3_000_000, 3_000_000},
				{"savings_deposit", -3_000_000, 0},
				{"savings_withdrawal", 1_500_000, 1_500_000},
				{"savings_close", 2_500_000 + freeInterest, 4_000_000 + freeInterest},
				{"installment", -10_000, 3_990_000 + freeInterest},
			}
			mainH := e.ssHistory(t, u, u.Main)
			var got []row
			for _, x := range mainH {
				got = append(got, row{x.Kind, x.Amount, x.BalanceAfter})
			}
			if !slices.Equal(got, want) {
				t.Errorf("main history:\n got  %v\n want %v", got, want)
			}
			for _, x := range mainH {
				switch x.Kind {
				case "installment":
					if x.Counterparty.AccountID != fixed.ID {
						t.Errorf("main installment entry %v; want counterparty account %d", x, fixed.ID)
					}
				case "savings_close", "savings_withdrawal":
					if x.Counterparty.AccountID != free.ID {
						t.Errorf("main %s entry %v; want counterparty account %d", x.Kind, x, free.ID)
					}
				}
			}
			if n := len(slices.DeleteFunc(ssOfKind(mainH, "charge"), func(x ssEntry) bool { return x.Amount != 10_000 })); n != 1 {
				t.Errorf("main has %d charge entries of 10,000; want exactly one (the one-won shortfall)", n)
			}
			if got := e.mainBalance(t, u); got != mainWant {
				t.Errorf("main holds %d, want %d", got, mainWant)
			}
			if r := dbtest.Audit(t, db); r.UserMoney != 29_999+10_000+20_001+1_000_000+3_000_000+ssInterest(500, fixedClose)+freeInterest {
				t.Errorf("audit: %+v", r)
			}
		})
	})
}

// ssCreate creates a settlement as u and requires 201.
func (e *env) ssCreate(t *testing.T, u *user, total int64, mode string, participants ...string) client.Settlement {
	t.Helper()
	var s client.Settlement
	e.ok(t, req{method: "POST", path: "/v1/settlements", token: u.Token,
		body: map[string]any{"total": total, "mode": mode, "participants": participants}}, http.StatusCreated, &s)
	if s.ID <= 0 || s.Total != total || s.Mode != mode || s.Requester != u.Username || len(s.Shares) != len(participants) {
		t.Fatalf("settlement of %d %s among %v answered %+v", total, mode, participants, s)
	}
	for i, sh := range s.Shares {
		if sh.Username != participants[i] || sh.ID <= 0 {
			t.Fatalf("share %d is %+v, want %s's", i, sh, participants[i])
		}
	}
	return s
}

func (e *env) ssGet(t *testing.T, u *user, id int64) client.Settlement {
	t.Helper()
	var s client.Settlement
	e.ok(t, req{method: "GET", path: fmt.Sprintf("/v1/settlements/%d", id), token: u.Token}, http.StatusOK, &s)
	return s
}

func (e *env) ssList(t *testing.T, u *user, role string) []client.Settlement {
	t.Helper()
	var out struct {
		Settlements []client.Settlement `json:"settlements"`
	}
	e.ok(t, req{method: "GET", path: "/v1/settlements?limit=100&role=" + role, token: u.Token}, http.StatusOK, &out)
	return out.Settlements
}

func ssShareReq(u *user, settlement, share int64, action string) req {
	return req{method: "POST", path: fmt.Sprintf("/v1/settlements/%d/shares/%d/%s", settlement, share, action), token: u.Token}
}

func (e *env) ssAct(t *testing.T, u *user, settlement, share int64, action string) client.ShareResult {
	t.Helper()
	var r client.ShareResult
	e.ok(t, ssShareReq(u, settlement, share, action), http.StatusOK, &r)
	if r.ID != share {
		t.Fatalf("%s of share %d answered share %d", action, share, r.ID)
	}
	return r
}

func ssStatuses(s client.Settlement) []string {
	out := make([]string, len(s.Shares))
	for i, sh := range s.Shares {
		out[i] = sh.Status
	}
	return out
}

// TestSettlementsOverHTTP: request, notify, pay (with auto-charge),
// decline, see who paid, completion, random splits and every bad request.
func TestSettlementsOverHTTP(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestClockEnv(t, db)
		r := e.signUp(t, "rhee")
		a := e.signUp(t, "ahn")
		b := e.signUp(t, "baek")
		c := e.signUp(t, "cho")
		everyone := []*user{r, a, b, c}

		var s client.Settlement
		var shA, shB, shR int64
		var paid client.ShareResult

		step(t, "an equal split", func(t *testing.T) {
			s = e.ssCreate(t, r, 20_000, "equal", "ahn", "baek", "rhee")
			if s.Status != "open" {
				t.Fatalf("new settlement status %q, want open", s.Status)
			}
			for i, w := range []struct {
				amount int64
				status string
			}{{6_667, "pending"}, {6_667, "pending"}, {6_666, "paid"}} {
				sh := s.Shares[i]
				if sh.Amount != w.amount || sh.Status != w.status || (sh.Status == "paid") != (sh.SettledAt != nil) || sh.TransferID != nil {
					t.Errorf("share %d: %+v; want %d %s", i, sh, w.amount, w.status)
				}
			}
			shA, shB, shR = s.Shares[0].ID, s.Shares[1].ID, s.Shares[2].ID
		})

		step(t, "who sees it and who is asked to pay", func(t *testing.T) {
			for _, p := range []*user{a, b} {
				list := e.ssList(t, p, "participant")
				if len(list) != 1 || list[0].ID != s.ID || list[0].Requester != "rhee" || len(list[0].Shares) != 3 {
					t.Errorf("%s's settlements as participant: %+v", p.Username, list)
				}
				ns := ssNotices(e.ssInbox(t, p), "settlement_requested")
				if len(ns) != 1 || ns[0].SettlementID != s.ID || ns[0].Amount != 6_667 || ns[0].Counterparty != "rhee" ||
					ns[0].CounterpartyMasked != names.Mask(r.Name) {
					t.Errorf("%s's settlement_requested notifications: %+v", p.Username, ns)
				}
			}
			if list := e.ssList(t, r, "requester"); len(list) != 1 || list[0].ID != s.ID {
				t.Errorf("rhee's settlements as requester: %+v", list)
			}
			if list := e.ssList(t, r, "participant"); len(list) != 0 {
				t.Errorf("rhee's settlements as participant: %+v; the requester's own share does not count", list)
			}
			if ns := ssNotices(e.ssInbox(t, r), "settlement_requested"); len(ns) != 0 {
				t.Errorf("the requester was asked to pay themselves: %+v", ns)
			}
			checkProblem(t, "cho reads the settlement", e.do(t, req{method: "GET", path: fmt.Sprintf("/v1/settlements/%d", s.ID), token: c.Token}), 403, "forbidden")
			checkProblem(t, "unknown settlement", e.do(t, req{method: "GET", path: "/v1/settlements/987654321", token: r.Token}), 404, "not_found")
			checkProblem(t, "role=boss", e.do(t, req{method: "GET", path: "/v1/settlements?role=boss", token: r.Token}), 400, "invalid")
		})

		step(t, "pay from an empty main", func(t *testing.T) {
			// A pays from an empty main: 10,000 is charged first.
			paid = e.ssAct(t, a, s.ID, shA, "pay")
			if paid.Status != "paid" || paid.Amount != 6_667 || paid.Charged != 10_000 || paid.SettlementStatus != "open" || paid.TransferID == nil || paid.SettledAt == nil {
				t.Fatalf("A's pay answered %+v", paid)
			}
			e.balances(t, map[*user]int64{a: 3_333, r: 6_667, b: 0})
			if l := e.limit(t, a); l.Used != 10_000 {
				t.Errorf("A's charge limit after the auto-charge: %+v", l)
			}

			e.rejects(t, ssShareReq(a, s.ID, shA, "pay"), 409, "conflict", everyone...)
			e.rejects(t, ssShareReq(a, s.ID, shA, "decline"), 409, "conflict", everyone...)
			e.rejects(t, ssShareReq(a, s.ID, shB, "pay"), 403, "forbidden", everyone...)
			e.rejects(t, ssShareReq(a, s.ID, shB, "decline"), 403, "forbidden", everyone...)
			e.rejects(t, ssShareReq(c, s.ID, shB, "pay"), 403, "forbidden", everyone...)
			e.rejects(t, ssShareReq(r, s.ID, shR, "pay"), 409, "conflict", everyone...)
			e.rejects(t, ssShareReq(b, s.ID, 987654321, "pay"), 404, "not_found", everyone...)
			e.rejects(t, ssShareReq(b, 987654321, shB, "pay"), 404, "not_found", everyone...)
		})

		step(t, "decline closes the settlement", func(t *testing.T) {
			declined := e.ssAct(t, b, s.ID, shB, "decline")
			if declined.Status != "declined" || declined.Charged != 0 || declined.SettlementStatus != "closed" || declined.TransferID != nil {
				t.Fatalf("B's decline answered %+v", declined)
			}
			e.rejects(t, ssShareReq(b, s.ID, shB, "pay"), 409, "conflict", everyone...)
			e.rejects(t, ssShareReq(b, s.ID, shB, "decline"), 409, "conflict", everyone...)

			for _, v := range []*user{r, a, b} {
				got := e.ssGet(t, v, s.ID)
				if st := ssStatuses(got); !slices.Equal(st, []string{"paid", "declined", "paid"}) || got.Status != "closed" {
					t.Errorf("%s sees shares %v, status %q; want paid/declined/paid, closed", v.Username, st, got.Status)
				}
				if got.Shares[0].TransferID == nil || *got.Shares[0].TransferID != *paid.TransferID {
					t.Errorf("%s sees A's share %+v; want transfer %d", v.Username, got.Shares[0], *paid.TransferID)
				}
			}
		})

		step(t, "history and notifications", func(t *testing.T) {
			// History: R received a settlement payment from A; A was charged,
			// then paid R.
			rPay := ssOfKind(e.ssHistory(t, r, r.Main), "settlement_payment")
			if len(rPay) != 1 || rPay[0].Amount != 6_667 || rPay[0].BalanceAfter != 6_667 || rPay[0].SettlementID == nil || *rPay[0].SettlementID != s.ID ||
				rPay[0].TransferID == nil || *rPay[0].TransferID != *paid.TransferID || rPay[0].Counterparty.Name != names.Mask(a.Name) ||
				rPay[0].Counterparty.MaskedName != names.Mask(a.Name) {
				t.Errorf("R's settlement_payment entries: %v; want one +6,667 from %q for settlement %d", rPay, names.Mask(a.Name), s.ID)
			}
			aH := e.ssHistory(t, a, a.Main)
			if len(aH) != 2 || aH[0].Kind != "charge" || aH[0].Amount != 10_000 || aH[1].Kind != "settlement_payment" || aH[1].Amount != -6_667 ||
				aH[1].BalanceAfter != 3_333 || aH[1].SettlementID == nil || *aH[1].SettlementID != s.ID ||
				aH[1].Counterparty.Username != "rhee" || aH[1].Counterparty.AccountID != r.Main {
				t.Errorf("A's history: %v; want the charge of 10,000, then a settlement_payment of 6,667 to rhee", aH)
			}
			if bH := e.ssHistory(t, b, b.Main); len(bH) != 0 {
				t.Errorf("B declined, yet B's history is %v", bH)
			}
			rInbox := e.ssInbox(t, r)
			if ns := ssNotices(rInbox, "settlement_share_paid"); len(ns) != 1 || ns[0].SettlementID != s.ID || ns[0].Amount != 6_667 ||
				ns[0].CounterpartyMasked != names.Mask(a.Name) {
				t.Errorf("R's settlement_share_paid notifications: %+v", ns)
			}
			if ns := ssNotices(rInbox, "settlement_share_declined"); len(ns) != 1 || ns[0].SettlementID != s.ID || ns[0].Amount != 6_667 ||
				ns[0].CounterpartyMasked != names.Mask(b.Name) {
				t.Errorf("R's settlement_share_declined notifications: %+v", ns)
			}
		})
		t.Run("everyone pays", func(t *testing.T) {
			s2 := e.ssCreate(t, r, 10_001, "equal", "ahn", "baek")
			if s2.Shares[0].Amount != 5_001 || s2.Shares[1].Amount != 5_000 || s2.Status != "open" {
				t.Fatalf("10,001 between two: %+v", s2)
			}
			p1 := e.ssAct(t, a, s2.ID, s2.Shares[0].ID, "pay")
			if p1.Charged != 10_000 || p1.SettlementStatus != "open" {
				t.Errorf("A pays 5,001 from 3,333: %+v; want charged 10,000, still open", p1)
			}
			p2 := e.ssAct(t, b, s2.ID, s2.Shares[1].ID, "pay")
			if p2.Charged != 10_000 || p2.SettlementStatus != "completed" {
				t.Errorf("B pays the last share: %+v; want completed", p2)
			}
			if got := e.ssGet(t, r, s2.ID); got.Status != "completed" || !slices.Equal(ssStatuses(got), []string{"paid", "paid"}) {
				t.Errorf("the requester sees %+v; want completed", got)
			}
			e.balances(t, map[*user]int64{a: 8_332, b: 5_000, r: 16_668})
			if n := len(ssOfKind(e.ssHistory(t, r, r.Main), "settlement_payment")); n != 3 {
				t.Errorf("R has %d settlement payments, want 3", n)
			}
		})

		t.Run("random", func(t *testing.T) {
			for i, total := range []int64{3, 4, 1_000, 99_999, 1_000_000_007} {
				rs := e.ssCreate(t, r, total, "random", "cho", "ahn", "baek")
				var sum int64
				for _, sh := range rs.Shares {
					if sh.Amount < 1 || sh.Status != "pending" {
						t.Errorf("random split %d of %d: share %+v", i, total, sh)
					}
					sum += sh.Amount
				}
				if sum != total || rs.Status != "open" {
					t.Errorf("random split of %d: shares %+v sum to %d", total, rs.Shares, sum)
				}
			}
		})

		t.Run("bad input changes nothing", func(t *testing.T) {
			ghosts := make([]string, 101)
			for i := range ghosts {
				ghosts[i] = fmt.Sprintf("ghost-%03d", i)
			}
			body := func(v map[string]any) string {
				j, err := json.Marshal(v)
				if err != nil {
					t.Fatal(err)
				}
				return string(j)
			}
			three := []string{"ahn", "baek", "rhee"}
			for _, c := range []struct {
				name, body string
				status     int
				code       string
			}{
				{"total below participants", body(map[string]any{"total": 2, "mode": "equal", "participants": three}), 400, "invalid"},
				{"random total below participants", body(map[string]any{"total": 2, "mode": "random", "participants": three}), 400, "invalid"},
				{"total zero", body(map[string]any{"total": 0, "mode": "equal", "participants": three}), 400, "invalid"},
				{"total negative", body(map[string]any{"total": -3_000, "mode": "equal", "participants": three}), 400, "invalid"},
				{"total missing", body(map[string]any{"mode": "equal", "participants": three}), 400, "invalid"},
				{"duplicate participant", body(map[string]any{"total": 3_000, "mode": "equal", "participants": []string{"ahn", "baek", "ahn"}}), 400, "invalid"},
				{"unknown user", body(map[string]any{"total": 3_000, "mode": "equal", "participants": []string{"ahn", "nobody-here"}}), 404, "not_found"},
				{"101 participants", body(map[string]any{"total": 1_000_000, "mode": "equal", "participants": ghosts}), 400, "invalid"},
				{"only yourself", body(map[string]any{"total": 3_000, "mode": "equal", "participants": []string{"rhee"}}), 400, "invalid"},
				{"no participants", body(map[string]any{"total": 3_000, "mode": "equal", "participants": []string{}}), 400, "invalid"},
				{"mode thirds", body(map[string]any{"total": 3_000, "mode": "thirds", "participants": three}), 400, "invalid"},
				{"mode missing", body(map[string]any{"total": 3_000, "participants": three}), 400, "invalid"},
				{"malformed", `{"total": 3000, "mode": "equal", "participants": ["ahn"]`, 400, "invalid"},
				{"unknown field", `{"total": 3000, "mode": "equal", "participants": ["ahn"], "tip": 5}`, 400, "invalid"},
			} {
				t.Run(c.name, func(t *testing.T) {
					reqs := len(e.ssList(t, r, "requester"))
					parts := len(e.ssList(t, a, "participant"))
					inbox := len(e.ssInbox(t, a))
					e.rejects(t, req{method: "POST", path: "/v1/settlements", token: r.Token, body: c.body}, c.status, c.code, everyone...)
					if n := len(e.ssList(t, r, "requester")); n != reqs {
						t.Errorf("rhee's settlements went from %d to %d", reqs, n)
					}
					if n := len(e.ssList(t, a, "participant")); n != parts {
						t.Errorf("ahn's settlements went from %d to %d", parts, n)
					}
					if n := len(e.ssInbox(t, a)); n != inbox {
						t.Errorf("ahn's inbox went from %d to %d", inbox, n)
					}
				})
			}
		})

		if rep := dbtest.Audit(t, db); rep.UserMoney != 30_000 {
			t.Errorf("audit: %+v; want the 30,000 won charged", rep)
		}
	})
}

// TestSettlementConcurrentPay: two simultaneous pays of one share with
// different Idempotency-Keys: exactly one succeeds and moves money once,
// the other is a conflict.
func TestSettlementConcurrentPay(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestClockEnv(t, db)
		r := e.signUp(t, "rhee")
		a := e.signUp(t, "ahn")
		const rounds = 6
		for round := range rounds {
			s := e.ssCreate(t, r, 10_000, "equal", "ahn")
			sh := s.Shares[0].ID
			keys := []string{fmt.Sprintf("pay-%d-x", round), fmt.Sprintf("pay-%d-y", round)}
			res := make([]response, 2)
			errs := make([]error, 2)
			startGun := make(chan struct{})
			var wg sync.WaitGroup
			for i := range 2 {
				wg.Go(func() {
					q := ssShareReq(a, s.ID, sh, "pay")
					q.header = map[string]string{"Idempotency-Key": keys[i]}
					<-startGun
					res[i], errs[i] = e.send(q)
				})
			}
			close(startGun)
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			win := slices.IndexFunc(res, func(x response) bool { return x.status == http.StatusOK })
			if win < 0 || res[1-win].status == http.StatusOK {
				t.Fatalf("round %d: two pays answered %v and %v; want exactly one 200", round, res[0], res[1])
			}
			checkProblem(t, fmt.Sprintf("round %d: the losing pay", round), res[1-win], http.StatusConflict, "conflict")
			var rep client.ShareResult
			if err := json.Unmarshal(res[win].body, &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Status != "paid" || rep.Charged != 10_000 || rep.SettlementStatus != "completed" || rep.TransferID == nil {
				t.Errorf("round %d: the winning pay answered %+v", round, rep)
			}
			// The winner's retry replays; nothing moves again.
			q := ssShareReq(a, s.ID, sh, "pay")
			q.header = map[string]string{"Idempotency-Key": keys[win]}
			again := e.ok(t, q, http.StatusOK, nil)
			if again.header.Get("Idempotent-Replayed") != "true" || string(again.body) != string(res[win].body) {
				t.Errorf("round %d: replay %v; first %v", round, again, res[win])
			}
			e.balances(t, map[*user]int64{r: 10_000 * int64(round+1), a: 0})
		}

		rH := ssOfKind(e.ssHistory(t, r, r.Main), "settlement_payment")
		aH := e.ssHistory(t, a, a.Main)
		if len(rH) != rounds || len(ssOfKind(aH, "settlement_payment")) != rounds || len(ssOfKind(aH, "charge")) != rounds || len(aH) != 2*rounds {
			t.Errorf("after %d rounds: R's settlement payments %v; A's history %v", rounds, rH, aH)
		}
		seen := map[int64]bool{}
		for _, x := range rH {
			if x.SettlementID == nil || seen[*x.SettlementID] || x.Amount != 10_000 {
				t.Errorf("R's settlement payment %v repeats a settlement or has the wrong amount", x)
				continue
			}
			seen[*x.SettlementID] = true
		}
		var out transferPage
		e.ok(t, req{method: "GET", path: "/v1/transfers?direction=out&limit=100", token: a.Token}, http.StatusOK, &out)
		if len(out.Transfers) != rounds {
			t.Errorf("A made %d transfers, want %d", len(out.Transfers), rounds)
		}
		if l := e.limit(t, a); l.Used != 10_000*rounds {
			t.Errorf("A's charge limit used %d, want %d", l.Used, 10_000*rounds)
		}
		if rep := dbtest.Audit(t, db); rep.UserMoney != 10_000*rounds {
			t.Errorf("audit: %+v", rep)
		}
	})
}
