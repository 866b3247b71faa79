package store

import (
	"minipay/ledger"
)

// The writer's side of the outbox (events.go): each command the ledger
// accepts gets its events right after it is applied, while the book still
// shows the state it left (an installment's day, a transfer's new
// status); the batch writes them with one statement beside the money, once
// it knows the ids.

// eventsOf are the events of an applied command: first one event per
// transaction, in order (events[i] reports txns[i]; writeBack fills in its
// transaction and a new transfer's id), then those of state changes that
// moved no money.
func (b *batch) eventsOf(cmd ledger.Command, r ledger.Receipt, txns []ledger.Txn) []NewEvent {
	var out []NewEvent
	closed := false
	for _, t := range txns {
		out = append(out, b.txnEvent(t))
		closed = closed || t.Kind == ledger.TxnClose
	}
	switch c := cmd.(type) {
	case ledger.Close:
		if !closed { // an empty account closes without moving money
			out = append(out, b.savingsEvent(EventSavingsClosed, c.Savings, 0))
		}
	case ledger.Installment:
		if r.Status == ledger.InstallmentMissed {
			e := b.savingsEvent(EventSavingsInstallmentMiss, c.Savings, r.Amount)
			e.For[0].Data.Reason = "main account short and the daily charge limit does not allow the top-up"
			out = append(out, e)
		}
	case ledger.DeclineShare:
		sh := b.book.Shares[c.Share]
		out = append(out, NewEvent{Type: EventShareDeclined, SettlementID: sh.Settlement,
			For: forAll(EventData{Amount: sh.Amount, ShareID: sh.ID, Status: sh.Status}, sh.User, sh.Requester)})
	}
	if sc, ok := cmd.(ledger.ShareCommand); ok {
		out = append(out, b.settlementProgress(b.book.Shares[sc.ShareRef()])...)
	}
	return out
}

// savingsKinds are the event types of transactions on a savings account.
var savingsKinds = map[ledger.TxnKind]string{
	ledger.TxnDeposit: EventSavingsDeposit, ledger.TxnWithdrawal: EventSavingsWithdrawal, ledger.TxnClose: EventSavingsClosed,
	ledger.TxnInterest: EventSavingsInterestPaid, ledger.TxnInstallment: EventSavingsInstallment,
}

// txnEvent is the event reporting one transaction.
func (b *batch) txnEvent(t ledger.Txn) NewEvent {
	switch t.Kind {
	case ledger.TxnCharge:
		to := t.Entries[1] // from the external bank to main
		return NewEvent{Type: EventChargeSucceeded, AccountID: to.Account,
			For: forAll(EventData{Amount: to.Amount}, b.book.Accounts[to.Account].UserID)}
	case ledger.TxnTransfer, ledger.TxnPendingHold:
		rec := t.Transfer
		d := EventData{Amount: rec.Amount, Status: rec.Status, DisplayName: rec.DisplayName, Memo: rec.Memo,
			ToAccount: rec.ToAccount, ExpiresAt: rec.ExpiresAt}
		e := NewEvent{Type: EventTransferCompleted}
		if rec.Status == ledger.TransferPending {
			e.Type = EventTransferPending
		}
		if sh, ok := b.book.Shares[rec.Share]; ok && rec.Share != 0 {
			e.Type, e.SettlementID, d.ShareID = EventSharePaid, sh.Settlement, sh.ID
		}
		e.For = forAll(d, rec.FromUser, rec.ToUser)
		return e
	case ledger.TxnPendingRelease, ledger.TxnPendingReturn:
		pt := b.book.Transfers[t.TransferID]
		return NewEvent{Type: eventTransferPrefix + pt.Status, TransferID: pt.ID,
			For: forAll(EventData{Amount: pt.Amount, Status: pt.Status, DisplayName: pt.DisplayName, ToAccount: pt.ToAccount},
				pt.FromUser, pt.ToUser)}
	}
	// The rest move money into or out of a savings account.
	for _, e := range t.Entries {
		if a, ok := b.book.Accounts[e.Account]; ok && a.Kind == ledger.Savings {
			return b.savingsEvent(savingsKinds[t.Kind], a.ID, max(e.Amount, -e.Amount))
		}
	}
	panic("store: no event for a " + string(t.Kind) + " transaction") // a new kind needs its event here
}

// savingsEvent is an event of a savings account, for its owner.
func (b *batch) savingsEvent(typ string, account, amount int64) NewEvent {
	a := b.book.Accounts[account]
	d := EventData{Amount: amount, Product: a.Product}
	switch typ {
	case EventSavingsInstallment, EventSavingsInstallmentMiss:
		d.Day = a.InstallmentDay
	case EventSavingsInterestPaid:
		d.Day = a.InterestDay
	}
	return NewEvent{Type: typ, AccountID: account, For: forAll(d, a.UserID)}
}

// tally is a settlement's shares as the batch found them (lock.go) and
// changed them so far.
type tally struct {
	open, declined int
	paid           int64
}

// settlementProgress counts a share just paid or declined and, if it was
// the settlement's last open share, reports the settlement done to its
// requester: "completed" if every share was paid, else "closed".
func (b *batch) settlementProgress(sh *ledger.Share) []NewEvent {
	t := b.tallies[sh.Settlement]
	t.open--
	if sh.Status == ledger.ShareDeclined {
		t.declined++
	} else {
		t.paid += sh.Amount
	}
	b.tallies[sh.Settlement] = t
	if t.open > 0 {
		return nil
	}
	status := "completed"
	if t.declined > 0 {
		status = "closed"
	}
	return []NewEvent{{Type: EventSettlementCompleted, SettlementID: sh.Settlement,
		For: forAll(EventData{Amount: t.paid, Status: status}, sh.Requester)}}
}
