package ledger

import (
	"fmt"

	"minipay/errs"
)

// Settlement share statuses. A share is paid at most once: pay and
// decline are guarded changes from pending, inside the engine.
const (
	SharePending  = "pending"
	SharePaid     = "paid"
	ShareDeclined = "declined"
)

// Notice kinds of settlements.
const (
	NoticeSettlementRequested = "settlement_requested"
	NoticeSharePaid           = "settlement_share_paid"
	NoticeShareDeclined       = "settlement_share_declined"
)

// Share is one participant's part of a settlement, as the rules see it.
type Share struct {
	ID, Settlement              int64
	User                        int64  // who owes it
	UserMasked                  string // their masked real name
	Requester, RequesterAccount int64  // who is owed, and their main account
	Amount                      int64
	Status                      string
}

// ShareCommand is a command on a settlement share: the writer locks the
// settlement and the share (before any transfer or account) and the
// requester's main account.
type ShareCommand interface {
	Command
	SettlementRef() int64
	ShareRef() int64
}

// PayShare pays a settlement share: a transfer from the participant's main
// account to the requester's, with auto-charge like any transfer.
type PayShare struct {
	User, Main        int64
	Settlement, Share int64
}

// DeclineShare refuses to pay a settlement share. No money moves.
type DeclineShare struct {
	User, Settlement, Share int64
}

func (c PayShare) Touches() []int64     { return []int64{c.Main} }
func (c DeclineShare) Touches() []int64 { return nil }
func (c PayShare) ShareRef() int64      { return c.Share }
func (c DeclineShare) ShareRef() int64  { return c.Share }

func (c PayShare) SettlementRef() int64     { return c.Settlement }
func (c DeclineShare) SettlementRef() int64 { return c.Settlement }

// pendingShare returns the share if user may act on it now.
func (b *Book) pendingShare(settlement, id, user int64) (*Share, error) {
	sh, ok := b.Shares[id]
	switch {
	case !ok || sh.Settlement != settlement:
		return nil, errs.E(errs.NotFound, "settlement %d has no share %d", settlement, id)
	case sh.User != user:
		return nil, errs.E(errs.Forbidden, "share %d is someone else's to pay", id)
	case sh.Status != SharePending:
		return nil, errs.E(errs.Conflict, "share %d is already %s", id, sh.Status)
	}
	return sh, nil
}

func (c PayShare) apply(b *Book) (Receipt, []Txn, error) {
	sh, err := b.pendingShare(c.Settlement, c.Share, c.User)
	if err != nil {
		return Receipt{}, nil, err
	}
	from, err := b.mainOf(c.Main, c.User)
	if err != nil {
		return Receipt{}, nil, err
	}
	to, ok := b.Accounts[sh.RequesterAccount]
	if !ok {
		return Receipt{}, nil, errs.E(errs.NotFound, "account %d not found", sh.RequesterAccount)
	}
	r, txns, err := b.send(from, to, sh.Amount, "", fmt.Sprintf("settlement %d", sh.Settlement), false)
	if err != nil {
		return Receipt{}, nil, err
	}
	t := &txns[len(txns)-1]
	t.Transfer.Share = sh.ID
	t.Notices[0].Kind, t.Notices[0].Settlement = NoticeSharePaid, sh.Settlement
	sh.Status = SharePaid
	b.DirtyShares[sh.ID] = true
	return r, txns, nil
}

func (c DeclineShare) apply(b *Book) (Receipt, []Txn, error) {
	sh, err := b.pendingShare(c.Settlement, c.Share, c.User)
	if err != nil {
		return Receipt{}, nil, err
	}
	sh.Status = ShareDeclined
	b.DirtyShares[sh.ID] = true
	b.Notices = append(b.Notices, Notice{User: sh.Requester, Kind: NoticeShareDeclined, Amount: sh.Amount, Settlement: sh.Settlement,
		CounterpartyMasked: sh.UserMasked})
	return Receipt{Amount: sh.Amount, Status: ShareDeclined}, nil, nil
}
