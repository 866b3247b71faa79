package store

import (
	"encoding/json"
	"fmt"
	"time"

	"minipay/ledger"
	"minipay/names"
)

// Stored bodies are JSON the database keeps. Each is its own type with a
// version, converted from and to ledger and store types here, so renaming
// a rule's field cannot change a stored row or break reading an old one.
// Rows written before versions existed have none: a missing version is 1.
// Each kind of body has its own version.
const (
	resultVersion = 1
	keyedVersion  = 1
	// noticeVersion 2 adds counterparty_masked_name. In version 1 a
	// notice's counterparty could be someone's whole real name (the
	// default display name, a settlement's requester); it is masked when
	// read.
	noticeVersion = 2
	eventVersion  = 1
)

// checkVersion refuses a body written by a newer minipay.
func checkVersion(what string, v, newest int) error {
	if v > newest {
		return fmt.Errorf("%s body has version %d; this minipay reads up to %d", what, v, newest)
	}
	return nil
}

// resultBody is idempotency_keys.receipt for a command of the engine:
// what a replay of the key answers.
type resultBody struct {
	Version        int       `json:"version"`
	Amount         int64     `json:"amount"`
	Charged        int64     `json:"charged"`
	MainBalance    int64     `json:"main_balance"`
	SavingsBalance int64     `json:"savings_balance,omitempty"`
	TransactionID  int64     `json:"transaction_id,omitempty"`
	ChargeID       int64     `json:"charge_transaction_id,omitempty"`
	TransferID     int64     `json:"transfer_id,omitempty"`
	Status         string    `json:"status,omitempty"`
	ExpiresAt      time.Time `json:"expires_at,omitzero"`
}

func encodeResult(r Result) (string, error) {
	rc := r.Receipt
	b, err := json.Marshal(resultBody{Version: resultVersion, Amount: rc.Amount, Charged: rc.Charged,
		MainBalance: rc.MainBalance, SavingsBalance: rc.SavingsBalance,
		TransactionID: r.TransactionID, ChargeID: r.ChargeID, TransferID: r.TransferID,
		Status: rc.Status, ExpiresAt: rc.ExpiresAt})
	return string(b), err
}

func decodeResult(s string) (Result, error) {
	var b resultBody
	if err := json.Unmarshal([]byte(s), &b); err != nil {
		return Result{}, err
	}
	if err := checkVersion("idempotency record", b.Version, resultVersion); err != nil {
		return Result{}, err
	}
	return Result{
		Receipt: ledger.Receipt{Amount: b.Amount, Charged: b.Charged, MainBalance: b.MainBalance,
			SavingsBalance: b.SavingsBalance, Status: b.Status, ExpiresAt: b.ExpiresAt},
		TransactionID: b.TransactionID, ChargeID: b.ChargeID, TransferID: b.TransferID,
	}, nil
}

// keyedBody is idempotency_keys.receipt for a keyed request outside the
// engine (once). created_id is the row the request created or changed
// (named for creations, the first keyed requests). Keys of creations were
// first stored as a resultBody with created_id beside zero money fields:
// keyedBody reads those, and an older minipay reads keyedBody's rows.
type keyedBody struct {
	Version int    `json:"version"`
	ID      int64  `json:"created_id"`
	Secret  string `json:"secret,omitempty"`
}

func encodeKeyed(k keyed) (string, error) {
	b, err := json.Marshal(keyedBody{Version: keyedVersion, ID: k.ID, Secret: k.Secret})
	return string(b), err
}

func decodeKeyed(s string) (keyed, error) {
	var b keyedBody
	if err := json.Unmarshal([]byte(s), &b); err != nil {
		return keyed{}, err
	}
	if err := checkVersion("idempotency record", b.Version, keyedVersion); err != nil {
		return keyed{}, err
	}
	return keyed{ID: b.ID, Secret: b.Secret}, nil
}

// noticeBody is notifications.body. The recipient and the kind are
// columns of their own; the kind is in the body too.
type noticeBody struct {
	Version      int       `json:"version"`
	Kind         string    `json:"kind"`
	TransferID   int64     `json:"transfer_id,omitempty"`
	Amount       int64     `json:"amount"`
	Counterparty string    `json:"counterparty,omitempty"`
	Masked       string    `json:"counterparty_masked_name,omitempty"`
	Reason       string    `json:"reason,omitempty"`
	ExpiresAt    time.Time `json:"expires_at,omitzero"`
	Account      int64     `json:"account_id,omitempty"`
	Day          string    `json:"day,omitempty"`
	Settlement   int64     `json:"settlement_id,omitempty"`
	// A new_login's session and the user agent it logged in with. Added
	// without a new version: both are optional, and a minipay that
	// predates them shows such a notice as a kind it does not know.
	SessionID string `json:"session_id,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
}

// noticeRow is n as a row of noticeColumns, created at.
func noticeRow(n ledger.Notice, at int64) ([]any, error) {
	return noticeBodyRow(n.User, nullID(n.TransferID), noticeBody{Kind: n.Kind, TransferID: n.TransferID, Amount: n.Amount,
		Counterparty: n.Counterparty, Masked: n.CounterpartyMasked, Reason: n.Reason, ExpiresAt: n.ExpiresAt, Account: n.Account, Day: n.Day, Settlement: n.Settlement}, at)
}

// noticeBodyRow is b, stamped with its version, as user's row of
// noticeColumns.
func noticeBodyRow(user int64, transfer any, b noticeBody, at int64) ([]any, error) {
	b.Version = noticeVersion
	body, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	return []any{user, b.Kind, transfer, string(body), at}, nil
}

// noticeColumns are the columns of a notification row.
var noticeColumns = []column{{"user_id", "bigint"}, {"kind", "text"}, {"transfer_id", "bigint"}, {"body", "text"}, {"created_at", "bigint"}}

// decodeNotice fills n's notice fields from a stored body.
func decodeNotice(s string, n *Notification) error {
	var b noticeBody
	if err := json.Unmarshal([]byte(s), &b); err != nil {
		return err
	}
	if err := checkVersion("notification", b.Version, noticeVersion); err != nil {
		return err
	}
	if b.Version < 2 { // 1, or 0 for a body written before versions
		b.Counterparty = names.Mask(b.Counterparty)
	}
	n.Kind, n.TransferID, n.Amount, n.Counterparty, n.Reason = b.Kind, b.TransferID, b.Amount, b.Counterparty, b.Reason
	n.CounterpartyMasked = b.Masked
	n.ExpiresAt, n.Account, n.Day, n.Settlement = b.ExpiresAt, b.Account, b.Day, b.Settlement
	n.SessionID, n.UserAgent = b.SessionID, b.UserAgent
	return nil
}

// eventBody is events.body: the data of an event as one user reads it.
// Its references (transaction, transfer, settlement, account) are columns.
type eventBody struct {
	Version     int       `json:"version"`
	Amount      int64     `json:"amount,omitempty"`
	Status      string    `json:"status,omitempty"`
	DisplayName string    `json:"display_name,omitempty"`
	Memo        string    `json:"memo,omitempty"`
	ToAccount   int64     `json:"to_account_id,omitempty"`
	ExpiresAt   time.Time `json:"expires_at,omitzero"`
	ShareID     int64     `json:"share_id,omitempty"`
	Mode        string    `json:"mode,omitempty"`
	Product     string    `json:"product,omitempty"`
	Day         string    `json:"day,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	SessionID   string    `json:"session_id,omitempty"`
	UserAgent   string    `json:"user_agent,omitempty"`
	Endpoint    int64     `json:"webhook_endpoint_id,omitempty"`
}

func encodeEvent(d EventData) (string, error) {
	b, err := json.Marshal(eventBody{Version: eventVersion, Amount: d.Amount, Status: d.Status, DisplayName: d.DisplayName,
		Memo: d.Memo, ToAccount: d.ToAccount, ExpiresAt: d.ExpiresAt.UTC(), ShareID: d.ShareID, Mode: d.Mode,
		Product: d.Product, Day: d.Day, Reason: d.Reason, SessionID: d.SessionID, UserAgent: d.UserAgent, Endpoint: d.Endpoint})
	return string(b), err
}

func decodeEvent(s string) (EventData, error) {
	var b eventBody
	if err := json.Unmarshal([]byte(s), &b); err != nil {
		return EventData{}, err
	}
	if err := checkVersion("event", b.Version, eventVersion); err != nil {
		return EventData{}, err
	}
	return EventData{Amount: b.Amount, Status: b.Status, DisplayName: b.DisplayName, Memo: b.Memo, ToAccount: b.ToAccount,
		ExpiresAt: b.ExpiresAt, ShareID: b.ShareID, Mode: b.Mode, Product: b.Product, Day: b.Day, Reason: b.Reason,
		SessionID: b.SessionID, UserAgent: b.UserAgent, Endpoint: b.Endpoint}, nil
}
