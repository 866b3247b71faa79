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
	From, To time.Time     // [From, To); zero means unbounded
	Kind     string        // "" for every kind
	Before   HistoryCursor // keyset cursor: the last entry of the previous page; zero for the first page
	Limit    int
}

// HistoryCursor is where a page of history starts: after the entry of
// that time and id, in the order pages are read (newest first: by time,
// then by id). A cursor with an id and no time (one handed out before
// pages were ordered by time, migration 00030) pages by id alone, as it
// did then: it is served by filtering the account's newer entries, slower
// the deeper it is, and the page it returns carries cursors with times.
type HistoryCursor struct {
	At time.Time
	ID int64
}

// Cursor is the cursor of the page after h.
func (h HistoryEntry) Cursor() HistoryCursor { return HistoryCursor{At: h.At, ID: h.ID} }

// KindSettlementPayment is the history kind of a transfer that paid a
// settlement share.
const KindSettlementPayment = "settlement_payment"

// HistoryKinds lists every kind a history entry can have: what the
// ledger's transactions do, and settlement payments.
var HistoryKinds = []string{string(ledger.TxnCharge), string(ledger.TxnDeposit), string(ledger.TxnWithdrawal),
	string(ledger.TxnClose), string(ledger.TxnTransfer), string(ledger.TxnPendingHold), string(ledger.TxnPendingRelease),
	string(ledger.TxnPendingReturn), string(ledger.TxnInterest), string(ledger.TxnInstallment), KindSettlementPayment}

// History returns a page of account's entries, newest first. The page is
// a backward range scan of the (account_id, created_at, id) index from the
// cursor down (entries_account_time, which also carries every entries
// column a page reads, the kind filter's included): its cost does not
// grow with how deep the page is, and entries inserted meanwhile (later
// times) never shift later pages. The statement is planned once per
// connection (queryPlannedOnce): its page is cut by the index before any
// join, whatever the arguments, so one plan serves every page, filtered
// by kind or not.
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
// entries is cut (keyset, ORDER BY created_at DESC, id DESC LIMIT) in a
// subquery before any join: PostgreSQL expects the joins to return about
// one row and would otherwise join all of a busy account's older entries
// and sort them — 824 ms instead of 0.7 ms p99 for a page 1,000 deep in
// the 10-million-entry benchmark. Ordered by created_at, the partition
// key, the page is an Append of the monthly partitions newest first that
// stops at the page's last row, and a cursor's time prunes the months
// after it when the plan starts (ordered by id, every page opened and
// merged all 14 partitions: migration 00030). An entry carries its
// history kind, the other side's account and its transfer (migration
// 00025, written by the writer), so neither its transaction nor the other
// entry is joined, and a kind filter is applied by the index scan too
// (for a rare kind, by a seek: historyPage).
func HistorySQL(account int64, f HistoryFilter) (string, []any) {
	return historySQL(account, f, true)
}

// HistorySQLJoinsFirst joins before cutting the page; the benchmark
// measures it to show why pages are cut first.
func HistorySQLJoinsFirst(account int64, f HistoryFilter) (string, []any) {
	return historySQL(account, f, false)
}

func historySQL(account int64, f HistoryFilter, pageFirst bool) (string, []any) {
	from, to := int64(0), int64(1<<63-1)
	if !f.From.IsZero() {
		from = micros(f.From)
	}
	if !f.To.IsZero() {
		to = micros(f.To)
	}
	page, at, id, idBelow := historyPage(account, f)
	src := `entries e`
	if pageFirst {
		src = `(SELECT e.id, e.account_id, e.amount, e.balance_after, e.created_at, e.kind, e.other_account, e.transfer_id FROM entries e
			WHERE ` + page + ` ORDER BY e.created_at DESC, e.id DESC LIMIT $6) e`
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
		ORDER BY e.created_at DESC, e.id DESC LIMIT $6`, []any{account, id, from, to, f.Kind, f.Limit, at, idBelow}
}

// historyPage is the condition that cuts account's page from entries, and
// its cursor's arguments: entries before (at, id) — $7, $2 — or, for a
// cursor without a time, entries with ids below idBelow ($8).
func historyPage(account int64, f HistoryFilter) (cond string, at, id, idBelow int64) {
	const unbounded = 1<<63 - 1
	at, id, idBelow = unbounded, unbounded, unbounded
	switch c := f.Before; {
	case c.ID > 0 && c.At.IsZero():
		idBelow = c.ID
	case c.ID > 0:
		at, id = micros(c.At), c.ID
	}
	kind := `($5 = '' OR e.kind = $5)`
	if f.Kind != "" && f.Kind != string(ledger.TxnTransfer) && !ledger.IsSystem(account) {
		// A kind other than transfer is rare among an account's entries:
		// entries_account_kind finds it by a seek. The statement repeats
		// the index's predicate, so the planner may use it.
		kind = `e.kind = $5 AND e.kind <> 'transfer' AND e.account_id > 0`
	}
	// created_at <= $7 repeats the cursor's time apart from the row
	// comparison: PostgreSQL prunes partitions by it, not by (…) < (…).
	return `e.account_id = $1 AND (e.created_at, e.id) < ($7, $2) AND e.created_at <= $7 AND e.id < $8 AND e.created_at >= $3 AND e.created_at < $4 AND e.created_at >= ` +
		retentionBoundary + ` AND ` + kind, at, id, idBelow
}

// scanHistoryEntry reads a row of History's statement as account's
// owner sees it.
func scanHistoryEntry(r scanner, account int64) (HistoryEntry, error) {
	// The scan's destinations escape to the heap (Scan takes them as
	// ...any): one struct of them is one allocation a row, not sixteen.
	var row struct {
		h                                                         HistoryEntry
		at, other, transferTo                                     int64
		otherKind, otherName, display, sender, toUsername, toName string
	}
	h := &row.h
	if err := r.Scan(&h.ID, &row.at, &h.Kind, &h.Amount, &h.BalanceAfter, &row.other, &row.otherKind, &row.otherName,
		&h.TransferID, &row.transferTo, &row.display, &row.sender, &row.toUsername, &row.toName, &h.Memo, &h.SettlementID); err != nil {
		return *h, err
	}
	h.At = fromMicros(row.at)
	switch {
	case h.TransferID != 0 && row.transferTo == account:
		h.Counterparty = Counterparty{Name: receiverSees(row.display, row.sender), MaskedName: names.Mask(row.sender)}
	case h.TransferID != 0:
		masked := names.Mask(row.toName)
		h.Counterparty = Counterparty{Name: masked, Username: row.toUsername, AccountID: row.transferTo, MaskedName: masked}
	case ledger.IsSystem(row.other):
		h.Counterparty = Counterparty{Name: row.otherName}
	default: // the owner's own other account
		h.Counterparty = Counterparty{Name: row.otherKind + " account", AccountID: row.other}
	}
	return *h, nil
}
