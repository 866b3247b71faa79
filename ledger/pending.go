package ledger

import (
	"time"

	"minipay/errs"
)

// Pending transfers live at most PendingLifetime; the receiver is reminded
// when ReminderBefore remains.
const (
	PendingLifetime = 72 * time.Hour
	ReminderBefore  = 24 * time.Hour
)

// PendingTransfer is the state of an existing transfer that accept,
// reject, cancel and expiry act on. The writer locks it before the
// account it credits (Credited).
type PendingTransfer struct {
	ID                    int64
	FromUser, FromAccount int64
	ToUser, ToAccount     int64
	Amount                int64
	Status                string
	DisplayName           string
	ExpiresAt             time.Time
	// FromMasked and ToMasked are the sender's and the receiver's masked
	// real names, for the other party's notice.
	FromMasked, ToMasked string
}

// TransferCommand is a command on an existing transfer: the writer locks
// the transfer, then the one account the command credits, before Apply.
type TransferCommand interface {
	Command
	TransferRef() int64
}

// Credited is the account a command on transfer t moves the held money
// into — the receiver's on accept, the sender's otherwise — and the only
// account whose row it changes: the other party is named on the transfer.
func Credited(c TransferCommand, t *PendingTransfer) int64 {
	if _, ok := c.(Accept); ok {
		return t.ToAccount
	}
	return t.FromAccount
}

// outcome is what happens to a pending transfer's money, and who may make
// it happen. (A settlement is something else: a bill split, settlement.go.)
type outcome int

const (
	accept outcome = iota
	reject
	cancel
	expire
)

// Accept is the receiver taking a pending transfer: the money arrives.
type Accept struct{ User, Transfer int64 }

// Reject is the receiver refusing a pending transfer: the money returns.
type Reject struct{ User, Transfer int64 }

// Cancel is the sender withdrawing a pending transfer: the money returns.
type Cancel struct{ User, Transfer int64 }

// Expire returns a pending transfer's money once its deadline has passed.
// It is what the expiry sweep submits; it needs no user. From is the
// transfer's sending account, read by the sweep with the transfer: the
// only account an expiry changes, so the engine holds only that one for
// it and overlaps the expiries of different senders.
type Expire struct{ Transfer, From int64 }

func (c Accept) Touches() []int64 { return nil }
func (c Reject) Touches() []int64 { return nil }
func (c Cancel) Touches() []int64 { return nil }
func (c Expire) Touches() []int64 { return []int64{c.From} }

func (c Accept) TransferRef() int64 { return c.Transfer }
func (c Reject) TransferRef() int64 { return c.Transfer }
func (c Cancel) TransferRef() int64 { return c.Transfer }
func (c Expire) TransferRef() int64 { return c.Transfer }

func (c Accept) apply(b *Book) (Receipt, []Txn, error) { return b.resolve(c.Transfer, c.User, accept) }
func (c Reject) apply(b *Book) (Receipt, []Txn, error) { return b.resolve(c.Transfer, c.User, reject) }
func (c Cancel) apply(b *Book) (Receipt, []Txn, error) { return b.resolve(c.Transfer, c.User, cancel) }
func (c Expire) apply(b *Book) (Receipt, []Txn, error) {
	if t, ok := b.Transfers[c.Transfer]; ok && t.FromAccount != c.From {
		return Receipt{}, nil, errs.E(errs.Invalid, "transfer %d was not sent from account %d", c.Transfer, c.From)
	}
	return b.resolve(c.Transfer, 0, expire)
}

// resolve applies one outcome to a pending transfer. Exactly one outcome
// can win: each checks the transfer is still pending, and the deadline is
// checked here against the batch's clock, so an accept one second late
// fails even if no sweep has run.
func (b *Book) resolve(id, user int64, how outcome) (Receipt, []Txn, error) {
	t, ok := b.Transfers[id]
	if !ok {
		return Receipt{}, nil, errs.E(errs.NotFound, "transfer %d not found", id)
	}
	switch {
	case how == accept || how == reject:
		if t.ToUser != user {
			return Receipt{}, nil, errs.E(errs.Forbidden, "only the receiver can accept or reject transfer %d", id)
		}
	case how == cancel:
		if t.FromUser != user {
			return Receipt{}, nil, errs.E(errs.Forbidden, "only the sender can cancel transfer %d", id)
		}
	}
	if t.Status != TransferPending {
		return Receipt{}, nil, errs.E(errs.Conflict, "transfer %d is %s, not pending", id, t.Status)
	}
	due := !b.Now.Before(t.ExpiresAt)
	if how == expire && !due {
		return Receipt{}, nil, errs.E(errs.Conflict, "transfer %d is not due until %s", id, t.ExpiresAt.Format(time.RFC3339))
	}
	if how != expire && due {
		return Receipt{}, nil, errs.E(errs.Expired, "transfer %d expired at %s", id, t.ExpiresAt.Format(time.RFC3339))
	}
	to, status := t.FromAccount, map[outcome]string{accept: TransferAccepted, reject: TransferRejected, cancel: TransferCancelled, expire: TransferExpired}[how]
	kind := TxnPendingReturn
	if how == accept {
		to, kind = t.ToAccount, TxnPendingRelease
	}
	a, ok := b.Accounts[to]
	if !ok {
		return Receipt{}, nil, errs.E(errs.NotFound, "account %d not found", to)
	}
	if !fits(a.Balance, t.Amount) {
		return Receipt{}, nil, errOverflow()
	}
	txn := b.move(kind, PendingHold, to, t.Amount)
	txn.TransferID = id
	switch how {
	case accept:
		txn.Notices = []Notice{{User: t.FromUser, Kind: NoticePendingAccepted, TransferID: id, Amount: t.Amount,
			CounterpartyMasked: t.ToMasked}}
	case cancel:
		txn.Notices = []Notice{{User: t.ToUser, Kind: NoticePendingCancelled, TransferID: id, Amount: t.Amount, Counterparty: t.DisplayName,
			CounterpartyMasked: t.FromMasked}}
	default:
		txn.Notices = []Notice{{User: t.FromUser, Kind: NoticePendingReturned, TransferID: id, Amount: t.Amount, Reason: status,
			CounterpartyMasked: t.ToMasked}}
	}
	t.Status = status
	b.DirtyTransfers[id] = true
	r := Receipt{Amount: t.Amount, Status: status}
	if a.UserID == user { // never show a user the other party's balance
		r.MainBalance = a.Balance
	}
	return r, []Txn{txn}, nil
}
