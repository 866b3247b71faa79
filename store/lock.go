package store

import (
	"context"
	"slices"
	"time"

	"minipay/ledger"
	"minipay/names"
)

// lock loads and locks what the batch's commands act on and builds the
// ledger book over it. Every batch locks settlements first, then
// settlement shares, then transfers, then accounts, each in id order, so
// concurrent batches and servers cannot deadlock. One statement per kind,
// whatever the batch size, in one exchange — two when the batch acts on
// transfers or shares, whose rows name more accounts to lock (of a
// transfer, only the account the command credits: the other party's row
// does not change, so expiries of different senders to one receiver do
// not wait for each other). The
// accounts' exchange also loads the idempotency records and reserves ids
// (writeback.go).
func (b *batch) lock(ctx context.Context, loc *time.Location) error {
	settlementIDs, shareIDs, transferIDs, accountIDs, keys := b.refs()
	var first []step
	b.lockSettlements(&first, settlementIDs)
	shares := lockRows(&first, b, shareRows, shareIDs)
	transfers := lockRows(&first, b, pendingRows, transferIDs)
	if len(first) > 0 {
		if err := b.s.exchange(ctx, first, false); err != nil {
			return err
		}
	}
	for _, sh := range shares {
		accountIDs = append(accountIDs, sh.RequesterAccount)
	}
	for _, o := range b.ops {
		if tc, ok := o.cmd.(ledger.TransferCommand); ok && transfers[tc.TransferRef()] != nil {
			accountIDs = append(accountIDs, ledger.Credited(tc, transfers[tc.TransferRef()]))
		}
	}
	var load []step
	accounts := lockRows(&load, b, accountRows, accountIDs)
	b.records = b.loadIdempotency(&load, keys)
	if n := b.dialect.idsAhead(len(b.ops)); n > 0 {
		load = append(load, b.dialect.idSteps(n, b.newTransfers(), n, b.ids)...)
	}
	if err := b.s.exchange(ctx, load, false); err != nil {
		return err
	}
	b.book = ledger.NewBook(accounts, b.now, loc)
	b.book.Transfers, b.book.Shares = transfers, shares
	return nil
}

// newTransfers is how many transfers the batch's commands would create
// if the ledger accepted them all.
func (b *batch) newTransfers() int {
	n := 0
	for _, o := range b.ops {
		switch o.cmd.(type) {
		case ledger.Transfer, ledger.PayShare:
			n++
		}
	}
	return n
}

// refs lists what the batch's commands name: settlements and their
// shares, existing transfers, user accounts (system accounts are never
// locked) and idempotency keys.
func (b *batch) refs() (settlementIDs, shareIDs, transferIDs, accountIDs []int64, keys []string) {
	for _, o := range b.ops {
		if sc, ok := o.cmd.(ledger.ShareCommand); ok {
			settlementIDs = append(settlementIDs, sc.SettlementRef())
			shareIDs = append(shareIDs, sc.ShareRef())
		}
		if tc, ok := o.cmd.(ledger.TransferCommand); ok {
			transferIDs = append(transferIDs, tc.TransferRef())
		}
		for _, id := range o.cmd.Touches() {
			if !ledger.IsSystem(id) {
				accountIDs = append(accountIDs, id)
			}
		}
		if o.key != "" {
			keys = append(keys, o.key)
		}
	}
	return settlementIDs, shareIDs, transferIDs, accountIDs, keys
}

// lockSettlements locks the settlements whose shares the batch acts on and
// then tallies their shares, so the batch that resolves a settlement's
// last open share knows it and reports the settlement done (outbox.go):
// with the settlement locked, no other batch changes its shares meanwhile.
func (b *batch) lockSettlements(steps *[]step, ids []int64) {
	b.tallies = map[int64]tally{}
	if len(ids) == 0 {
		return
	}
	lockRows(steps, b, settlementRows, ids)
	set, arg := b.dialect.list(1, "bigint", ids)
	*steps = append(*steps, step{what: "tally settlement shares", sql: `SELECT settlement_id, SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END),
		SUM(CASE WHEN status = 'declined' THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'paid' THEN amount ELSE 0 END)
		FROM settlement_shares WHERE settlement_id IN ` + set + ` GROUP BY settlement_id`, args: []any{arg},
		row: func(s scanner) error {
			var id int64
			var t tally
			err := s.Scan(&id, &t.open, &t.declined, &t.paid)
			b.tallies[id] = t
			return err
		}})
}

// lockable says how to read one kind of row the writer locks.
type lockable[T any] struct {
	table, columns string
	scan           func(scanner) (T, error)
	id             func(T) int64
}

var (
	accountRows = lockable[*ledger.Account]{"accounts", accountColumns, scanAccount, func(a *ledger.Account) int64 { return a.ID }}
	pendingRows = lockable[*ledger.PendingTransfer]{"transfers", pendingColumns, scanPending, func(t *ledger.PendingTransfer) int64 { return t.ID }}
	shareRows   = lockable[*ledger.Share]{"settlement_shares", shareColumns, scanShare, func(s *ledger.Share) int64 { return s.ID }}
	// settlementRows are only locked: the batch reads their shares.
	settlementRows = lockable[int64]{"settlements", "id", scanID, func(id int64) int64 { return id }}
)

func scanID(s scanner) (int64, error) {
	var id int64
	err := s.Scan(&id)
	return id, err
}

// lockRows adds to steps the statement that loads the rows of kind with
// the given ids (in any order, with repeats), locking them in id order,
// and returns the map it fills with them by id once the step has run.
func lockRows[T any](steps *[]step, b *batch, kind lockable[T], ids []int64) map[int64]T {
	out := make(map[int64]T, len(ids))
	if len(ids) == 0 {
		return out
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	among, arg := b.dialect.among("id", 1, "bigint", ids)
	*steps = append(*steps, step{what: "lock " + kind.table,
		sql:  `SELECT ` + kind.columns + ` FROM ` + kind.table + ` WHERE ` + among + ` ORDER BY id` + b.dialect.forUpdate(),
		args: []any{arg},
		row: func(s scanner) error {
			v, err := kind.scan(s)
			if err == nil {
				out[kind.id(v)] = v
			}
			return err
		}})
	return out
}

// pendingColumns and scanPending read a transfer as pending-transfer
// commands see it, with the display name its receiver is shown and both
// parties' real names (masked for the notices).
const pendingColumns = `id, from_user, from_account, to_user, to_account, amount, status, display_name, sender_name, COALESCE(expires_at, 0),
	COALESCE((SELECT name FROM users WHERE users.id = transfers.from_user), ''),
	COALESCE((SELECT name FROM users WHERE users.id = transfers.to_user), '')`

func scanPending(s scanner) (*ledger.PendingTransfer, error) {
	var t ledger.PendingTransfer
	var sender, from, to string
	var expires int64
	if err := s.Scan(&t.ID, &t.FromUser, &t.FromAccount, &t.ToUser, &t.ToAccount, &t.Amount, &t.Status, &t.DisplayName, &sender, &expires, &from, &to); err != nil {
		return nil, err
	}
	t.DisplayName = receiverSees(t.DisplayName, sender)
	t.FromMasked, t.ToMasked = names.Mask(from), names.Mask(to)
	t.ExpiresAt = fromMicros(expires)
	return &t, nil
}

// shareColumns and scanShare read a settlement share as share commands
// see it, with the participant's masked real name (for the requester's
// notices).
const shareColumns = `id, settlement_id, user_id, requester_id, requester_account, amount, status,
	(SELECT u.name FROM users u WHERE u.id = settlement_shares.user_id)`

func scanShare(s scanner) (*ledger.Share, error) {
	var sh ledger.Share
	var name string
	if err := s.Scan(&sh.ID, &sh.Settlement, &sh.User, &sh.Requester, &sh.RequesterAccount, &sh.Amount, &sh.Status, &name); err != nil {
		return nil, err
	}
	sh.UserMasked = names.Mask(name)
	return &sh, nil
}

// loadIdempotency adds to steps the statement that reads the stored
// records of the batch's keys into the map it returns. They need no lock:
// a key stored concurrently makes this batch's insert of it fail, and the
// retry replays it. A key older than IdempotencyWindow at the batch's
// time is forgotten even if retention has not deleted it yet: writeBack
// deletes it in the batch's transaction, so the key can be stored anew.
func (b *batch) loadIdempotency(steps *[]step, keys []string) map[string]*idemRecord {
	records := map[string]*idemRecord{}
	if len(keys) == 0 {
		return records
	}
	set, arg := b.dialect.list(1, "text", keys)
	cutoff := idempotencyCutoff(b.now)
	*steps = append(*steps, step{what: "load idempotency keys", sql: `SELECT key, request_hash, receipt, created_at FROM idempotency_keys WHERE key IN ` + set,
		args: []any{arg},
		row: func(s scanner) error {
			var key, body string
			var created int64
			rec := &idemRecord{}
			if err := s.Scan(&key, &rec.hash, &body, &created); err != nil {
				return err
			}
			if created < cutoff {
				b.expired = append(b.expired, key)
				return nil
			}
			var err error
			rec.result, err = decodeResult(body)
			records[key] = rec
			return err
		}})
	return records
}
