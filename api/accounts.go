package api

import (
	"net/http"
	"time"

	"minipay/errs"
	"minipay/ledger"
	"minipay/store"
)

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
	if p.DailyInstallment && a.Status == ledger.Open {
		next, err := time.ParseInLocation(time.DateOnly, ledger.AddDays(a.InstallmentDay, 1), s.loc)
		if err == nil {
			next = next.Add(ledger.InstallmentHour * time.Hour)
			j.Savings.NextInstallmentAt = &next
		}
	}
	return j
}

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request, p principal) {
	as, err := s.db.Accounts(r.Context(), p.user)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]accountJSON, len(as))
	for i, a := range as {
		out[i] = s.toAccountJSON(a)
	}
	writeJSON(w, http.StatusOK, map[string]any{"accounts": out})
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

func (s *Server) openAccount(w http.ResponseWriter, r *http.Request, p principal) {
	var req struct {
		Product     *string `json:"product"`
		DailyAmount int64   `json:"daily_amount"`
	}
	if err := decode(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	product, err := required("product", req.Product)
	if err != nil {
		writeError(w, r, err)
		return
	}
	a, err := s.db.OpenSavings(r.Context(), p.user, product, req.DailyAmount, s.clock.Now(), s.loc)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, s.toAccountJSON(a))
}

// amountRequest is the body of every request that moves an amount.
type amountRequest struct {
	Amount *int64 `json:"amount"`
}

// readAmount decodes an amountRequest. Zero and negative amounts are left
// to the ledger, which rejects them with the same code.
func readAmount(r *http.Request) (int64, error) {
	var req amountRequest
	if err := decode(r, &req); err != nil {
		return 0, err
	}
	return required("amount", req.Amount)
}

type movementJSON struct {
	TransactionID  int64  `json:"transaction_id"`
	Amount         int64  `json:"amount"`
	MainBalance    int64  `json:"main_balance"`
	SavingsBalance *int64 `json:"savings_balance,omitempty"`
}

func (s *Server) charge(w http.ResponseWriter, r *http.Request, p principal) {
	amount, err := readAmount(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.move(w, r, p, http.StatusCreated, ledger.Charge{User: p.user, Account: p.main, Amount: amount}, func(rc ledger.Receipt) (any, error) {
		return movementJSON{TransactionID: rc.TransactionID, Amount: rc.Amount, MainBalance: rc.MainBalance}, nil
	})
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
	s.move(w, r, p, http.StatusCreated, build(id, amount), func(rc ledger.Receipt) (any, error) {
		return movementJSON{TransactionID: rc.TransactionID, Amount: rc.Amount, MainBalance: rc.MainBalance, SavingsBalance: &rc.SavingsBalance}, nil
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
	s.move(w, r, p, http.StatusOK, ledger.Close{User: p.user, Main: p.main, Savings: id}, func(rc ledger.Receipt) (any, error) {
		a, err := s.db.Account(r.Context(), p.user, id)
		if err != nil {
			return nil, err
		}
		return struct {
			accountJSON
			ReturnedToMain int64 `json:"returned_to_main"`
			MainBalance    int64 `json:"main_balance"`
		}{s.toAccountJSON(a), rc.Amount, rc.MainBalance}, nil
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

type historyEntryJSON struct {
	ID           int64            `json:"id"`
	At           time.Time        `json:"at"`
	Kind         string           `json:"kind"`
	Amount       int64            `json:"amount"`
	BalanceAfter int64            `json:"balance_after"`
	Counterparty counterpartyJSON `json:"counterparty"`
	Memo         string           `json:"memo"`
	TransferID   *int64           `json:"transfer_id,omitempty"`
	SettlementID *int64           `json:"settlement_id,omitempty"`
}

type counterpartyJSON struct {
	Name      string `json:"name"`
	Username  string `json:"username,omitempty"`
	AccountID int64  `json:"account_id,omitempty"`
}

func optionalID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// history pages an account's entries newest first: ?from=&to= (RFC 3339,
// [from, to)), ?kind=, ?limit=, ?cursor=.
func (s *Server) history(w http.ResponseWriter, r *http.Request, p principal) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	f := store.HistoryFilter{Kind: q.Get("kind")}
	for name, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if v := q.Get(name); v != "" && err == nil {
			if *dst, err = time.Parse(time.RFC3339, v); err != nil {
				err = errs.E(errs.Invalid, "%s must be an RFC 3339 time", name)
			}
		}
	}
	if err == nil {
		f.Limit, err = pageLimit(q.Get("limit"))
	}
	if err == nil {
		f.Before, err = decodeCursor(q.Get("cursor"))
	}
	if err == nil {
		_, err = s.db.Account(r.Context(), p.user, id) // not_found or forbidden
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	page, err := s.db.History(r.Context(), id, f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]historyEntryJSON, len(page))
	for i, h := range page {
		out[i] = historyEntryJSON{ID: h.ID, At: h.At, Kind: h.Kind, Amount: h.Amount, BalanceAfter: h.BalanceAfter, Memo: h.Memo,
			Counterparty: counterpartyJSON(h.Counterparty), TransferID: optionalID(h.TransferID), SettlementID: optionalID(h.SettlementID)}
	}
	var next *string
	if len(page) == f.Limit {
		c := encodeCursor(page[len(page)-1].ID)
		next = &c
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": out, "next_cursor": next})
}
