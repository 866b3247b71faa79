package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// User is a minipay user.
type User struct {
	ID            int64    `json:"id"`
	Username      string   `json:"username"`
	Name          string   `json:"name"`
	MainAccountID int64    `json:"main_account_id"`
	Settings      Settings `json:"settings"`
}

// Settings are a user's settings.
type Settings struct {
	TransfersRequireAcceptance bool `json:"transfers_require_acceptance"`
}

// Session is a login: the bearer token, when it expires, and the id of
// the session it names (to revoke it).
type Session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	SessionID string    `json:"session_id"`
}

// Account is a main or savings account.
type Account struct {
	ID          int64  `json:"id"`
	Kind        string `json:"kind"`    // main or savings
	Product     string `json:"product"` // "" for main, free or fixed
	Balance     int64  `json:"balance"`
	DailyAmount int64  `json:"daily_amount,omitempty"`
	Status      string `json:"status"`
	// Replayed is true when OpenSavings was answered as a retry of the
	// first request with its Idempotency-Key: nothing new was opened.
	Replayed bool `json:"-"`
}

// Movement is the answer to a charge.
type Movement struct {
	TransactionID int64 `json:"transaction_id"`
	Amount        int64 `json:"amount"`
	MainBalance   int64 `json:"main_balance"`
	// Replayed is true when the server answered a retry with the result of
	// the first request with the same Idempotency-Key.
	Replayed bool `json:"-"`
}

// SavingsMovement is the answer to a deposit into savings: a Movement and
// the savings balance after it.
type SavingsMovement struct {
	Movement
	SavingsBalance int64 `json:"savings_balance"`
}

// Recipient is the "to" of a transfer: a username or a main account id.
type Recipient struct {
	username string
	account  int64
}

// ToUser addresses a transfer to a username.
func ToUser(username string) Recipient { return Recipient{username: username} }

// ToAccount addresses a transfer to a main account id.
func ToAccount(id int64) Recipient { return Recipient{account: id} }

// MarshalJSON sends a username as a JSON string and an account id as a
// number, as the API tells them apart.
func (r Recipient) MarshalJSON() ([]byte, error) {
	if r.username != "" {
		return json.Marshal(r.username)
	}
	return json.Marshal(r.account)
}

// TransferRequest is a transfer to send.
type TransferRequest struct {
	To          Recipient `json:"to"`
	Amount      int64     `json:"amount"`
	DisplayName string    `json:"display_name,omitempty"`
	Memo        string    `json:"memo,omitempty"`
	// RequireAcceptance, when set, overrides the sender's setting: true
	// makes the transfer pending until the receiver accepts it.
	RequireAcceptance *bool `json:"require_acceptance,omitempty"`
}

// TransferResult is the answer to a sent transfer.
type TransferResult struct {
	ID            int64      `json:"id"`
	Status        string     `json:"status"` // completed or pending
	Amount        int64      `json:"amount"`
	Charged       int64      `json:"charged"` // auto-charged first
	MainBalance   int64      `json:"main_balance"`
	TransactionID int64      `json:"transaction_id"`
	ExpiresAt     *time.Time `json:"expires_at,omitempty"`
	Replayed      bool       `json:"-"`
}

// Party is one side of a transfer as the viewer may see it. The other
// side shows its masked real name (MaskedName), never the whole of it.
type Party struct {
	AccountID  int64  `json:"account_id,omitempty"`
	Username   string `json:"username,omitempty"`
	Name       string `json:"name"`
	MaskedName string `json:"masked_name,omitempty"`
}

// Transfer is a transfer as one of its parties sees it.
type Transfer struct {
	ID          int64      `json:"id"`
	Direction   string     `json:"direction"` // in or out
	Status      string     `json:"status"`
	Amount      int64      `json:"amount"`
	Charged     *int64     `json:"charged,omitempty"`
	From        Party      `json:"from"`
	To          Party      `json:"to"`
	DisplayName string     `json:"display_name"`
	Memo        string     `json:"memo"`
	CreatedAt   time.Time  `json:"created_at"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	SettledAt   *time.Time `json:"settled_at,omitempty"`
	Replayed    bool       `json:"-"`
}

// Settlement is a split bill.
type Settlement struct {
	ID                  int64     `json:"id"`
	Requester           string    `json:"requester"`
	RequesterMaskedName string    `json:"requester_masked_name"`
	Total               int64     `json:"total"`
	Mode                string    `json:"mode"`
	Status              string    `json:"status"`
	CreatedAt           time.Time `json:"created_at"`
	Shares              []Share   `json:"shares"`
	// Replayed is true when CreateSettlement was answered as a retry of
	// the first request with its Idempotency-Key.
	Replayed bool `json:"-"`
}

// Share is one participant's part of a settlement.
type Share struct {
	ID         int64      `json:"id"`
	Username   string     `json:"username"`
	MaskedName string     `json:"masked_name"`
	Amount     int64      `json:"amount"`
	Status     string     `json:"status"`
	TransferID *int64     `json:"transfer_id,omitempty"`
	SettledAt  *time.Time `json:"settled_at,omitempty"`
}

// ShareResult is the answer to paying a share.
type ShareResult struct {
	Share
	Charged          int64  `json:"charged"`
	SettlementStatus string `json:"settlement_status"`
	Replayed         bool   `json:"-"`
}

// HistoryQuery selects a page of an account's history. Zero fields are
// left to the server (newest first, its default page size).
type HistoryQuery struct {
	Cursor   string
	Limit    int
	Kind     string
	From, To time.Time
}

// HistoryEntry is one movement on an account.
type HistoryEntry struct {
	ID           int64        `json:"id"`
	At           time.Time    `json:"at"`
	Kind         string       `json:"kind"`
	Amount       int64        `json:"amount"`
	BalanceAfter int64        `json:"balance_after"`
	Counterparty Counterparty `json:"counterparty"`
	Memo         string       `json:"memo"`
	TransferID   *int64       `json:"transfer_id,omitempty"`
	SettlementID *int64       `json:"settlement_id,omitempty"`
}

// Counterparty is where money came from or went.
type Counterparty struct {
	Name       string `json:"name"`
	Username   string `json:"username,omitempty"`
	AccountID  int64  `json:"account_id,omitempty"`
	MaskedName string `json:"masked_name,omitempty"`
}

// HistoryPage is one page of history; NextCursor is "" on the last page.
type HistoryPage struct {
	Entries    []HistoryEntry `json:"entries"`
	NextCursor string         `json:"next_cursor"`
}

// NotificationQuery selects a page of the inbox.
type NotificationQuery struct {
	Cursor string
	Limit  int
	Unread bool
}

// Notification is one inbox item.
type Notification struct {
	ID           int64      `json:"id"`
	CreatedAt    time.Time  `json:"created_at"`
	ReadAt       *time.Time `json:"read_at"`
	Kind         string     `json:"kind"`
	TransferID   int64      `json:"transfer_id,omitempty"`
	Amount       int64      `json:"amount"`
	Counterparty string     `json:"counterparty,omitempty"`
	// CounterpartyMasked is the other user's masked real name.
	CounterpartyMasked string     `json:"counterparty_masked_name,omitempty"`
	Reason             string     `json:"reason,omitempty"`
	ExpiresAt          *time.Time `json:"expires_at,omitempty"`
	AccountID          int64      `json:"account_id,omitempty"`
	Day                string     `json:"day,omitempty"`
	SettlementID       int64      `json:"settlement_id,omitempty"`
}

// NotificationPage is one page of the inbox.
type NotificationPage struct {
	Notifications []Notification `json:"notifications"`
	NextCursor    string         `json:"next_cursor"`
}

// SignUp creates a user and their main account. It is not retried: a
// retry after a lost answer would meet its own username (conflict).
func (c *Client) SignUp(ctx context.Context, username, password, name string) (User, error) {
	var u User
	_, err := c.do(ctx, request{method: http.MethodPost, path: "/v1/users",
		body: map[string]string{"username": username, "password": password, "name": name}, out: &u})
	return u, err
}

// Login logs in and returns the session; use WithToken(s.Token) to act as
// the user.
func (c *Client) Login(ctx context.Context, username, password string) (Session, error) {
	var s Session
	_, err := c.do(ctx, request{method: http.MethodPost, path: "/v1/sessions", retry: true,
		body: map[string]string{"username": username, "password": password}, out: &s})
	return s, err
}

// Me returns the user the token belongs to.
func (c *Client) Me(ctx context.Context) (User, error) {
	var u User
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/me", out: &u})
	return u, err
}

// Charge tops up the main account from the user's bank. key is the
// Idempotency-Key ("" sends none, and then the call is not retried).
func (c *Client) Charge(ctx context.Context, amount int64, key string) (Movement, error) {
	var m Movement
	h, err := c.do(ctx, request{method: http.MethodPost, path: "/v1/charges", key: key,
		body: map[string]int64{"amount": amount}, out: &m})
	m.Replayed = replayed(h)
	return m, err
}

// Accounts lists the user's accounts, main first.
func (c *Client) Accounts(ctx context.Context) ([]Account, error) {
	var out struct {
		Accounts []Account `json:"accounts"`
	}
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/accounts", out: &out})
	return out.Accounts, err
}

// OpenSavings opens a savings account: product "free" (deposit any time)
// or "fixed" (dailyAmount moves from main every day), under the
// Idempotency-Key key ("" sends none, and then the call is not retried: a
// retry after a lost answer would open a second account).
func (c *Client) OpenSavings(ctx context.Context, product string, dailyAmount int64, key string) (Account, error) {
	body := map[string]any{"product": product}
	if dailyAmount != 0 {
		body["daily_amount"] = dailyAmount
	}
	var a Account
	h, err := c.do(ctx, request{method: http.MethodPost, path: "/v1/accounts", key: key, body: body, out: &a})
	a.Replayed = replayed(h)
	return a, err
}

// Deposit moves amount from main into the free savings account.
func (c *Client) Deposit(ctx context.Context, account, amount int64, key string) (SavingsMovement, error) {
	var m SavingsMovement
	h, err := c.do(ctx, request{method: http.MethodPost, path: fmt.Sprintf("/v1/accounts/%d/deposits", account), key: key,
		body: map[string]int64{"amount": amount}, out: &m})
	m.Replayed = replayed(h)
	return m, err
}

// Transfer sends money to another user's main account (auto-charging a
// shortfall).
func (c *Client) Transfer(ctx context.Context, t TransferRequest, key string) (TransferResult, error) {
	var r TransferResult
	h, err := c.do(ctx, request{method: http.MethodPost, path: "/v1/transfers", key: key, body: t, out: &r})
	r.Replayed = replayed(h)
	return r, err
}

// AcceptTransfer accepts a pending transfer sent to the user.
func (c *Client) AcceptTransfer(ctx context.Context, id int64, key string) (Transfer, error) {
	var t Transfer
	h, err := c.do(ctx, request{method: http.MethodPost, path: fmt.Sprintf("/v1/transfers/%d/accept", id), key: key, out: &t})
	t.Replayed = replayed(h)
	return t, err
}

// Payee is another user as a user sees them: whom a username belongs to,
// shown before paying them, a recent recipient.
type Payee struct {
	Username   string `json:"username"`
	MaskedName string `json:"masked_name"`
}

// LookUp finds whom a username belongs to: its masked real name, or
// not_found.
func (c *Client) LookUp(ctx context.Context, username string) (Payee, error) {
	var r Payee
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/recipients/" + url.PathEscape(username), out: &r})
	return r, err
}

// CreateSettlement asks participants (usernames) to split total; mode is
// "equal" or "random". Under the Idempotency-Key key a retry answers the
// settlement first created; "" sends none, and then the call is not
// retried: a retry after a lost answer would create a second settlement.
func (c *Client) CreateSettlement(ctx context.Context, total int64, mode string, participants []string, key string) (Settlement, error) {
	var s Settlement
	h, err := c.do(ctx, request{method: http.MethodPost, path: "/v1/settlements", key: key,
		body: map[string]any{"total": total, "mode": mode, "participants": participants}, out: &s})
	s.Replayed = replayed(h)
	return s, err
}

// PaySettlementShare pays the user's share of a settlement (a transfer to
// the requester, auto-charging a shortfall).
func (c *Client) PaySettlementShare(ctx context.Context, settlement, share int64, key string) (ShareResult, error) {
	var r ShareResult
	h, err := c.do(ctx, request{method: http.MethodPost, path: fmt.Sprintf("/v1/settlements/%d/shares/%d/pay", settlement, share), key: key, out: &r})
	r.Replayed = replayed(h)
	return r, err
}

// History reads one page of an account's history, newest first.
func (c *Client) History(ctx context.Context, account int64, q HistoryQuery) (HistoryPage, error) {
	v := url.Values{}
	if q.Cursor != "" {
		v.Set("cursor", q.Cursor)
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Kind != "" {
		v.Set("kind", q.Kind)
	}
	if !q.From.IsZero() {
		v.Set("from", q.From.Format(time.RFC3339))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.Format(time.RFC3339))
	}
	var p HistoryPage
	_, err := c.do(ctx, request{method: http.MethodGet, path: fmt.Sprintf("/v1/accounts/%d/history", account), query: v, out: &p})
	return p, err
}

// Notifications reads one page of the user's inbox, newest first.
func (c *Client) Notifications(ctx context.Context, q NotificationQuery) (NotificationPage, error) {
	v := url.Values{}
	if q.Cursor != "" {
		v.Set("cursor", q.Cursor)
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Unread {
		v.Set("unread", "true")
	}
	var p NotificationPage
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/notifications", query: v, out: &p})
	return p, err
}

// EventQuery selects a page of the user's events: newest first from
// Cursor, or, with Forward, oldest first after the event id After.
type EventQuery struct {
	Type    string
	Cursor  string
	Forward bool
	After   int64
	Limit   int
}

// Event is one event (README, "Events"): what happened, when, and the
// data its type carries.
type Event struct {
	ID        int64     `json:"id"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
	Data      EventData `json:"data"`
}

// EventData is an event's data; which fields are set depends on the type.
type EventData struct {
	Version       int        `json:"version"`
	Amount        int64      `json:"amount"`
	TransactionID int64      `json:"transaction_id,omitempty"`
	TransferID    int64      `json:"transfer_id,omitempty"`
	SettlementID  int64      `json:"settlement_id,omitempty"`
	ShareID       int64      `json:"share_id,omitempty"`
	AccountID     int64      `json:"account_id,omitempty"`
	ToAccountID   int64      `json:"to_account_id,omitempty"`
	Status        string     `json:"status,omitempty"`
	DisplayName   string     `json:"display_name,omitempty"`
	Memo          string     `json:"memo,omitempty"`
	ExpiresAt     *time.Time `json:"expires_at,omitempty"`
	Mode          string     `json:"mode,omitempty"`
	Product       string     `json:"product,omitempty"`
	Day           string     `json:"day,omitempty"`
	Reason        string     `json:"reason,omitempty"`
	SessionID     string     `json:"session_id,omitempty"`
	UserAgent     string     `json:"user_agent,omitempty"`
	// WebhookEndpointID: the endpoint of webhook_endpoint.disabled.
	WebhookEndpointID int64 `json:"webhook_endpoint_id,omitempty"`
}

// EventPage is one page of events; NextCursor is "" on the last page of
// a newest-first listing and always after After (ask again after the last
// id).
type EventPage struct {
	Events     []Event `json:"events"`
	NextCursor string  `json:"next_cursor"`
}

// ListEvents reads one page of the user's events.
func (c *Client) ListEvents(ctx context.Context, q EventQuery) (EventPage, error) {
	v := url.Values{}
	if q.Type != "" {
		v.Set("type", q.Type)
	}
	if q.Cursor != "" {
		v.Set("cursor", q.Cursor)
	}
	if q.Forward {
		v.Set("after", strconv.FormatInt(q.After, 10))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	var p EventPage
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/events", query: v, out: &p})
	return p, err
}

// Friend is a user in a friends list, shown by username and masked real
// name (김*수).
type Friend struct {
	Username   string    `json:"username"`
	MaskedName string    `json:"masked_name"`
	AddedAt    time.Time `json:"added_at"`
}

// FriendQuery selects a page of friends.
type FriendQuery struct {
	// AddedMe lists who added the user and whom the user has not added,
	// instead of the user's friends.
	AddedMe bool
	Cursor  string
	Limit   int
}

// FriendPage is one page of friends, most recently added first; NextCursor
// is "" on the last page.
type FriendPage struct {
	Friends    []Friend `json:"friends"`
	NextCursor string   `json:"next_cursor"`
}

// AddFriend adds the user named username to the user's friends. Adding a
// friend again changes nothing, so the call is retried.
func (c *Client) AddFriend(ctx context.Context, username string) (Friend, error) {
	var f Friend
	_, err := c.do(ctx, request{method: http.MethodPost, path: "/v1/friends", retry: true,
		body: map[string]string{"username": username}, out: &f})
	return f, err
}

// Friends reads one page of the user's friends (or of who added them).
func (c *Client) Friends(ctx context.Context, q FriendQuery) (FriendPage, error) {
	v := url.Values{}
	if q.AddedMe {
		v.Set("direction", "added_me")
	}
	if q.Cursor != "" {
		v.Set("cursor", q.Cursor)
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	var p FriendPage
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/friends", query: v, out: &p})
	return p, err
}

// RecentRecipients lists whom the user last sent money to, most recent
// first.
func (c *Client) RecentRecipients(ctx context.Context) ([]Payee, error) {
	var out struct {
		Recipients []Payee `json:"recipients"`
	}
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/recipients/recent", out: &out})
	return out.Recipients, err
}
