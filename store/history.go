package store

import (
	"context"
	"time"

	"minipay/ledger"
	"minipay/names"
)

// HistoryEntry is one movement of money on an account, as its owner sees it.
type HistoryEntry struct {
	ID           int64
	At           time.Time
	Kind         string
	Amount       int64 // signed: + in, − out
	BalanceAfter int64
	Counterparty Counterparty
	Memo         string
	TransferID   int64
	SettlementID int64
}

// Counterparty is where incoming money came from or outgoing money went.
// Of another user, Name is what they are shown as (the display name
// their transfer chose, or their masked real name) and MaskedName their
// masked real name: never the whole of it.
type Counterparty struct {
	Name       string
	Username   string
	AccountID  int64
	MaskedName string
}

// HistoryFilter selects a page of an account's history, newest first.
type HistoryFilter struct {
	From, To time.Time // [From, To); zero means unbounded
	Kind     string    // "" for every kind
	Before   int64     // keyset cursor: entries with smaller ids; 0 for the first page
	Limit    int
}

// KindSettlementPayment is the history kind of a transfer that paid a
// settlement share.
const KindSettlementPayment = "settlement_payment"

// HistoryKinds lists every kind a history entry can have: what the
// ledger's transactions do, and settlement payments.
var HistoryKinds = []string{string(ledger.TxnCharge), string(ledger.TxnDeposit), string(ledger.TxnWithdrawal),
	string(ledger.TxnClose), string(ledger.TxnTransfer), string(ledger.TxnPendingHold), string(ledger.TxnPendingRelease),
	string(ledger.TxnPendingReturn), string(ledger.TxnInterest), string(ledger.TxnInstallment), KindSettlementPayment}

// History returns a page of account's entries, newest first. The page is
// a backward range scan of the (account_id, id) index from the cursor down
// (entries_account_page, which also carries every entries column a page
// reads, the kind filter's included): its cost does not grow with how
// deep the page is, and entries inserted meanwhile (higher ids) never
// shift later pages. The statement is planned once per connection
// (queryPlannedOnce): its page is cut by the index before any join,
// whatever the arguments, so one plan serves every page, filtered by kind
// or not.
func (db *DB) History(ctx context.Context, account int64, f HistoryFilter) ([]HistoryEntry, error) {
	q, args := HistorySQL(account, f)
	var page []HistoryEntry
	err := db.dialect.queryPlannedOnce(ctx, db.reads, step{what: "history", sql: q, args: args, row: func(r scanner) error {
		h, err := scanHistoryEntry(r, account)
		page = append(page, h)
		return err
	}})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// HistorySQL is the statement History runs, and its arguments. The page of
// entries is cut (keyset, ORDER BY id DESC LIMIT) in a subquery before any
// join: PostgreSQL expects the joins to return about one row and would
// otherwise join all of a busy account's older entries and sort them —
// 824 ms instead of 0.7 ms p99 for a page 1,000 deep in the
// 10-million-entry benchmark. An entry carries its history kind, the other
// side's account and its transfer (migration 00025, written by the
// writer), so neither its transaction nor the other entry is joined, and
// a kind filter is applied by the index scan too.
func HistorySQL(account int64, f HistoryFilter) (string, []any) {
	return historySQL(account, f, true)
}

// HistorySQLJoinsFirst joins before cutting the page; the benchmark
// measures it to show why pages are cut first.
func HistorySQLJoinsFirst(account int64, f HistoryFilter) (string, []any) {
	return historySQL(account, f, false)
}

func historySQL(account int64, f HistoryFilter, pageFirst bool) (string, []any) {
	before := f.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	from, to := int64(0), int64(1<<63-1)
	if !f.From.IsZero() {
		from = micros(f.From)
	}
	if !f.To.IsZero() {
		to = micros(f.To)
	}
	page := `e.account_id = $1 AND e.id < $2 AND e.created_at >= $3 AND e.created_at < $4 AND e.created_at >= ` + retentionBoundary +
		` AND ($5 = '' OR e.kind = $5)`
	src := `entries e`
	if pageFirst {
		src = `(SELECT e.id, e.account_id, e.amount, e.balance_after, e.created_at, e.kind, e.other_account, e.transfer_id FROM entries e
			WHERE ` + page + ` ORDER BY e.id DESC LIMIT $6) e`
	}
	// The receiver of a transfer sees the name the sender chose; the
	// sender sees the receiver's username and account; each sees the
	// other's masked real name. The other account is shown only when
	// there is no transfer, and the receiver only to the sender: a join
	// not needed has a NULL key, which an index answers without reading
	// a page.
	return `SELECT e.id, e.created_at, e.kind, e.amount, COALESCE(e.balance_after, 0),
			e.other_account, COALESCE(oa.kind, ''), COALESCE(oa.name, ''),
			COALESCE(tr.id, 0), COALESCE(tr.to_account, 0), COALESCE(tr.display_name, ''), COALESCE(tr.sender_name, ''), COALESCE(tu.username, ''), COALESCE(tu.name, ''),
			COALESCE(tr.memo, ''), COALESCE(sh.settlement_id, 0)
		FROM ` + src + `
		LEFT JOIN accounts oa ON oa.id = CASE WHEN e.transfer_id IS NULL THEN e.other_account END
		LEFT JOIN transfers tr ON tr.id = e.transfer_id
		LEFT JOIN users tu ON tu.id = CASE WHEN tr.to_account <> e.account_id THEN tr.to_user END
		LEFT JOIN settlement_shares sh ON sh.id = tr.share_id
		WHERE ` + page + `
		ORDER BY e.id DESC LIMIT $6`, []any{account, before, from, to, f.Kind, f.Limit}
}

// scanHistoryEntry reads a row of History's statement as account's
// owner sees it.
func scanHistoryEntry(r scanner, account int64) (HistoryEntry, error) {
	var h HistoryEntry
	var at, other, transferTo int64
	var otherKind, otherName, display, sender, toUsername, toName string
	if err := r.Scan(&h.ID, &at, &h.Kind, &h.Amount, &h.BalanceAfter, &other, &otherKind, &otherName,
		&h.TransferID, &transferTo, &display, &sender, &toUsername, &toName, &h.Memo, &h.SettlementID); err != nil {
		return h, err
	}
	h.At = fromMicros(at)
	switch {
	case h.TransferID != 0 && transferTo == account:
		h.Counterparty = Counterparty{Name: receiverSees(display, sender), MaskedName: names.Mask(sender)}
	case h.TransferID != 0:
		masked := names.Mask(toName)
		h.Counterparty = Counterparty{Name: masked, Username: toUsername, AccountID: transferTo, MaskedName: masked}
	case ledger.IsSystem(other):
		h.Counterparty = Counterparty{Name: otherName}
	default: // the owner's own other account
		h.Counterparty = Counterparty{Name: otherKind + " account", AccountID: other}
	}
	return h, nil
}
