package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"minipay/errs"
	"minipay/ledger"
)

// Events are the outbox (migrations 00013): every change of money or of a
// transfer, settlement or savings state, and every login and password
// change, records its events in the same
// database transaction as the change — the writer's batch (outbox.go) or,
// for the few changes outside it, InsertEvents — so an event exists
// exactly when its change committed. A row per user the event concerns,
// all rows of an event sharing its id: a user's events are one range of
// the (user_id, id) primary key.
//
// Ordering. Ids only grow and a user's events are in the order their
// changes happened: ids are allocated after the batch has locked every row
// it changes, so two changes to one account get ids in commit order. Ids
// of unrelated changes may commit out of order on PostgreSQL (batch A takes
// id 7, batch B id 8, B commits first), so a reader that goes "after id X"
// must not read past the read fence (EventFence): every event at or below
// it has committed or never will.

// Event types.
const (
	EventChargeSucceeded        = "charge.succeeded"
	EventTransferCompleted      = "transfer.completed"
	EventTransferPending        = "transfer.pending"
	EventTransferReminder       = "transfer.reminder"
	EventSettlementRequested    = "settlement.requested"
	EventSharePaid              = "settlement.share_paid"
	EventShareDeclined          = "settlement.share_declined"
	EventSettlementCompleted    = "settlement.completed"
	EventSavingsOpened          = "savings.opened"
	EventSavingsDeposit         = "savings.deposit"
	EventSavingsWithdrawal      = "savings.withdrawal"
	EventSavingsInterestPaid    = "savings.interest_paid"
	EventSavingsInstallment     = "savings.installment_taken"
	EventSavingsInstallmentMiss = "savings.installment_missed"
	EventSavingsClosed          = "savings.closed"
	// Security events: the login lifecycle. They move no money, so they
	// report no transaction (the audit counts only those that do).
	EventSessionCreated  = "session.created"
	EventPasswordChanged = "password.changed"
	// A webhook endpoint of the user stopped: its deliveries kept failing.
	EventWebhookEndpointDisabled = "webhook_endpoint.disabled"
	// A resolved pending transfer's event is "transfer." and its new
	// status: transfer.accepted, .rejected, .cancelled or .expired.
	eventTransferPrefix = "transfer."
)

// EventTypes lists every event type, for filters and documentation.
var EventTypes = []string{EventChargeSucceeded, EventTransferCompleted, EventTransferPending,
	eventTransferPrefix + ledger.TransferAccepted, eventTransferPrefix + ledger.TransferRejected,
	eventTransferPrefix + ledger.TransferCancelled, eventTransferPrefix + ledger.TransferExpired, EventTransferReminder,
	EventSettlementRequested, EventSharePaid, EventShareDeclined, EventSettlementCompleted,
	EventSavingsOpened, EventSavingsDeposit, EventSavingsWithdrawal, EventSavingsInterestPaid,
	EventSavingsInstallment, EventSavingsInstallmentMiss, EventSavingsClosed,
	EventSessionCreated, EventPasswordChanged, EventWebhookEndpointDisabled}

// EventRetention is how long events are kept.
const EventRetention = 30 * 24 * time.Hour

// Event is one event as a user it concerns reads it.
type Event struct {
	ID         int64
	Type       string
	OccurredAt time.Time
	// What it refers to; 0 for none. TransactionID is the money movement
	// the event reports, if it reports one: each committed transaction has
	// exactly one such event (the audit checks).
	TransactionID, TransferID, SettlementID, AccountID int64
	Data                                               EventData
}

// EventData is what an event says beyond its type and references. Which
// fields are set depends on the type (the README lists them). It never
// holds a balance: an event concerning two users is read by both.
type EventData struct {
	Amount      int64
	Status      string    // a transfer's or a settlement's status
	DisplayName string    // a transfer's sender as its receiver sees them
	Memo        string    // a transfer's memo
	ToAccount   int64     // the main account a transfer goes to
	ExpiresAt   time.Time // a pending transfer's deadline
	ShareID     int64     // a settlement share
	Mode        string    // a settlement's split mode
	Product     string    // a savings product
	Day         string    // an installment's business day
	Reason      string    // why an installment was missed, an endpoint disabled
	SessionID   string    // the session a security event is about
	UserAgent   string    // that session's User-Agent, as it recorded it
	Endpoint    int64     // a webhook endpoint
}

// NewEvent is an event to record: its type, references, and for each user
// it concerns what that user reads (usually the same data for all).
type NewEvent struct {
	Type                                               string
	TransactionID, TransferID, SettlementID, AccountID int64
	For                                                []EventUser
}

// EventUser is one user an event concerns and the data they read.
type EventUser struct {
	User int64
	Data EventData
}

// forAll is the audience of an event every user reads the same way.
func forAll(d EventData, users ...int64) []EventUser {
	out := make([]EventUser, len(users))
	for i, u := range users {
		out[i] = EventUser{User: u, Data: d}
	}
	return out
}

// InsertEvents records events in tx, the transaction of the change they
// report, all at at. It is for changes made outside the writer (which
// records its own events set-based, in its batch); their ids may commit
// before or after a batch's, which EventFence accounts for.
func (db *DB) InsertEvents(ctx context.Context, tx *sql.Tx, at time.Time, events []NewEvent) error {
	if len(events) == 0 {
		return nil
	}
	ids := &newIDs{}
	if err := runSteps(ctx, tx, db.dialect.idSteps(0, 0, len(events), ids)); err != nil {
		return err
	}
	var rows [][]any
	var err error
	for _, e := range events {
		if rows, err = appendEventRows(rows, ids.event(), micros(at), e); err != nil {
			return err
		}
	}
	if err := insertRows(ctx, tx, db.dialect, "events", eventColumns, rows); err != nil {
		return err
	}
	db.eventTxs.Store(tx, true) // inTx wakes the readers once tx commits
	return nil
}

// eventColumns are the columns of an event row.
var eventColumns = []column{{"user_id", "bigint"}, {"id", "bigint"}, {"type", "text"}, {"occurred_at", "bigint"},
	{"transaction_id", "bigint"}, {"transfer_id", "bigint"}, {"settlement_id", "bigint"}, {"account_id", "bigint"}, {"body", "text"}}

// appendEventRows adds e's rows, one per user, with id at at. Users who
// read the same data as the one before (a transfer's sender and receiver)
// share its body, encoded once.
func appendEventRows(rows [][]any, id, at int64, e NewEvent) ([][]any, error) {
	var body string
	for i, u := range e.For {
		if i == 0 || u.Data != e.For[i-1].Data {
			var err error
			if body, err = encodeEvent(u.Data); err != nil {
				return nil, err
			}
		}
		rows = append(rows, []any{u.User, id, e.Type, at, nullID(e.TransactionID), nullID(e.TransferID),
			nullID(e.SettlementID), nullID(e.AccountID), body})
	}
	return rows, nil
}

// EventFilter selects a page of a user's events: newest first below
// Before (0: from the newest), or, Forward, oldest first above After and
// at most up to Fence.
type EventFilter struct {
	Type          string // "" for every type
	Before, After int64
	Forward       bool
	Fence         int64 // the read fence (EventFence), when Forward
	Limit         int
}

const eventSelect = `SELECT id, type, occurred_at, COALESCE(transaction_id, 0), COALESCE(transfer_id, 0),
	COALESCE(settlement_id, 0), COALESCE(account_id, 0), body FROM events WHERE user_id = $1`

// Events returns a page of user's events: one range of the (user_id, id)
// key, whichever direction.
func (db *DB) Events(ctx context.Context, user int64, f EventFilter) ([]Event, error) {
	q := eventSelect + ` AND id < $2 AND ($3 = '' OR type = $3) ORDER BY id DESC LIMIT $4`
	bound := f.Before
	if bound <= 0 {
		bound = 1<<63 - 1
	}
	args := []any{user, bound, f.Type, f.Limit}
	if f.Forward {
		q = eventSelect + ` AND id > $2 AND id <= $5 AND ($3 = '' OR type = $3) ORDER BY id LIMIT $4`
		args[1] = f.After
		args = append(args, f.Fence)
	}
	rows, err := db.reads.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Event returns one of user's events; another user's is not found.
func (db *DB) Event(ctx context.Context, user, id int64) (Event, error) {
	e, err := scanEvent(db.reads.QueryRowContext(ctx, eventSelect+` AND id = $2`, user, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Event{}, errs.E(errs.NotFound, "event %d not found", id)
	}
	return e, err
}

func scanEvent(s scanner) (Event, error) {
	var e Event
	var at int64
	var body string
	if err := s.Scan(&e.ID, &e.Type, &at, &e.TransactionID, &e.TransferID, &e.SettlementID, &e.AccountID, &body); err != nil {
		return Event{}, err
	}
	e.OccurredAt = fromMicros(at)
	var err error
	e.Data, err = decodeEvent(body)
	return e, err
}

// ExpireEvents deletes the events older than EventRetention before now, a
// bounded chunk per statement so no statement holds the table for long,
// and returns how many rows it deleted. The chunks are found by the
// occurred_at index (a BRIN index on PostgreSQL: ids and times grow with
// insertion, so the old rows are a few block ranges).
func (db *DB) ExpireEvents(ctx context.Context, now time.Time) (int64, error) {
	cutoff := micros(now.Add(-EventRetention))
	// First tell the audit that transactions before cutoff may have lost
	// their events.
	if _, err := db.writes.ExecContext(ctx, `UPDATE event_coverage SET since_at = $1 WHERE since_at < $1`, cutoff); err != nil {
		return 0, err
	}
	return db.deleteChunks(ctx, `DELETE FROM events WHERE (user_id, id) IN
		(SELECT user_id, id FROM events WHERE occurred_at < $1 LIMIT $2)`, cutoff)
}

// deleteChunks runs del, a DELETE of at most $2 rows older than $1, until
// it deletes fewer, and returns how many rows it deleted in all.
func (db *DB) deleteChunks(ctx context.Context, del string, cutoff int64) (int64, error) {
	var total int64
	for {
		res, err := db.writes.ExecContext(ctx, del, cutoff, expireChunk)
		if err != nil {
			return total, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += n
		if n < expireChunk {
			return total, nil
		}
	}
}

// expireChunk bounds the rows one retention statement deletes.
const expireChunk = 5000
