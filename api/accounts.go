package api

import (
	"context"
	"net/http"
	"time"

	"minipay/ledger"
	"minipay/store"
)

// Accounts: main and savings, listed, opened, closed, and savings
// deposits and withdrawals.

type accountJSON struct {
	ID          int64        `json:"id"`
	Kind        string       `json:"kind"`
	Product     *string      `json:"product"`
	Balance     int64        `json:"balance"`
	DailyAmount int64        `json:"daily_amount,omitempty"`
	Status      string       `json:"status"`
	Savings     *savingsJSON `json:"savings,omitempty"`
}

// savingsJSON is what a savings account adds: its terms and how it earns.
type savingsJSON struct {
	AnnualRateBP int64 `json:"annual_rate_bp"`
	// Principal is what was put in (deposits and installments less
	// withdrawals); interest is paid on it, never on interest.
	Principal          int64      `json:"principal"`
	InterestPaid       int64      `json:"interest_paid"`
	InterestThrough    string     `json:"interest_through"`
	NextInstallmentAt  *time.Time `json:"next_installment_at,omitempty"`
	MissedInstallments int64      `json:"missed_installments"`
}

func (s *Server) toAccountJSON(a *ledger.Account) accountJSON {
	j := accountJSON{ID: a.ID, Kind: string(a.Kind), Balance: a.Balance, DailyAmount: a.DailyAmount, Status: a.Status}
	if a.Kind != ledger.Savings {
		return j
	}
	j.Product = &a.Product
	p := ledger.Products[a.Product]
	j.Savings = &savingsJSON{AnnualRateBP: p.AnnualRateBP, Principal: a.Principal, InterestPaid: a.InterestPaid,
		InterestThrough: a.InterestDay, MissedInstallments: a.MissedInstallments}
	if next, ok := s.NextInstallment(a); ok {
		j.Savings.NextInstallmentAt = &next
	}
	return j
}

// NextInstallment is when an open fixed savings account next takes its
// daily amount from main; ok is false for an account that takes none.
func (s *Server) NextInstallment(a *ledger.Account) (next time.Time, ok bool) {
	if !ledger.Products[a.Product].DailyInstallment || a.Status != ledger.Open {
		return time.Time{}, false
	}
	next, err := time.ParseInLocation(time.DateOnly, ledger.AddDays(a.InstallmentDay, 1), s.loc)
	return next.Add(ledger.InstallmentHour * time.Hour), err == nil
}

// listAccounts answers GET /v1/accounts: every open account and the
// newest closed ones (a page's worth), so the answer stays small however
// many accounts a user has closed; ?status=closed pages through all the
// closed ones, newest first.
func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request, p principal) {
	q := r.URL.Query()
	status, err := enumParam(q, "status", ledger.Closed)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if status == "" {
		as, err := s.db.Accounts(r.Context(), p.user, defaultPage)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"accounts": s.toAccountsJSON(as)})
		return
	}
	limit, before, err := readPage(q)
	var as []*ledger.Account
	if err == nil {
		as, err = s.db.ClosedAccounts(r.Context(), p.user, before, limit+1)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	as, next := pageOf(as, limit, func(a *ledger.Account) int64 { return a.ID })
	writeJSON(w, http.StatusOK, map[string]any{"accounts": s.toAccountsJSON(as), "next_cursor": next})
}

func (s *Server) toAccountsJSON(as []*ledger.Account) []accountJSON {
	out := make([]accountJSON, len(as))
	for i, a := range as {
		out[i] = s.toAccountJSON(a)
	}
	return out
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request, p principal) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	a, err := s.db.Account(r.Context(), p.user, id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.toAccountJSON(a))
}

// openRequest is the body of POST /v1/accounts: a savings account.
type openRequest struct {
	Product     *string `json:"product"`
	DailyAmount int64   `json:"daily_amount"`
}

// Validate leaves the product's name and daily amount to the store, which
// knows the products.
func (q *openRequest) Validate() error {
	if q.Product == nil {
		return missing("product")
	}
	return nil
}

// openAccount opens a savings account, once per Idempotency-Key: a
// replay answers the account the key opened, as it stands now.
func (s *Server) openAccount(w http.ResponseWriter, r *http.Request, p principal) {
	var req openRequest
	if err := readRequest(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	idem, err := idempotency(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	a, replayed, err := s.openSavings(r.Context(), p, idem, *req.Product, req.DailyAmount)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeJSON(w, http.StatusCreated, s.toAccountJSON(a))
}

// openSavings opens a savings account for p under idem: the one path of
// an opening for the API and the wallet.
func (s *Server) openSavings(ctx context.Context, p principal, idem store.Idempotency, product string, dailyAmount int64) (*ledger.Account, bool, error) {
	return s.db.OpenSavingsOnce(ctx, idem, p.user, product, dailyAmount, s.maxSavings, s.clock.Now(), s.loc)
}

// amountRequest is the body of every request that moves an amount.
type amountRequest struct {
	Amount *int64 `json:"amount"`
}

// Validate leaves zero and negative amounts to the ledger, which rejects
// them with the same code.
func (q *amountRequest) Validate() error {
	if q.Amount == nil {
		return missing("amount")
	}
	return nil
}

// readAmount reads an amountRequest.
func readAmount(r *http.Request) (int64, error) {
	var req amountRequest
	if err := readRequest(r, &req); err != nil {
		return 0, err
	}
	return *req.Amount, nil
}

type movementJSON struct {
	TransactionID  int64  `json:"transaction_id"`
	Amount         int64  `json:"amount"`
	MainBalance    int64  `json:"main_balance"`
	SavingsBalance *int64 `json:"savings_balance,omitempty"`
}

// savingsMove handles deposits and withdrawals: an amount between main and
// the savings account in the path.
func (s *Server) savingsMove(w http.ResponseWriter, r *http.Request, p principal, build func(savings, amount int64) ledger.Command) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	amount, err := readAmount(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.move(w, r, p, http.StatusCreated, build(id, amount), func(res store.Result) (any, error) {
		rc := res.Receipt
		return movementJSON{TransactionID: res.TransactionID, Amount: rc.Amount, MainBalance: rc.MainBalance, SavingsBalance: &rc.SavingsBalance}, nil
	})
}

func (s *Server) deposit(w http.ResponseWriter, r *http.Request, p principal) {
	s.savingsMove(w, r, p, func(savings, amount int64) ledger.Command {
		return ledger.Deposit{User: p.user, Main: p.main, Savings: savings, Amount: amount}
	})
}

func (s *Server) withdraw(w http.ResponseWriter, r *http.Request, p principal) {
	s.savingsMove(w, r, p, func(savings, amount int64) ledger.Command {
		return ledger.Withdraw{User: p.user, Main: p.main, Savings: savings, Amount: amount}
	})
}

func (s *Server) closeAccount(w http.ResponseWriter, r *http.Request, p principal) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.move(w, r, p, http.StatusOK, ledger.Close{User: p.user, Main: p.main, Savings: id}, func(res store.Result) (any, error) {
		a, err := s.db.Account(r.Context(), p.user, id)
		if err != nil {
			return nil, err
		}
		return struct {
			accountJSON
			ReturnedToMain int64 `json:"returned_to_main"`
			MainBalance    int64 `json:"main_balance"`
		}{s.toAccountJSON(a), res.Receipt.Amount, res.Receipt.MainBalance}, nil
	})
}
