// Package ledger holds minipay's money rules as a pure state machine: given
// the accounts a command touches (as loaded and locked by the writer) it
// either rejects the command or returns the double-entry transactions to
// record, updating the in-memory accounts as it goes. No I/O, no clock: the
// caller passes the business day, so every rule is testable and fuzzable
// without a database.
package ledger

import (
	"math"
	"time"

	"minipay/errs"
	"minipay/names"
)

// Rules shared by every command.
const (
	// DailyChargeLimit is the most one person may charge per business day,
	// manual and automatic charges together.
	DailyChargeLimit int64 = 3_000_000
	// ChargeUnit is the granularity of automatic charges: a shortfall is
	// charged rounded up to the next multiple.
	ChargeUnit int64 = 10_000
)

// System accounts take the other side of money entering or leaving users'
// accounts. Their ids are negative so they never collide with user
// accounts, and their balances are derived from entries (never a hot row).
// The migrations create their rows with these ids (a store test checks).
const (
	ExternalBank int64 = -1
	// PendingHold holds the money of pending transfers until they are
	// accepted, rejected, cancelled or expire.
	PendingHold int64 = -2
	// InterestExpense pays savings interest: its balance is minus all
	// interest ever paid.
	InterestExpense int64 = -3
)

// IsSystem reports whether id is a system account.
func IsSystem(id int64) bool { return id < 0 }

// Kind is an account's kind.
type Kind string

const (
	Main    Kind = "main"
	Savings Kind = "savings"
)

// Account statuses.
const (
	Open   = "open"
	Closed = "closed"
)

// Account is the state of one user account as the rules see it.
type Account struct {
	ID          int64
	UserID      int64
	Kind        Kind
	Product     string // savings product: "free" or "fixed"
	Status      string
	Balance     int64
	DailyAmount int64 // fixed savings: the daily installment
	// ChargeDay and Charged count the owner's charges on one business day;
	// kept on the main account so the row the writer locks anyway also
	// serialises the daily limit. A different day means nothing charged yet.
	ChargeDay string
	Charged   int64
	// OwnerName is the owner's real name, recorded on transfers they send.
	OwnerName string
	// RequireAcceptance is the owner's setting: transfers they send wait
	// for the receiver to accept unless a transfer says otherwise.
	RequireAcceptance bool
	// Savings state (see savings.go).
	Principal, InterestCarry, InterestPaid int64
	InterestDay, InstallmentDay            string
	MissedInstallments                     int64
}

// ChargedOn returns how much the owner has charged on day.
func (a *Account) ChargedOn(day string) int64 {
	if a.ChargeDay == day {
		return a.Charged
	}
	return 0
}

// TxnKind names what a transaction did; it is what history shows.
type TxnKind string

const (
	TxnCharge     TxnKind = "charge"
	TxnDeposit    TxnKind = "savings_deposit"
	TxnWithdrawal TxnKind = "savings_withdrawal"
	TxnClose      TxnKind = "savings_close"
	TxnTransfer   TxnKind = "transfer"
	// A pending transfer's money goes into the hold, then out to the
	// receiver (release) or back to the sender (return).
	TxnPendingHold    TxnKind = "pending_hold"
	TxnPendingRelease TxnKind = "pending_release"
	TxnPendingReturn  TxnKind = "pending_return"
	TxnInterest       TxnKind = "interest"
	TxnInstallment    TxnKind = "installment"
)

// Entry is one leg of a transaction. BalanceAfter is meaningful only for
// user accounts (system balances are derived).
type Entry struct {
	Account      int64
	Amount       int64
	BalanceAfter int64
}

// Txn is one double-entry transaction: its entries sum to zero.
type Txn struct {
	Kind    TxnKind
	Entries []Entry
	// Transfer is the transfer this transaction creates, if any; the
	// writer records it with the transaction and allocates its id.
	Transfer *TransferRecord
	// TransferID links the transaction to an existing transfer.
	TransferID int64
	// Notices are the notifications the transaction sends, written in the
	// same database transaction as the money.
	Notices []Notice
}

// Notice is a notification to a user about money that moved or waits.
// TransferID 0 on a new transfer's transaction means "this transfer".
type Notice struct {
	User         int64
	Kind         string
	TransferID   int64
	Amount       int64
	Counterparty string
	// CounterpartyMasked is the other user's masked real name (names.Mask):
	// never their whole real name.
	CounterpartyMasked string
	Reason             string
	ExpiresAt          time.Time
	Account            int64
	Day                string
	Settlement         int64
}

// Notice kinds.
const (
	NoticeTransferReceived  = "transfer_received"
	NoticePendingReceived   = "pending_transfer_received"
	NoticePendingReminder   = "pending_transfer_reminder"
	NoticePendingAccepted   = "pending_transfer_accepted"
	NoticePendingReturned   = "pending_transfer_returned"
	NoticePendingCancelled  = "pending_transfer_cancelled"
	NoticeInstallmentMissed = "installment_missed"
)

// Transfer statuses.
const (
	TransferCompleted = "completed"
	TransferPending   = "pending"
	TransferAccepted  = "accepted"
	TransferRejected  = "rejected"
	TransferCancelled = "cancelled"
	TransferExpired   = "expired"
)

// TransferStatuses lists every transfer status, for filters that take one.
var TransferStatuses = []string{TransferCompleted, TransferPending, TransferAccepted, TransferRejected, TransferCancelled, TransferExpired}

// TransferRecord is a transfer between two users as history shows it.
type TransferRecord struct {
	FromUser, FromAccount int64
	ToUser, ToAccount     int64
	Amount, Charged       int64
	Status                string
	// SenderName is the sender's real name (kept for the sender's own
	// history and audits); DisplayName is what the receiver sees: the
	// masked real name unless the sender chose another.
	SenderName, DisplayName string
	Memo                    string
	ExpiresAt               time.Time // pending transfers only
	Share                   int64     // the settlement share it pays, if any
}

// Receipt is what a command's caller learns about its effect, complete
// when Apply returns it. Ids the database assigns (transactions,
// transfers) are the writer's to report, not the rules'.
type Receipt struct {
	Amount  int64
	Charged int64
	// Balances after the command of the user's accounts it touched.
	MainBalance    int64
	SavingsBalance int64
	// Status and ExpiresAt describe the transfer, share or installment the
	// command created or acted on.
	Status    string
	ExpiresAt time.Time
}

// Book is the in-memory state one batch works on: the locked accounts and
// transfers, and the batch's clock reading.
type Book struct {
	Accounts map[int64]*Account
	Day      string
	Now      time.Time
	// Dirty lists the accounts whose rows must be written back.
	Dirty map[int64]bool
	// Transfers are the existing transfers the batch's commands act on;
	// DirtyTransfers those whose status changed.
	Transfers      map[int64]*PendingTransfer
	DirtyTransfers map[int64]bool
	// Shares are the settlement shares the batch's commands act on.
	Shares      map[int64]*Share
	DirtyShares map[int64]bool
	// Installments and Notices are records commands make without moving
	// money (a missed installment); the writer stores them.
	Installments []InstallmentRecord
	Notices      []Notice
}

// NewBook returns a book over accounts at now, with business days in loc.
func NewBook(accounts map[int64]*Account, now time.Time, loc *time.Location) *Book {
	return &Book{Accounts: accounts, Day: BusinessDay(now, loc), Now: now, Dirty: map[int64]bool{},
		Transfers: map[int64]*PendingTransfer{}, DirtyTransfers: map[int64]bool{},
		Shares: map[int64]*Share{}, DirtyShares: map[int64]bool{}}
}

// BusinessDay is the calendar day of t in loc, as YYYY-MM-DD.
func BusinessDay(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(time.DateOnly)
}

// Command is one request to move money.
type Command interface {
	// Touches lists the user accounts the command reads or writes; the
	// writer loads and locks them before Apply.
	Touches() []int64
	apply(b *Book) (Receipt, []Txn, error)
}

// Apply runs cmd against the book. On rejection the book is unchanged.
func (b *Book) Apply(cmd Command) (Receipt, []Txn, error) {
	return cmd.apply(b)
}

// owned returns account id if it exists and belongs to user.
func (b *Book) owned(id, user int64) (*Account, error) {
	a, ok := b.Accounts[id]
	if !ok {
		return nil, errs.E(errs.NotFound, "account %d not found", id)
	}
	if a.UserID != user {
		return nil, errs.E(errs.Forbidden, "account %d belongs to someone else", id)
	}
	if a.Status != Open {
		return nil, errs.E(errs.Conflict, "account %d is closed", id)
	}
	return a, nil
}

func (b *Book) mainOf(id, user int64) (*Account, error) {
	a, err := b.owned(id, user)
	if err != nil {
		return nil, err
	}
	if a.Kind != Main {
		return nil, errs.E(errs.Invalid, "account %d is not a main account", id)
	}
	return a, nil
}

func (b *Book) savingsOf(id, user int64) (*Account, error) {
	a, err := b.owned(id, user)
	if err != nil {
		return nil, err
	}
	if a.Kind != Savings {
		return nil, errs.E(errs.Invalid, "account %d is not a savings account", id)
	}
	return a, nil
}

func positive(amount int64) error {
	if amount <= 0 {
		return errs.E(errs.Invalid, "amount must be a positive number of won, got %d", amount)
	}
	return nil
}

// fits reports whether adding amount to a balance stays within int64.
func fits(balance, amount int64) bool { return balance <= math.MaxInt64-amount }

// errOverflow refuses a move that would take a balance past int64. Every
// overflow, whoever's balance it is, gives this same answer, so it tells
// a sender nothing about the receiver's account.
func errOverflow() error { return errs.E(errs.Invalid, "balance would overflow") }

// move records a transaction from one account to another. Callers have
// checked funds and overflow; move only applies.
func (b *Book) move(kind TxnKind, from, to int64, amount int64) Txn {
	return Txn{Kind: kind, Entries: []Entry{b.post(from, -amount), b.post(to, amount)}}
}

func (b *Book) post(id, amount int64) Entry {
	e := Entry{Account: id, Amount: amount}
	if a, ok := b.Accounts[id]; ok && !IsSystem(id) {
		a.Balance += amount
		e.BalanceAfter = a.Balance
		b.Dirty[id] = true
	}
	return e
}

// chargeAllowance checks that charging amount today keeps main under the
// daily limit and its balance within int64.
func (b *Book) chargeAllowance(main *Account, amount int64) error {
	used := main.ChargedOn(b.Day)
	if amount > DailyChargeLimit-used {
		return errs.E(errs.ChargeLimitExceeded,
			"charging %d would exceed the daily limit of %d (already charged %d on %s)",
			amount, DailyChargeLimit, used, b.Day)
	}
	if !fits(main.Balance, amount) {
		return errOverflow()
	}
	return nil
}

// charge moves amount from the external bank into main and counts it
// against the daily limit. The caller has checked chargeAllowance.
func (b *Book) charge(main *Account, amount int64) Txn {
	main.Charged = main.ChargedOn(b.Day) + amount
	main.ChargeDay = b.Day
	return b.move(TxnCharge, ExternalBank, main.ID, amount)
}

// AutoCharge is how much must be charged so that balance covers amount:
// the shortfall rounded up to the next ChargeUnit, or 0 if none is needed.
func AutoCharge(balance, amount int64) int64 {
	short := amount - balance
	if short <= 0 {
		return 0
	}
	if short > math.MaxInt64-ChargeUnit {
		return math.MaxInt64 // beyond any limit; callers reject it
	}
	return (short + ChargeUnit - 1) / ChargeUnit * ChargeUnit
}

// Charge tops up a user's main account from their bank.
type Charge struct {
	User, Account int64
	Amount        int64
}

func (c Charge) Touches() []int64 { return []int64{c.Account} }

func (c Charge) apply(b *Book) (Receipt, []Txn, error) {
	if err := positive(c.Amount); err != nil {
		return Receipt{}, nil, err
	}
	main, err := b.mainOf(c.Account, c.User)
	if err != nil {
		return Receipt{}, nil, err
	}
	if err := b.chargeAllowance(main, c.Amount); err != nil {
		return Receipt{}, nil, err
	}
	t := b.charge(main, c.Amount)
	return Receipt{Amount: c.Amount, Charged: c.Amount, MainBalance: main.Balance}, []Txn{t}, nil
}

// Deposit moves money from the user's main account into one of their free
// savings accounts. It never auto-charges: a short main is rejected.
type Deposit struct {
	User, Main, Savings int64
	Amount              int64
}

func (c Deposit) Touches() []int64 { return []int64{c.Main, c.Savings} }

func (c Deposit) apply(b *Book) (Receipt, []Txn, error) {
	return b.savingsMove(c.User, c.Main, c.Savings, c.Amount, false)
}

// Withdraw moves money from a free savings account back to main.
type Withdraw struct {
	User, Main, Savings int64
	Amount              int64
}

func (c Withdraw) Touches() []int64 { return []int64{c.Main, c.Savings} }

func (c Withdraw) apply(b *Book) (Receipt, []Txn, error) {
	return b.savingsMove(c.User, c.Main, c.Savings, c.Amount, true)
}

// savingsMove moves amount between a user's main account and one of their
// savings accounts: a deposit (main → savings) or a withdrawal (savings →
// main), if the product allows it and the source holds the money. The
// days before today accrue first, on the principal they had.
func (b *Book) savingsMove(user, mainID, savingsID, amount int64, withdraw bool) (Receipt, []Txn, error) {
	if err := positive(amount); err != nil {
		return Receipt{}, nil, err
	}
	main, err := b.mainOf(mainID, user)
	if err != nil {
		return Receipt{}, nil, err
	}
	sav, err := b.savingsOf(savingsID, user)
	if err != nil {
		return Receipt{}, nil, err
	}
	from, to, kind, allowed := main, sav, TxnDeposit, Products[sav.Product].ManualDeposits
	if withdraw {
		from, to, kind, allowed = sav, main, TxnWithdrawal, Products[sav.Product].Withdrawals
	}
	switch {
	case !allowed && withdraw:
		return Receipt{}, nil, errs.E(errs.Invalid, "%s savings allow no withdrawals; close the account instead", sav.Product)
	case !allowed:
		return Receipt{}, nil, errs.E(errs.Invalid, "%s savings take only their daily installment, not deposits", sav.Product)
	case from.Balance < amount:
		return Receipt{}, nil, errs.E(errs.InsufficientFunds, "%s account holds %d, %s needs %d", from.Kind, from.Balance, kind, amount)
	case !fits(to.Balance, amount):
		return Receipt{}, nil, errOverflow()
	}
	txns := b.accrue(sav, b.yesterday())
	txns = append(txns, b.move(kind, from.ID, to.ID, amount))
	if withdraw {
		// A withdrawal takes principal first: the interest-earning base
		// shrinks by the whole amount, down to zero.
		sav.Principal = max(0, sav.Principal-amount)
	} else {
		sav.Principal += amount
	}
	return Receipt{Amount: amount, MainBalance: main.Balance, SavingsBalance: sav.Balance}, txns, nil
}

// Close closes a savings account and returns its whole balance to main.
type Close struct {
	User, Main, Savings int64
}

func (c Close) Touches() []int64 { return []int64{c.Main, c.Savings} }

func (c Close) apply(b *Book) (Receipt, []Txn, error) {
	main, err := b.mainOf(c.Main, c.User)
	if err != nil {
		return Receipt{}, nil, err
	}
	sav, err := b.savingsOf(c.Savings, c.User)
	if err != nil {
		return Receipt{}, nil, err
	}
	if !fits(main.Balance, sav.Balance) {
		return Receipt{}, nil, errOverflow()
	}
	// Interest up to yesterday is paid; today's partial day is not.
	txns := b.accrue(sav, b.yesterday())
	amount := sav.Balance
	if amount > 0 {
		txns = append(txns, b.move(TxnClose, sav.ID, main.ID, amount))
	}
	sav.Status, sav.Principal = Closed, 0
	b.Dirty[sav.ID] = true
	return Receipt{Amount: amount, MainBalance: main.Balance}, txns, nil
}

// Transfer sends money from the user's main account to another user's main
// account, charging the shortfall first if main is short. A pending
// transfer moves the money into the pending hold instead, where it waits
// for the receiver.
type Transfer struct {
	User, From, To int64
	Amount         int64
	// DisplayName is the sender name the receiver sees; empty means the
	// sender's masked real name.
	DisplayName, Memo string
	// RequireAcceptance overrides the sender's setting for this transfer
	// when set.
	RequireAcceptance *bool
}

func (c Transfer) Touches() []int64 { return []int64{c.From, c.To} }

func (c Transfer) apply(b *Book) (Receipt, []Txn, error) {
	if err := positive(c.Amount); err != nil {
		return Receipt{}, nil, err
	}
	from, err := b.mainOf(c.From, c.User)
	if err != nil {
		return Receipt{}, nil, err
	}
	to, ok := b.Accounts[c.To]
	if !ok {
		return Receipt{}, nil, errs.E(errs.NotFound, "account %d not found", c.To)
	}
	pending := from.RequireAcceptance
	if c.RequireAcceptance != nil {
		pending = *c.RequireAcceptance
	}
	return b.send(from, to, c.Amount, c.DisplayName, c.Memo, pending)
}

// send moves amount from one user's main account to another's, charging
// the sender's shortfall first (rounded up to ChargeUnit, under the daily
// limit); a pending send puts the money in the pending hold instead. The
// transfer it records shows display (or the sender's real name) to the
// receiver. Transfers and settlement payments share it.
func (b *Book) send(from, to *Account, amount int64, display, memo string, pending bool) (Receipt, []Txn, error) {
	charge, err := b.sendable(from, to, amount)
	if err != nil {
		return Receipt{}, nil, err
	}
	var txns []Txn
	if charge > 0 {
		txns = append(txns, b.charge(from, charge))
	}
	masked := names.Mask(from.OwnerName)
	if display == "" {
		display = masked // never the sender's whole real name
	}
	rec := &TransferRecord{
		FromUser: from.UserID, FromAccount: from.ID, ToUser: to.UserID, ToAccount: to.ID,
		Amount: amount, Charged: charge, Status: TransferCompleted,
		SenderName: from.OwnerName, DisplayName: display, Memo: memo,
	}
	var t Txn
	notice := Notice{User: to.UserID, Kind: NoticeTransferReceived, Amount: amount, Counterparty: display, CounterpartyMasked: masked}
	if pending {
		rec.Status, rec.ExpiresAt = TransferPending, b.Now.Add(PendingLifetime)
		notice.Kind, notice.ExpiresAt = NoticePendingReceived, rec.ExpiresAt
		t = b.move(TxnPendingHold, from.ID, PendingHold, amount)
	} else {
		t = b.move(TxnTransfer, from.ID, to.ID, amount)
	}
	t.Transfer, t.Notices = rec, []Notice{notice}
	txns = append(txns, t)
	return Receipt{Amount: amount, Charged: charge, MainBalance: from.Balance, Status: rec.Status, ExpiresAt: rec.ExpiresAt}, txns, nil
}

// sendable checks a send and returns the auto-charge it needs. The
// receiver's balance must never show through the answer (a sender could
// otherwise binary-search it with refused transfers), so the sender's own
// limits come first: an amount the sender cannot cover is refused the
// same way whoever receives it. Only an amount the sender can cover then
// meets the receiver's overflow check, and that refusal reads exactly
// like the sender's own balance overflowing.
func (b *Book) sendable(from, to *Account, amount int64) (int64, error) {
	switch {
	case to.UserID == from.UserID:
		return 0, errs.E(errs.Invalid, "cannot transfer to yourself")
	case to.Kind != Main:
		return 0, errs.E(errs.Invalid, "transfers go to a main account")
	case to.Status != Open:
		return 0, errs.E(errs.Conflict, "account %d is closed", to.ID)
	}
	charge := AutoCharge(from.Balance, amount)
	if charge > 0 {
		if err := b.chargeAllowance(from, charge); err != nil {
			return 0, err
		}
	}
	if !fits(to.Balance, amount) {
		return 0, errOverflow()
	}
	return charge, nil
}
