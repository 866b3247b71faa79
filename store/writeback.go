package store

import (
	"context"

	"minipay/ledger"
)

// writeBack records what the batch's commands did — transactions,
// entries, new transfers, notifications, events, changed balances and
// statuses, idempotency records — with one set-based statement per table,
// whatever the batch size, and commits: one exchange (one round trip on
// PostgreSQL, where the statements are one). On the way it gives each
// result the ids of what it recorded.
func (b *batch) writeBack(ctx context.Context) error {
	if err := b.takeIDs(ctx); err != nil {
		return err
	}
	r := &rowSet{at: micros(b.now)}
	for _, a := range b.applied {
		if err := b.recordApplied(r, a, b.ids); err != nil {
			return err
		}
	}
	r.closeInterest()
	if err := b.recordState(r); err != nil {
		return err
	}
	if err := b.recordKeys(r); err != nil {
		return err
	}
	var steps []step
	if len(b.expired) > 0 {
		set, arg := b.dialect.list(1, "text", b.expired)
		steps = append(steps, step{what: "forget expired idempotency keys",
			sql: `DELETE FROM idempotency_keys WHERE key IN ` + set + ` AND created_at < $2`, args: []any{arg, idempotencyCutoff(b.now)}})
	}
	return b.s.exchange(ctx, append(steps, b.dialect.writeSteps(r.writes())...), true)
}

// rowSet is the rows a batch writes, by table, all created at at.
type rowSet struct {
	at                                                 int64
	transfers, txns, entries, notices, events          [][]any
	accounts, transferStatuses, shareStatuses, instals [][]any
	keys                                               [][]any
	// due and undue are the pending_due rows of the transfers that became
	// pending and of those that left pending (the sweeps' queue).
	due, undue [][]any
	interest   interestTxn
}

// interestTxn is the one transaction in which a batch posts its
// interest: a credit entry per savings account, each where its own
// transaction would have been (so a history shows it in order), and one
// debit of the interest expense account for their sum. Two rows per
// account instead of four (a transaction and the expense's entry per
// account) is most of what the 04:00 job writes; each account's entry
// and event are as before, and name a transaction whose entries sum to
// zero. An account paid twice in one batch (a catch-up day and a
// deposit's accrual) starts a new one, so each account has one credit
// and one event per interest transaction, as the audit checks.
type interestTxn struct {
	id, total, first int64 // first: the first account paid, the debit's other side
	paid             map[int64]bool
}

// addInterest adds interest transaction t's credit to the batch's
// current interest transaction and returns that transaction's id.
func (r *rowSet) addInterest(t ledger.Txn, ids *newIDs) int64 {
	credit := t.Entries[1] // move(TxnInterest, InterestExpense, savings, pay)
	if r.interest.paid[credit.Account] {
		r.closeInterest()
	}
	if r.interest.id == 0 { // several users' interest: no one user made it
		r.interest = interestTxn{id: ids.txn(), first: credit.Account, paid: map[int64]bool{}}
		r.txns = append(r.txns, []any{r.interest.id, string(ledger.TxnInterest), nil, nil, r.at})
	}
	r.interest.paid[credit.Account] = true
	r.interest.total += credit.Amount
	r.entries = append(r.entries, []any{r.interest.id, credit.Account, credit.Amount, credit.BalanceAfter, r.at,
		string(t.Kind), ledger.InterestExpense, nil})
	return r.interest.id
}

// closeInterest adds the current interest transaction's debit, if there
// is one, and ends it.
func (r *rowSet) closeInterest() {
	if r.interest.id != 0 {
		r.entries = append(r.entries, []any{r.interest.id, ledger.InterestExpense, -r.interest.total, nil, r.at,
			string(ledger.TxnInterest), r.interest.first, nil})
	}
	r.interest = interestTxn{}
}

// newIDs are the ids allocated for a batch, handed out in order.
type newIDs struct{ txns, transfers, events []int64 }

func (n *newIDs) txn() int64 {
	id := n.txns[0]
	n.txns = n.txns[1:]
	return id
}

func (n *newIDs) transfer() int64 {
	id := n.transfers[0]
	n.transfers = n.transfers[1:]
	return id
}

func (n *newIDs) event() int64 {
	id := n.events[0]
	n.events = n.events[1:]
	return id
}

// takeIDs makes sure the batch has an id for every transaction, new
// transfer and event it records, taking in one exchange what the ids
// reserved ahead (lock.go) do not cover. Event ids are handed out in the
// commands' order, so a user's events are in the order of their changes.
func (b *batch) takeIDs(ctx context.Context) error {
	var nTxns, nTransfers, nEvents int
	for _, a := range b.applied {
		nTxns += len(a.txns)
		nEvents += len(a.events)
		for _, t := range a.txns {
			if t.Transfer != nil {
				nTransfers++
			}
		}
	}
	nTxns = max(0, nTxns-len(b.ids.txns))
	nTransfers = max(0, nTransfers-len(b.ids.transfers))
	nEvents = max(0, nEvents-len(b.ids.events))
	if nTxns+nTransfers+nEvents == 0 {
		return nil
	}
	return b.s.exchange(ctx, b.dialect.idSteps(nTxns, nTransfers, nEvents, b.ids), false)
}

// recordApplied adds the rows of one command's transactions and events and
// fills in its result's ids. A command's own transaction is its last;
// earlier ones are the automatic charge it needed.
func (b *batch) recordApplied(r *rowSet, a applied, ids *newIDs) error {
	for i, t := range a.txns {
		if t.Kind == ledger.TxnInterest {
			a.result.TransactionID = r.addInterest(t, ids)
			a.events[i].TransactionID = a.result.TransactionID
			continue
		}
		id := ids.txn()
		transferID := t.TransferID
		if t.Transfer != nil {
			transferID = ids.transfer()
			r.addTransfer(transferID, t.Transfer)
		}
		if transferID != 0 {
			a.result.TransferID = transferID
		}
		r.txns = append(r.txns, []any{id, string(t.Kind), nullID(b.ops[a.op].user), nullID(transferID), r.at})
		r.addEntries(id, t, transferID)
		for _, n := range t.Notices {
			if n.TransferID == 0 { // "this transfer", now that it has an id
				n.TransferID = transferID
			}
			if err := r.addNotice(n); err != nil {
				return err
			}
		}
		if t.Kind == ledger.TxnCharge && len(a.txns) > 1 {
			a.result.ChargeID = id
		} else {
			a.result.TransactionID = id
		}
		e := &a.events[i] // the event reporting t
		e.TransactionID = id
		if e.TransferID == 0 {
			e.TransferID = transferID
		}
	}
	for _, e := range a.events {
		var err error
		if r.events, err = appendEventRows(r.events, ids.event(), r.at, e); err != nil {
			return err
		}
	}
	if key := b.ops[a.op].key; key != "" {
		b.records[key].result = *a.result
	}
	return nil
}

func (r *rowSet) addTransfer(id int64, t *ledger.TransferRecord) {
	r.transfers = append(r.transfers, []any{id, t.FromUser, t.FromAccount, t.ToUser, t.ToAccount, t.Amount, t.Charged,
		t.Status, t.SenderName, t.DisplayName, t.Memo, r.at, nullMicros(t.ExpiresAt), nullID(t.Share)})
	if t.Status == ledger.TransferPending {
		r.due = append(r.due, []any{micros(t.ExpiresAt), id, t.FromAccount})
	}
}

// addEntries adds transaction txn's entries. System accounts keep no
// balance after (theirs are derived). Each entry also carries what its
// history page shows of the transaction (History): the history kind, the
// account on the other side (every transaction has two entries) and the
// transfer, so a page joins neither the transaction nor the other entry.
func (r *rowSet) addEntries(txn int64, t ledger.Txn, transferID int64) {
	kind := string(t.Kind)
	if t.Transfer != nil && t.Transfer.Share != 0 {
		kind = KindSettlementPayment // a settlement payment is never pending, so only its own transaction names it
	}
	for i, e := range t.Entries {
		var after any
		if !ledger.IsSystem(e.Account) {
			after = e.BalanceAfter
		}
		other := t.Entries[len(t.Entries)-1-i].Account
		r.entries = append(r.entries, []any{txn, e.Account, e.Amount, after, r.at, kind, other, nullID(transferID)})
	}
}

func (r *rowSet) addNotice(n ledger.Notice) error {
	row, err := noticeRow(n, r.at)
	if err != nil {
		return err
	}
	r.notices = append(r.notices, row)
	return nil
}

// recordState adds the rows of what changed in the book: accounts,
// transfer and share statuses, installments and the notices commands
// sent without moving money.
func (b *batch) recordState(r *rowSet) error {
	for id := range b.book.Dirty {
		a := b.book.Accounts[id]
		r.accounts = append(r.accounts, []any{id, a.Balance, a.Status, a.ChargeDay, a.Charged,
			a.Principal, a.InterestDay, a.InterestCarry, a.InterestPaid, a.InstallmentDay, a.MissedInstallments})
	}
	for id := range b.book.DirtyTransfers {
		t := b.book.Transfers[id]
		r.transferStatuses = append(r.transferStatuses, []any{id, t.Status, r.at})
		if t.Status != ledger.TransferPending { // it was: only pending transfers change
			r.undue = append(r.undue, []any{micros(t.ExpiresAt), id})
		}
	}
	for id := range b.book.DirtyShares {
		r.shareStatuses = append(r.shareStatuses, []any{id, b.book.Shares[id].Status, r.at})
	}
	for _, i := range b.book.Installments {
		r.instals = append(r.instals, []any{i.Account, i.Day, i.Status, i.Amount, i.Charged, r.at})
	}
	for _, n := range b.book.Notices {
		if err := r.addNotice(n); err != nil {
			return err
		}
	}
	return nil
}

// recordKeys adds the idempotency records this batch created. They are a
// plain INSERT: if another server stored the same key since this batch
// looked, the unique violation rolls the batch back and its retry sees
// the key and replays it.
func (b *batch) recordKeys(r *rowSet) error {
	for key, rec := range b.records {
		if !rec.fresh {
			continue
		}
		body, err := encodeResult(rec.result)
		if err != nil {
			return err
		}
		r.keys = append(r.keys, []any{key, rec.hash, body, r.at})
	}
	return nil
}

// writes are the batch's statements, in an order foreign keys allow.
func (r *rowSet) writes() []write {
	return []write{
		{table: "transfers", cols: newTransferColumns, rows: r.transfers},
		{table: "pending_due", cols: dueColumns, rows: r.due},
		{table: "transactions", cols: txnColumns, rows: r.txns},
		{table: "entries", cols: entryColumns, rows: r.entries},
		{table: "accounts", cols: accountStateColumns, rows: r.accounts, update: true},
		{table: "transfers", cols: statusColumns, rows: r.transferStatuses, update: true},
		{table: "pending_due", cols: dueColumns[:2], rows: r.undue, delete: true},
		{table: "settlement_shares", cols: statusColumns, rows: r.shareStatuses, update: true},
		{table: "notifications", cols: noticeColumns, rows: r.notices},
		{table: "events", cols: eventColumns, rows: r.events},
		{table: "installments", cols: installmentColumns, rows: r.instals},
		{table: "idempotency_keys", cols: keyColumns, rows: r.keys},
	}
}

// The columns of the rows above, in the same order.
var (
	newTransferColumns = []column{{"id", "bigint"}, {"from_user", "bigint"}, {"from_account", "bigint"},
		{"to_user", "bigint"}, {"to_account", "bigint"}, {"amount", "bigint"}, {"charged", "bigint"}, {"status", "text"},
		{"sender_name", "text"}, {"display_name", "text"}, {"memo", "text"}, {"created_at", "bigint"}, {"expires_at", "bigint"}, {"share_id", "bigint"}}
	// dueColumns are a pending_due row's; its key, the first two, is
	// what deletes it.
	dueColumns   = []column{{"expires_at", "bigint"}, {"transfer_id", "bigint"}, {"from_account", "bigint"}}
	txnColumns   = []column{{"id", "bigint"}, {"kind", "text"}, {"user_id", "bigint"}, {"transfer_id", "bigint"}, {"created_at", "bigint"}}
	entryColumns = []column{{"transaction_id", "bigint"}, {"account_id", "bigint"}, {"amount", "bigint"}, {"balance_after", "bigint"}, {"created_at", "bigint"},
		{"kind", "text"}, {"other_account", "bigint"}, {"transfer_id", "bigint"}}
	// accountStateColumns are what commands change; the rest of an
	// account is fixed when it opens.
	accountStateColumns = []column{{"id", "bigint"}, {"balance", "bigint"}, {"status", "text"}, {"charge_day", "text"}, {"charged", "bigint"},
		{"principal", "bigint"}, {"interest_day", "text"}, {"interest_carry", "bigint"}, {"interest_paid", "bigint"},
		{"installment_day", "text"}, {"missed_installments", "bigint"}}
	statusColumns      = []column{{"id", "bigint"}, {"status", "text"}, {"settled_at", "bigint"}}
	installmentColumns = []column{{"account_id", "bigint"}, {"day", "text"}, {"status", "text"}, {"amount", "bigint"}, {"charged", "bigint"}, {"created_at", "bigint"}}
	keyColumns         = []column{{"key", "text"}, {"request_hash", "text"}, {"receipt", "text"}, {"created_at", "bigint"}}
)
