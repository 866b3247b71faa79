package ledger_test

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"
	"testing/quick"
	"time"

	"minipay/clock"
	"minipay/errs"
	"minipay/ledger"
)

// The fixture's business day and the one before it.
const (
	today     = "2026-11-24"
	yesterday = "2026-11-23"
)

// Fixture users and accounts. Alice has a main account and one savings
// account of each kind plus a closed one; Bob is the other party of
// transfers; Carol's main account is closed.
const (
	alice int64 = 1
	bob   int64 = 2
	carol int64 = 3

	aliceMain   int64 = 10
	aliceFree   int64 = 11
	aliceFixed  int64 = 12
	aliceClosed int64 = 13
	bobMain     int64 = 20
	bobFree     int64 = 21
	carolMain   int64 = 30

	missing int64 = 999
)

func fixture() *ledger.Book {
	accounts := map[int64]*ledger.Account{
		aliceMain:   {ID: aliceMain, UserID: alice, Kind: ledger.Main, Status: ledger.Open, Balance: 50_000, OwnerName: "Alice Kim"},
		aliceFree:   {ID: aliceFree, UserID: alice, Kind: ledger.Savings, Product: "free", Status: ledger.Open, Balance: 20_000},
		aliceFixed:  {ID: aliceFixed, UserID: alice, Kind: ledger.Savings, Product: "fixed", Status: ledger.Open, Balance: 30_000, DailyAmount: 10_000},
		aliceClosed: {ID: aliceClosed, UserID: alice, Kind: ledger.Savings, Product: "free", Status: ledger.Closed},
		bobMain:     {ID: bobMain, UserID: bob, Kind: ledger.Main, Status: ledger.Open, Balance: 5_000, OwnerName: "Bob Lee"},
		bobFree:     {ID: bobFree, UserID: bob, Kind: ledger.Savings, Product: "free", Status: ledger.Open, Balance: 7_000},
		carolMain:   {ID: carolMain, UserID: carol, Kind: ledger.Main, Status: ledger.Closed, OwnerName: "Carol Park"},
	}
	return ledger.NewBook(accounts, time.Date(2026, 11, 24, 10, 0, 0, 0, clock.Seoul), clock.Seoul)
}

// snapshot is a deep copy of everything Apply may touch, so a rejected
// command can be checked to have changed nothing at all. Whole is the
// JSON encoding of the entire Book (map keys sorted, so deterministic):
// comparing it byte for byte also covers Book fields added later.
type snapshot struct {
	Accounts map[int64]ledger.Account
	Dirty    map[int64]bool
	Day      string
	Whole    string
}

func snap(b *ledger.Book) snapshot {
	s := snapshot{Accounts: map[int64]ledger.Account{}, Dirty: map[int64]bool{}, Day: b.Day}
	for id, a := range b.Accounts {
		s.Accounts[id] = *a
	}
	for id, d := range b.Dirty {
		s.Dirty[id] = d
	}
	whole, err := json.Marshal(b)
	if err != nil {
		panic(err)
	}
	s.Whole = string(whole)
	return s
}

// withoutNotices drops the notifications from txns so tables can compare
// the money and the transfer records exactly; notices belong to the
// notification feature and are not what these tests pin down.
func withoutNotices(txns []ledger.Txn) []ledger.Txn {
	if txns == nil {
		return nil
	}
	out := make([]ledger.Txn, len(txns))
	for i, tx := range txns {
		tx.Notices = nil
		out[i] = tx
	}
	return out
}

// mustReject applies cmd and checks it is rejected with want, returning a
// zero receipt and no transactions, and leaving the book exactly as it was.
func mustReject(t *testing.T, b *ledger.Book, cmd ledger.Command, want errs.Code) {
	t.Helper()
	before := snap(b)
	rc, txns, err := b.Apply(cmd)
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("%#v: got error %v (%T), want *errs.Error with code %q", cmd, err, err, want)
	}
	if e.Code != want {
		t.Fatalf("%#v: got code %q (%v), want %q", cmd, e.Code, err, want)
	}
	if rc != (ledger.Receipt{}) || txns != nil {
		t.Errorf("%#v: rejected command returned receipt %+v and txns %+v", cmd, rc, txns)
	}
	if after := snap(b); !reflect.DeepEqual(before, after) {
		t.Errorf("%#v: rejected command changed the book:\nbefore %+v\nafter  %+v", cmd, before, after)
	}
}

// checkBalanced asserts the double-entry rule on every transaction.
func checkBalanced(t *testing.T, txns []ledger.Txn) {
	t.Helper()
	for i, tx := range txns {
		if len(tx.Entries) < 2 {
			t.Errorf("txn %d (%s) has %d entries, want >= 2", i, tx.Kind, len(tx.Entries))
		}
		var sum int64
		for _, e := range tx.Entries {
			sum += e.Amount
		}
		if sum != 0 {
			t.Errorf("txn %d (%s) entries sum to %d, want 0: %+v", i, tx.Kind, sum, tx.Entries)
		}
	}
}

// TestApplySuccess drives every command through its accepted paths and
// compares the whole outcome: receipt, transactions (kinds, entries and
// BalanceAfter), resulting balances and the accounts marked dirty.
func TestApplySuccess(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(b *ledger.Book) // optional tweak of the fixture
		cmd      ledger.Command
		receipt  ledger.Receipt
		txns     []ledger.Txn
		balances map[int64]int64 // balances after; unlisted accounts must not change
		dirty    map[int64]bool
		check    func(t *testing.T, b *ledger.Book) // extra assertions
	}{
		{
			name:    "charge counts against today's limit",
			cmd:     ledger.Charge{User: alice, Account: aliceMain, Amount: 10_000},
			receipt: ledger.Receipt{Amount: 10_000, Charged: 10_000, MainBalance: 60_000},
			txns: []ledger.Txn{{Kind: ledger.TxnCharge, Entries: []ledger.Entry{
				{Account: ledger.ExternalBank, Amount: -10_000},
				{Account: aliceMain, Amount: 10_000, BalanceAfter: 60_000},
			}}},
			balances: map[int64]int64{aliceMain: 60_000},
			dirty:    map[int64]bool{aliceMain: true},
			check:    wantCounter(aliceMain, today, 10_000),
		},
		{
			name:     "charge the whole daily limit at once",
			cmd:      ledger.Charge{User: alice, Account: aliceMain, Amount: ledger.DailyChargeLimit},
			receipt:  ledger.Receipt{Amount: 3_000_000, Charged: 3_000_000, MainBalance: 3_050_000},
			txns:     []ledger.Txn{chargeTxn(aliceMain, 3_000_000, 3_050_000)},
			balances: map[int64]int64{aliceMain: 3_050_000},
			dirty:    map[int64]bool{aliceMain: true},
			check:    wantCounter(aliceMain, today, 3_000_000),
		},
		{
			name:     "charge up to exactly the limit adds to today's counter",
			setup:    setCounter(aliceMain, today, 2_990_000),
			cmd:      ledger.Charge{User: alice, Account: aliceMain, Amount: 10_000},
			receipt:  ledger.Receipt{Amount: 10_000, Charged: 10_000, MainBalance: 60_000},
			txns:     []ledger.Txn{chargeTxn(aliceMain, 10_000, 60_000)},
			balances: map[int64]int64{aliceMain: 60_000},
			dirty:    map[int64]bool{aliceMain: true},
			check:    wantCounter(aliceMain, today, 3_000_000),
		},
		{
			// Yesterday's full counter is stale: today starts from zero.
			name:     "charge after a full limit yesterday",
			setup:    setCounter(aliceMain, yesterday, ledger.DailyChargeLimit),
			cmd:      ledger.Charge{User: alice, Account: aliceMain, Amount: ledger.DailyChargeLimit},
			receipt:  ledger.Receipt{Amount: 3_000_000, Charged: 3_000_000, MainBalance: 3_050_000},
			txns:     []ledger.Txn{chargeTxn(aliceMain, 3_000_000, 3_050_000)},
			balances: map[int64]int64{aliceMain: 3_050_000},
			dirty:    map[int64]bool{aliceMain: true},
			check:    wantCounter(aliceMain, today, 3_000_000),
		},
		{
			name:    "deposit into free savings",
			cmd:     ledger.Deposit{User: alice, Main: aliceMain, Savings: aliceFree, Amount: 20_000},
			receipt: ledger.Receipt{Amount: 20_000, MainBalance: 30_000, SavingsBalance: 40_000},
			txns: []ledger.Txn{{Kind: ledger.TxnDeposit, Entries: []ledger.Entry{
				{Account: aliceMain, Amount: -20_000, BalanceAfter: 30_000},
				{Account: aliceFree, Amount: 20_000, BalanceAfter: 40_000},
			}}},
			balances: map[int64]int64{aliceMain: 30_000, aliceFree: 40_000},
			dirty:    map[int64]bool{aliceMain: true, aliceFree: true},
			check:    wantCounter(aliceMain, "", 0), // deposits never charge
		},
		{
			name:    "deposit the whole main balance",
			cmd:     ledger.Deposit{User: alice, Main: aliceMain, Savings: aliceFree, Amount: 50_000},
			receipt: ledger.Receipt{Amount: 50_000, MainBalance: 0, SavingsBalance: 70_000},
			txns: []ledger.Txn{{Kind: ledger.TxnDeposit, Entries: []ledger.Entry{
				{Account: aliceMain, Amount: -50_000, BalanceAfter: 0},
				{Account: aliceFree, Amount: 50_000, BalanceAfter: 70_000},
			}}},
			balances: map[int64]int64{aliceMain: 0, aliceFree: 70_000},
			dirty:    map[int64]bool{aliceMain: true, aliceFree: true},
		},
		{
			name:    "withdraw from free savings",
			cmd:     ledger.Withdraw{User: alice, Main: aliceMain, Savings: aliceFree, Amount: 5_000},
			receipt: ledger.Receipt{Amount: 5_000, MainBalance: 55_000, SavingsBalance: 15_000},
			txns: []ledger.Txn{{Kind: ledger.TxnWithdrawal, Entries: []ledger.Entry{
				{Account: aliceFree, Amount: -5_000, BalanceAfter: 15_000},
				{Account: aliceMain, Amount: 5_000, BalanceAfter: 55_000},
			}}},
			balances: map[int64]int64{aliceMain: 55_000, aliceFree: 15_000},
			dirty:    map[int64]bool{aliceMain: true, aliceFree: true},
		},
		{
			name:    "withdraw the whole savings balance keeps the account open",
			cmd:     ledger.Withdraw{User: alice, Main: aliceMain, Savings: aliceFree, Amount: 20_000},
			receipt: ledger.Receipt{Amount: 20_000, MainBalance: 70_000, SavingsBalance: 0},
			txns: []ledger.Txn{{Kind: ledger.TxnWithdrawal, Entries: []ledger.Entry{
				{Account: aliceFree, Amount: -20_000, BalanceAfter: 0},
				{Account: aliceMain, Amount: 20_000, BalanceAfter: 70_000},
			}}},
			balances: map[int64]int64{aliceMain: 70_000, aliceFree: 0},
			dirty:    map[int64]bool{aliceMain: true, aliceFree: true},
			check:    wantStatus(aliceFree, ledger.Open),
		},
		{
			name:    "close free savings returns the balance to main",
			cmd:     ledger.Close{User: alice, Main: aliceMain, Savings: aliceFree},
			receipt: ledger.Receipt{Amount: 20_000, MainBalance: 70_000},
			txns: []ledger.Txn{{Kind: ledger.TxnClose, Entries: []ledger.Entry{
				{Account: aliceFree, Amount: -20_000, BalanceAfter: 0},
				{Account: aliceMain, Amount: 20_000, BalanceAfter: 70_000},
			}}},
			balances: map[int64]int64{aliceMain: 70_000, aliceFree: 0},
			dirty:    map[int64]bool{aliceMain: true, aliceFree: true},
			check:    wantStatus(aliceFree, ledger.Closed),
		},
		{
			// Fixed savings allow neither deposits nor withdrawals, but
			// closing is always the way out.
			name:    "close fixed savings",
			cmd:     ledger.Close{User: alice, Main: aliceMain, Savings: aliceFixed},
			receipt: ledger.Receipt{Amount: 30_000, MainBalance: 80_000},
			txns: []ledger.Txn{{Kind: ledger.TxnClose, Entries: []ledger.Entry{
				{Account: aliceFixed, Amount: -30_000, BalanceAfter: 0},
				{Account: aliceMain, Amount: 30_000, BalanceAfter: 80_000},
			}}},
			balances: map[int64]int64{aliceMain: 80_000, aliceFixed: 0},
			dirty:    map[int64]bool{aliceMain: true, aliceFixed: true},
			check:    wantStatus(aliceFixed, ledger.Closed),
		},
		{
			// Nothing to move: no transaction, and only the savings row
			// (its status) needs writing back.
			name:     "close empty savings",
			setup:    func(b *ledger.Book) { b.Accounts[aliceFree].Balance = 0 },
			cmd:      ledger.Close{User: alice, Main: aliceMain, Savings: aliceFree},
			receipt:  ledger.Receipt{Amount: 0, MainBalance: 50_000},
			txns:     nil,
			balances: map[int64]int64{aliceFree: 0},
			dirty:    map[int64]bool{aliceFree: true},
			check:    wantStatus(aliceFree, ledger.Closed),
		},
		{
			name:    "transfer covered by the balance charges nothing",
			cmd:     ledger.Transfer{User: alice, From: aliceMain, To: bobMain, Amount: 30_000},
			receipt: ledger.Receipt{Amount: 30_000, Charged: 0, MainBalance: 20_000, Status: ledger.TransferCompleted},
			txns: []ledger.Txn{{Kind: ledger.TxnTransfer, Entries: []ledger.Entry{
				{Account: aliceMain, Amount: -30_000, BalanceAfter: 20_000},
				{Account: bobMain, Amount: 30_000, BalanceAfter: 35_000},
			}, Transfer: aliceToBob(30_000, 0)}},
			balances: map[int64]int64{aliceMain: 20_000, bobMain: 35_000},
			dirty:    map[int64]bool{aliceMain: true, bobMain: true},
			check:    wantCounter(aliceMain, "", 0),
		},
		{
			name:    "transfer of exactly the balance charges nothing",
			cmd:     ledger.Transfer{User: alice, From: aliceMain, To: bobMain, Amount: 50_000},
			receipt: ledger.Receipt{Amount: 50_000, Charged: 0, MainBalance: 0, Status: ledger.TransferCompleted},
			txns: []ledger.Txn{{Kind: ledger.TxnTransfer, Entries: []ledger.Entry{
				{Account: aliceMain, Amount: -50_000, BalanceAfter: 0},
				{Account: bobMain, Amount: 50_000, BalanceAfter: 55_000},
			}, Transfer: aliceToBob(50_000, 0)}},
			balances: map[int64]int64{aliceMain: 0, bobMain: 55_000},
			dirty:    map[int64]bool{aliceMain: true, bobMain: true},
		},
		{
			// The charge comes first, as its own transaction, and its
			// BalanceAfter is the intermediate balance.
			name:    "transfer short by 1 auto-charges one unit first",
			cmd:     ledger.Transfer{User: alice, From: aliceMain, To: bobMain, Amount: 50_001},
			receipt: ledger.Receipt{Amount: 50_001, Charged: 10_000, MainBalance: 9_999, Status: ledger.TransferCompleted},
			txns: []ledger.Txn{
				chargeTxn(aliceMain, 10_000, 60_000),
				{Kind: ledger.TxnTransfer, Entries: []ledger.Entry{
					{Account: aliceMain, Amount: -50_001, BalanceAfter: 9_999},
					{Account: bobMain, Amount: 50_001, BalanceAfter: 55_001},
				}, Transfer: aliceToBob(50_001, 10_000)},
			},
			balances: map[int64]int64{aliceMain: 9_999, bobMain: 55_001},
			dirty:    map[int64]bool{aliceMain: true, bobMain: true},
			check:    wantCounter(aliceMain, today, 10_000),
		},
		{
			// Bob holds 5,000 and sends 25,000: short exactly 20,000. He
			// also picks the name Alice sees and adds a memo.
			name:    "transfer from bob to alice with charge",
			cmd:     ledger.Transfer{User: bob, From: bobMain, To: aliceMain, Amount: 25_000, DisplayName: "B.", Memo: "lunch"},
			receipt: ledger.Receipt{Amount: 25_000, Charged: 20_000, MainBalance: 0, Status: ledger.TransferCompleted},
			txns: []ledger.Txn{
				chargeTxn(bobMain, 20_000, 25_000),
				{Kind: ledger.TxnTransfer, Entries: []ledger.Entry{
					{Account: bobMain, Amount: -25_000, BalanceAfter: 0},
					{Account: aliceMain, Amount: 25_000, BalanceAfter: 75_000},
				}, Transfer: &ledger.TransferRecord{
					FromUser: bob, FromAccount: bobMain, ToUser: alice, ToAccount: aliceMain,
					Amount: 25_000, Charged: 20_000, Status: ledger.TransferCompleted,
					SenderName: "Bob Lee", DisplayName: "B.", Memo: "lunch",
				}},
			},
			balances: map[int64]int64{bobMain: 0, aliceMain: 75_000},
			dirty:    map[int64]bool{aliceMain: true, bobMain: true},
			check:    wantCounter(bobMain, today, 20_000),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := fixture()
			if tt.setup != nil {
				tt.setup(b)
			}
			before := snap(b)
			rc, txns, err := b.Apply(tt.cmd)
			if err != nil {
				t.Fatalf("Apply(%#v): %v", tt.cmd, err)
			}
			if rc != tt.receipt {
				t.Errorf("receipt = %+v, want %+v", rc, tt.receipt)
			}
			if got := withoutNotices(txns); !reflect.DeepEqual(got, tt.txns) {
				t.Errorf("txns = %+v, want %+v", got, tt.txns)
			}
			checkBalanced(t, txns)
			for id, a := range before.Accounts {
				want := a.Balance
				if w, ok := tt.balances[id]; ok {
					want = w
				}
				if got := b.Accounts[id].Balance; got != want {
					t.Errorf("account %d balance = %d, want %d", id, got, want)
				}
			}
			if !reflect.DeepEqual(b.Dirty, tt.dirty) {
				t.Errorf("dirty = %v, want %v", b.Dirty, tt.dirty)
			}
			if tt.check != nil {
				tt.check(t, b)
			}
		})
	}
}

func chargeTxn(main, amount, after int64) ledger.Txn {
	return ledger.Txn{Kind: ledger.TxnCharge, Entries: []ledger.Entry{
		{Account: ledger.ExternalBank, Amount: -amount},
		{Account: main, Amount: amount, BalanceAfter: after},
	}}
}

// aliceToBob is the record of a transfer from Alice to Bob without a
// chosen display name: the receiver sees Alice's masked real name, never
// the whole of it.
func aliceToBob(amount, charged int64) *ledger.TransferRecord {
	return &ledger.TransferRecord{
		FromUser: alice, FromAccount: aliceMain, ToUser: bob, ToAccount: bobMain,
		Amount: amount, Charged: charged, Status: ledger.TransferCompleted,
		SenderName: "Alice Kim", DisplayName: "A**** K**",
	}
}

func setCounter(id int64, day string, charged int64) func(b *ledger.Book) {
	return func(b *ledger.Book) {
		b.Accounts[id].ChargeDay = day
		b.Accounts[id].Charged = charged
	}
}

func wantCounter(id int64, day string, charged int64) func(t *testing.T, b *ledger.Book) {
	return func(t *testing.T, b *ledger.Book) {
		t.Helper()
		a := b.Accounts[id]
		if a.ChargeDay != day || a.Charged != charged {
			t.Errorf("account %d counter = (%q, %d), want (%q, %d)", id, a.ChargeDay, a.Charged, day, charged)
		}
	}
}

func wantStatus(id int64, status string) func(t *testing.T, b *ledger.Book) {
	return func(t *testing.T, b *ledger.Book) {
		t.Helper()
		if got := b.Accounts[id].Status; got != status {
			t.Errorf("account %d status = %q, want %q", id, got, status)
		}
	}
}

// TestApplyRejections covers every rejection code of every command. Each
// case also asserts the book is left exactly as it was (see mustReject):
// the writer applies a whole batch to one book, so a rejected command that
// half-applied would leak into the commands after it.
func TestApplyRejections(t *testing.T) {
	tests := []struct {
		name  string
		setup func(b *ledger.Book)
		cmd   ledger.Command
		code  errs.Code
	}{
		// Charge.
		{name: "charge zero", cmd: ledger.Charge{User: alice, Account: aliceMain, Amount: 0}, code: errs.Invalid},
		{name: "charge negative", cmd: ledger.Charge{User: alice, Account: aliceMain, Amount: -1}, code: errs.Invalid},
		{name: "charge MinInt64", cmd: ledger.Charge{User: alice, Account: aliceMain, Amount: math.MinInt64}, code: errs.Invalid},
		{name: "charge missing account", cmd: ledger.Charge{User: alice, Account: missing, Amount: 1}, code: errs.NotFound},
		{name: "charge system account", cmd: ledger.Charge{User: alice, Account: ledger.ExternalBank, Amount: 1}, code: errs.NotFound},
		{name: "charge someone else's main", cmd: ledger.Charge{User: bob, Account: aliceMain, Amount: 1}, code: errs.Forbidden},
		{name: "charge closed main", cmd: ledger.Charge{User: carol, Account: carolMain, Amount: 1}, code: errs.Conflict},
		{name: "charge into savings", cmd: ledger.Charge{User: alice, Account: aliceFree, Amount: 1}, code: errs.Invalid},
		{name: "charge over the limit", cmd: ledger.Charge{User: alice, Account: aliceMain, Amount: ledger.DailyChargeLimit + 1}, code: errs.ChargeLimitExceeded},
		{name: "charge MaxInt64", cmd: ledger.Charge{User: alice, Account: aliceMain, Amount: math.MaxInt64}, code: errs.ChargeLimitExceeded},
		{
			name:  "charge 1 over what is left today",
			setup: setCounter(aliceMain, today, 2_990_000),
			cmd:   ledger.Charge{User: alice, Account: aliceMain, Amount: 10_001},
			code:  errs.ChargeLimitExceeded,
		},
		{
			name:  "charge after the limit is used up",
			setup: setCounter(aliceMain, today, ledger.DailyChargeLimit),
			cmd:   ledger.Charge{User: alice, Account: aliceMain, Amount: 1},
			code:  errs.ChargeLimitExceeded,
		},
		{
			name:  "charge that would overflow the balance",
			setup: func(b *ledger.Book) { b.Accounts[aliceMain].Balance = math.MaxInt64 - 5 },
			cmd:   ledger.Charge{User: alice, Account: aliceMain, Amount: 10},
			code:  errs.Invalid,
		},

		// Deposit.
		{name: "deposit zero", cmd: ledger.Deposit{User: alice, Main: aliceMain, Savings: aliceFree, Amount: 0}, code: errs.Invalid},
		{name: "deposit negative", cmd: ledger.Deposit{User: alice, Main: aliceMain, Savings: aliceFree, Amount: -20_000}, code: errs.Invalid},
		{name: "deposit from missing main", cmd: ledger.Deposit{User: alice, Main: missing, Savings: aliceFree, Amount: 1}, code: errs.NotFound},
		{name: "deposit into missing savings", cmd: ledger.Deposit{User: alice, Main: aliceMain, Savings: missing, Amount: 1}, code: errs.NotFound},
		{name: "deposit from someone else's main", cmd: ledger.Deposit{User: alice, Main: bobMain, Savings: aliceFree, Amount: 1}, code: errs.Forbidden},
		{name: "deposit into someone else's savings", cmd: ledger.Deposit{User: alice, Main: aliceMain, Savings: bobFree, Amount: 1}, code: errs.Forbidden},
		{name: "deposit into closed savings", cmd: ledger.Deposit{User: alice, Main: aliceMain, Savings: aliceClosed, Amount: 1}, code: errs.Conflict},
		{name: "deposit from closed main", cmd: ledger.Deposit{User: carol, Main: carolMain, Savings: aliceFree, Amount: 1}, code: errs.Conflict},
		{name: "deposit from savings as main", cmd: ledger.Deposit{User: alice, Main: aliceFree, Savings: aliceFree, Amount: 1}, code: errs.Invalid},
		{name: "deposit into main as savings", cmd: ledger.Deposit{User: alice, Main: aliceMain, Savings: aliceMain, Amount: 1}, code: errs.Invalid},
		{name: "deposit into fixed savings", cmd: ledger.Deposit{User: alice, Main: aliceMain, Savings: aliceFixed, Amount: 10_000}, code: errs.Invalid},
		{name: "deposit more than main holds", cmd: ledger.Deposit{User: alice, Main: aliceMain, Savings: aliceFree, Amount: 50_001}, code: errs.InsufficientFunds},
		{name: "deposit MaxInt64", cmd: ledger.Deposit{User: alice, Main: aliceMain, Savings: aliceFree, Amount: math.MaxInt64}, code: errs.InsufficientFunds},

		// Withdraw.
		{name: "withdraw zero", cmd: ledger.Withdraw{User: alice, Main: aliceMain, Savings: aliceFree, Amount: 0}, code: errs.Invalid},
		{name: "withdraw negative", cmd: ledger.Withdraw{User: alice, Main: aliceMain, Savings: aliceFree, Amount: math.MinInt64}, code: errs.Invalid},
		{name: "withdraw to missing main", cmd: ledger.Withdraw{User: alice, Main: missing, Savings: aliceFree, Amount: 1}, code: errs.NotFound},
		{name: "withdraw from missing savings", cmd: ledger.Withdraw{User: alice, Main: aliceMain, Savings: missing, Amount: 1}, code: errs.NotFound},
		{name: "withdraw from someone else's savings", cmd: ledger.Withdraw{User: alice, Main: aliceMain, Savings: bobFree, Amount: 1}, code: errs.Forbidden},
		{name: "withdraw to someone else's main", cmd: ledger.Withdraw{User: bob, Main: aliceMain, Savings: bobFree, Amount: 1}, code: errs.Forbidden},
		{name: "withdraw from closed savings", cmd: ledger.Withdraw{User: alice, Main: aliceMain, Savings: aliceClosed, Amount: 1}, code: errs.Conflict},
		{name: "withdraw from main as savings", cmd: ledger.Withdraw{User: alice, Main: aliceMain, Savings: aliceMain, Amount: 1}, code: errs.Invalid},
		{name: "withdraw into savings as main", cmd: ledger.Withdraw{User: alice, Main: aliceFixed, Savings: aliceFree, Amount: 1}, code: errs.Invalid},
		{name: "withdraw from fixed savings", cmd: ledger.Withdraw{User: alice, Main: aliceMain, Savings: aliceFixed, Amount: 1}, code: errs.Invalid},
		{name: "withdraw more than savings holds", cmd: ledger.Withdraw{User: alice, Main: aliceMain, Savings: aliceFree, Amount: 20_001}, code: errs.InsufficientFunds},

		// Close.
		{name: "close missing savings", cmd: ledger.Close{User: alice, Main: aliceMain, Savings: missing}, code: errs.NotFound},
		{name: "close with missing main", cmd: ledger.Close{User: alice, Main: missing, Savings: aliceFree}, code: errs.NotFound},
		{name: "close someone else's savings", cmd: ledger.Close{User: alice, Main: aliceMain, Savings: bobFree}, code: errs.Forbidden},
		{name: "close into someone else's main", cmd: ledger.Close{User: bob, Main: aliceMain, Savings: bobFree}, code: errs.Forbidden},
		{name: "close twice", cmd: ledger.Close{User: alice, Main: aliceMain, Savings: aliceClosed}, code: errs.Conflict},
		{name: "close into closed main", cmd: ledger.Close{User: carol, Main: carolMain, Savings: aliceFree}, code: errs.Conflict},
		{name: "close a main account", cmd: ledger.Close{User: alice, Main: aliceMain, Savings: aliceMain}, code: errs.Invalid},
		{name: "close into savings as main", cmd: ledger.Close{User: alice, Main: aliceFixed, Savings: aliceFree}, code: errs.Invalid},

		// Transfer.
		{name: "transfer zero", cmd: ledger.Transfer{User: alice, From: aliceMain, To: bobMain, Amount: 0}, code: errs.Invalid},
		{name: "transfer negative", cmd: ledger.Transfer{User: alice, From: aliceMain, To: bobMain, Amount: -50_000}, code: errs.Invalid},
		{name: "transfer from missing", cmd: ledger.Transfer{User: alice, From: missing, To: bobMain, Amount: 1}, code: errs.NotFound},
		{name: "transfer to missing", cmd: ledger.Transfer{User: alice, From: aliceMain, To: missing, Amount: 1}, code: errs.NotFound},
		{name: "transfer to the external bank", cmd: ledger.Transfer{User: alice, From: aliceMain, To: ledger.ExternalBank, Amount: 1}, code: errs.NotFound},
		{name: "transfer from someone else's main", cmd: ledger.Transfer{User: bob, From: aliceMain, To: bobMain, Amount: 1}, code: errs.Forbidden},
		{name: "transfer from closed main", cmd: ledger.Transfer{User: carol, From: carolMain, To: bobMain, Amount: 1}, code: errs.Conflict},
		{name: "transfer to closed main", cmd: ledger.Transfer{User: alice, From: aliceMain, To: carolMain, Amount: 1}, code: errs.Conflict},
		{name: "transfer from savings", cmd: ledger.Transfer{User: alice, From: aliceFree, To: bobMain, Amount: 1}, code: errs.Invalid},
		{name: "transfer to yourself", cmd: ledger.Transfer{User: alice, From: aliceMain, To: aliceMain, Amount: 1}, code: errs.Invalid},
		{name: "transfer to own savings", cmd: ledger.Transfer{User: alice, From: aliceMain, To: aliceFree, Amount: 1}, code: errs.Invalid},
		{name: "transfer to someone else's savings", cmd: ledger.Transfer{User: alice, From: aliceMain, To: bobFree, Amount: 1}, code: errs.Invalid},
		{
			name:  "transfer that would overflow the receiver",
			setup: func(b *ledger.Book) { b.Accounts[bobMain].Balance = math.MaxInt64 - 5 },
			cmd:   ledger.Transfer{User: alice, From: aliceMain, To: bobMain, Amount: 10},
			code:  errs.Invalid,
		},
		{
			// The receiver can take it, but covering it would need an
			// auto-charge of ~9.2e18, far over the daily limit.
			name:  "transfer MaxInt64 to an empty receiver",
			setup: func(b *ledger.Book) { b.Accounts[bobMain].Balance = 0 },
			cmd:   ledger.Transfer{User: alice, From: aliceMain, To: bobMain, Amount: math.MaxInt64},
			code:  errs.ChargeLimitExceeded,
		},
		{
			// Short by MaxInt64: AutoCharge saturates instead of
			// overflowing into a negative (i.e. no) charge.
			name: "transfer MaxInt64 from an empty main",
			setup: func(b *ledger.Book) {
				b.Accounts[aliceMain].Balance = 0
				b.Accounts[bobMain].Balance = 0
			},
			cmd:  ledger.Transfer{User: alice, From: aliceMain, To: bobMain, Amount: math.MaxInt64},
			code: errs.ChargeLimitExceeded,
		},
		{
			// Sender holds almost MaxInt64 yet is short by 4,990: the
			// 10,000 auto-charge would overflow its balance.
			name: "transfer whose auto-charge would overflow the sender",
			setup: func(b *ledger.Book) {
				b.Accounts[aliceMain].Balance = math.MaxInt64 - 5_000
				b.Accounts[bobMain].Balance = 0
			},
			cmd:  ledger.Transfer{User: alice, From: aliceMain, To: bobMain, Amount: math.MaxInt64 - 10},
			code: errs.Invalid,
		},
		{name: "transfer needing more than the daily limit", cmd: ledger.Transfer{User: alice, From: aliceMain, To: bobMain, Amount: 50_000 + 3_000_001}, code: errs.ChargeLimitExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := fixture()
			if tt.setup != nil {
				tt.setup(b)
			}
			mustReject(t, b, tt.cmd, tt.code)
		})
	}
}

// TestRejectionAfterSuccessKeepsEarlierEffects checks the batch shape the
// writer relies on: a rejection in the middle of a batch leaves earlier
// effects (including Dirty marks) alone and later commands still apply.
func TestRejectionAfterSuccessKeepsEarlierEffects(t *testing.T) {
	b := fixture()
	if _, _, err := b.Apply(ledger.Charge{User: alice, Account: aliceMain, Amount: 2_990_000}); err != nil {
		t.Fatal(err)
	}
	// Alice now holds 3,040,000 with 10,000 of today's limit left; being
	// short by 10,001 would need a 20,000 charge.
	mustReject(t, b, ledger.Transfer{User: alice, From: aliceMain, To: bobMain, Amount: 3_050_001}, errs.ChargeLimitExceeded)
	if _, _, err := b.Apply(ledger.Transfer{User: alice, From: aliceMain, To: bobMain, Amount: 3_040_000}); err != nil {
		t.Fatal(err)
	}
	if got := b.Accounts[aliceMain]; got.Balance != 0 || got.Charged != 2_990_000 {
		t.Errorf("alice main = %+v, want balance 0 and charged 2,990,000", got)
	}
	if got := b.Accounts[bobMain].Balance; got != 3_045_000 {
		t.Errorf("bob main balance = %d, want 3,045,000", got)
	}
}

// TestTransferAutoCharge pins the auto-charge rule: the shortfall rounded
// up to the next 10,000 — a shortfall that is already a multiple is charged
// as is — and the charge counts against the sender's daily limit together
// with manual charges.
func TestTransferAutoCharge(t *testing.T) {
	const balance = 50_000 // alice's main balance in the fixture
	tests := []struct {
		name      string
		counter   func(b *ledger.Book) // preloaded daily counter, if any
		shortfall int64
		charge    int64     // expected charge; ignored if code is set
		code      errs.Code // expected rejection, "" if accepted
		counterTo int64     // today's counter after an accepted transfer
	}{
		{name: "short by 1", shortfall: 1, charge: 10_000, counterTo: 10_000},
		{name: "short by 9,999", shortfall: 9_999, charge: 10_000, counterTo: 10_000},
		{name: "short by exactly one unit", shortfall: 10_000, charge: 10_000, counterTo: 10_000},
		{name: "short by 10,001", shortfall: 10_001, charge: 20_000, counterTo: 20_000},
		{name: "short by exactly 20,000 is not rounded up again", shortfall: 20_000, charge: 20_000, counterTo: 20_000},
		{name: "short by 20,001", shortfall: 20_001, charge: 30_000, counterTo: 30_000},
		{name: "short by exactly the daily limit", shortfall: 3_000_000, charge: 3_000_000, counterTo: 3_000_000},
		{name: "short by 1 over the daily limit", shortfall: 3_000_001, code: errs.ChargeLimitExceeded},
		{name: "short by 2,990,001 rounds up to the limit", shortfall: 2_990_001, charge: 3_000_000, counterTo: 3_000_000},
		{
			name:      "charge landing exactly on the limit",
			counter:   setCounter(aliceMain, today, 2_980_000),
			shortfall: 20_000, charge: 20_000, counterTo: 3_000_000,
		},
		{
			// 10,001 short needs 20,000 but only 10,000 is left today.
			name:      "rounded charge crossing the limit",
			counter:   setCounter(aliceMain, today, 2_990_000),
			shortfall: 10_001, code: errs.ChargeLimitExceeded,
		},
		{
			name:      "limit used up today",
			counter:   setCounter(aliceMain, today, ledger.DailyChargeLimit),
			shortfall: 1, code: errs.ChargeLimitExceeded,
		},
		{
			// A full counter from yesterday is stale: the charge is
			// allowed and the counter restarts at today's charge.
			name:      "charge recorded yesterday does not count",
			counter:   setCounter(aliceMain, yesterday, ledger.DailyChargeLimit),
			shortfall: 20_001, charge: 30_000, counterTo: 30_000,
		},
		{
			name:      "manual charges earlier today count",
			counter:   setCounter(aliceMain, today, 1_000_000),
			shortfall: 1, charge: 10_000, counterTo: 1_010_000,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := fixture()
			if tt.counter != nil {
				tt.counter(b)
			}
			cmd := ledger.Transfer{User: alice, From: aliceMain, To: bobMain, Amount: balance + tt.shortfall}
			if tt.code != "" {
				mustReject(t, b, cmd, tt.code)
				return
			}
			rc, txns, err := b.Apply(cmd)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			checkBalanced(t, txns)
			wantMain := balance + tt.charge - cmd.Amount
			if rc != (ledger.Receipt{Amount: cmd.Amount, Charged: tt.charge, MainBalance: wantMain, Status: ledger.TransferCompleted}) {
				t.Errorf("receipt = %+v, want charged %d, main balance %d", rc, tt.charge, wantMain)
			}
			if len(txns) != 2 || txns[0].Kind != ledger.TxnCharge || txns[1].Kind != ledger.TxnTransfer {
				t.Fatalf("txns = %+v, want a charge then a transfer", txns)
			}
			if want := chargeTxn(aliceMain, tt.charge, balance+tt.charge); !reflect.DeepEqual(txns[0], want) {
				t.Errorf("charge txn = %+v, want %+v", txns[0], want)
			}
			// The transfer's record carries the charge it needed.
			if want := aliceToBob(cmd.Amount, tt.charge); !reflect.DeepEqual(txns[1].Transfer, want) {
				t.Errorf("transfer record = %+v, want %+v", txns[1].Transfer, want)
			}
			if got := b.Accounts[aliceMain].Balance; got != wantMain {
				t.Errorf("alice main = %d, want %d", got, wantMain)
			}
			wantCounter(aliceMain, today, tt.counterTo)(t, b)
		})
	}
}

// TestAutoCharge calls the rounding rule directly, including values at the
// edge of int64 where a naive (short + unit - 1) would overflow.
func TestAutoCharge(t *testing.T) {
	const maxUnits = math.MaxInt64 / ledger.ChargeUnit * ledger.ChargeUnit // largest multiple of the unit
	tests := []struct {
		balance, amount, want int64
	}{
		{0, 1, 10_000},
		{5_000, 5_000, 0},
		{10_000, 5_000, 0},
		{0, 10_000, 10_000},
		{0, 10_001, 20_000},
		{0, 20_000, 20_000},
		{0, 20_001, 30_000},
		{1, 20_001, 20_000},
		{9_999, 10_000, 10_000},
		{math.MaxInt64, math.MaxInt64, 0},
		{math.MaxInt64, 1, 0},
		// A shortfall above MaxInt64-ChargeUnit saturates even when it is
		// itself a multiple of the unit.
		{0, maxUnits, math.MaxInt64},
		// Shortfall MaxInt64-ChargeUnit is the largest the rounding handles
		// exactly; anything above saturates at MaxInt64 (which callers
		// reject as over the limit).
		{0, math.MaxInt64 - ledger.ChargeUnit, maxUnits},
		{0, math.MaxInt64 - ledger.ChargeUnit + 1, math.MaxInt64},
		{0, math.MaxInt64, math.MaxInt64},
		{1, math.MaxInt64, math.MaxInt64},
		{math.MaxInt64 - 1, math.MaxInt64, 10_000},
	}
	for _, tt := range tests {
		if got := ledger.AutoCharge(tt.balance, tt.amount); got != tt.want {
			t.Errorf("AutoCharge(%d, %d) = %d, want %d", tt.balance, tt.amount, got, tt.want)
		}
	}
}

// TestAutoChargeProperty checks the rounding rule over the whole domain the
// ledger calls it with (balance >= 0, amount > 0): zero iff no shortfall;
// otherwise it covers the shortfall and either is the smallest multiple of
// the unit that does or saturates at MaxInt64 when that multiple would not
// fit.
func TestAutoChargeProperty(t *testing.T) {
	prop := func(rawBalance, rawAmount int64, small bool) bool {
		balance := rawBalance & math.MaxInt64 // >= 0
		amount := rawAmount & math.MaxInt64   // >= 0
		if amount == 0 {
			amount = 1 // > 0
		}
		if small { // also explore the range where limits matter
			balance %= 5_000_000
			amount = amount%5_000_000 + 1
		}
		got := ledger.AutoCharge(balance, amount)
		short := amount - balance // cannot overflow in this domain
		if short <= 0 {
			return got == 0
		}
		if got == math.MaxInt64 {
			return short > math.MaxInt64-ledger.ChargeUnit
		}
		return got >= short && got-short < ledger.ChargeUnit && got%ledger.ChargeUnit == 0
	}
	if err := quick.Check(prop, &quick.Config{MaxCount: 20_000}); err != nil {
		t.Error(err)
	}
}

// TestAutoChargeAtTheEdges checks the auto-charge rule at the edges of
// int64, where a naive rounding overflows. Called directly, even with the
// negative inputs every caller rejects first, AutoCharge answers 0, a whole
// number of ChargeUnits, or the saturating MaxInt64, never anything else.
// Through a transfer (balances are never negative), the outcome is the one
// autoChargeRule works out: see checkAutoChargedTransfer.
func TestAutoChargeAtTheEdges(t *testing.T) {
	edge := []int64{math.MinInt64, math.MinInt64 + 1, -1, 0, 1,
		ledger.ChargeUnit - 1, ledger.ChargeUnit, ledger.ChargeUnit + 1,
		ledger.DailyChargeLimit, ledger.DailyChargeLimit + 1, math.MaxInt64 - ledger.DailyChargeLimit,
		math.MaxInt64 - ledger.ChargeUnit, math.MaxInt64 - 1, math.MaxInt64}
	for _, balance := range edge {
		for _, amount := range edge {
			got := ledger.AutoCharge(balance, amount)
			if got < 0 || got != math.MaxInt64 && got%ledger.ChargeUnit != 0 {
				t.Errorf("AutoCharge(%d, %d) = %d, want 0, a multiple of %d or MaxInt64", balance, amount, got, ledger.ChargeUnit)
			}
			if balance < 0 {
				continue
			}
			for _, used := range []int64{0, ledger.DailyChargeLimit - ledger.ChargeUnit} {
				checkAutoChargedTransfer(t, balance, amount, used)
			}
		}
	}
}

// autoChargeRule is the rule, worked out without AutoCharge: the charge a
// transfer of amount from a main holding balance (>= 0), with used charged
// already today, needs, or the code that rejects it. The charge is the
// shortfall rounded up to whole ChargeUnits, 0 without a shortfall; it
// must fit under the daily limit and in the sender's balance.
func autoChargeRule(balance, amount, used int64) (charge int64, code errs.Code) {
	if amount <= 0 {
		return 0, errs.Invalid
	}
	short := amount - balance // both >= 0, so no overflow
	if short <= 0 {
		return 0, ""
	}
	units := (short-1)/ledger.ChargeUnit + 1
	if units > (ledger.DailyChargeLimit-used)/ledger.ChargeUnit {
		return 0, errs.ChargeLimitExceeded
	}
	charge = units * ledger.ChargeUnit
	if balance > math.MaxInt64-charge {
		return 0, errs.Invalid // the sender's balance would overflow
	}
	return charge, ""
}

// checkAutoChargedTransfer sends amount from Alice's main, holding balance
// with used charged today, to Bob's empty main. A rejection must carry
// autoChargeRule's code and change nothing. An accepted transfer moves
// exactly amount to Bob, charges Alice autoChargeRule's charge, counts it
// against her day (never past the limit), and conserves money: what the
// two mains gained together is what came from the bank.
func checkAutoChargedTransfer(t *testing.T, balance, amount, used int64) {
	t.Helper()
	b := fixture()
	b.Accounts[aliceMain].Balance, b.Accounts[bobMain].Balance = balance, 0
	setCounter(aliceMain, today, used)(b)
	cmd := ledger.Transfer{User: alice, From: aliceMain, To: bobMain, Amount: amount}
	charge, code := autoChargeRule(balance, amount, used)
	if code != "" {
		mustReject(t, b, cmd, code)
		return
	}
	rc, txns, err := b.Apply(cmd)
	if err != nil {
		t.Fatalf("%+v from balance %d, %d charged today: %v", cmd, balance, used, err)
	}
	checkBalanced(t, txns)
	var fromBank int64
	for _, tx := range txns {
		for _, e := range tx.Entries {
			if e.Account == ledger.ExternalBank {
				fromBank -= e.Amount
			}
		}
	}
	aliceBal, bobBal := b.Accounts[aliceMain].Balance, b.Accounts[bobMain].Balance
	if rc.Amount != amount || rc.Charged != charge || bobBal != amount || aliceBal != balance+charge-amount || fromBank != charge {
		t.Errorf("transfer of %d from balance %d: receipt %+v, alice %d, bob %d, %d from the bank; want charged %d",
			amount, balance, rc, aliceBal, bobBal, fromBank, charge)
	}
	if got := b.Accounts[aliceMain].ChargedOn(today); got != used+charge || got > ledger.DailyChargeLimit {
		t.Errorf("transfer of %d from balance %d: %d charged today, want %d", amount, balance, got, used+charge)
	}
}

// TestBusinessDay checks the day boundary is local midnight, not UTC's:
// Seoul is UTC+9, so its day changes at 15:00 UTC.
func TestBusinessDay(t *testing.T) {
	loc := clock.Seoul
	tests := []struct {
		utc  string
		loc  *time.Location
		want string
	}{
		{"2026-11-24T14:59:59Z", loc, "2026-11-24"},
		{"2026-11-24T15:00:00Z", loc, "2026-11-25"},
		{"2026-11-24T15:00:00Z", time.UTC, "2026-11-24"},
		{"2026-11-23T15:00:00Z", loc, "2026-11-24"},
		{"2026-12-31T15:00:00Z", loc, "2027-01-01"},
	}
	for _, tt := range tests {
		ts, err := time.Parse(time.RFC3339, tt.utc)
		if err != nil {
			t.Fatal(err)
		}
		if got := ledger.BusinessDay(ts, tt.loc); got != tt.want {
			t.Errorf("BusinessDay(%s, %s) = %s, want %s", tt.utc, tt.loc, got, tt.want)
		}
		// The instant's own zone must not matter, only loc.
		if got := ledger.BusinessDay(ts.In(time.FixedZone("X", -11*3600)), tt.loc); got != tt.want {
			t.Errorf("BusinessDay(%s in UTC-11, %s) = %s, want %s", tt.utc, tt.loc, got, tt.want)
		}
	}
}

// TestNewBook checks the book takes its day from the clock in loc and
// starts with nothing dirty (and a usable Dirty map).
func TestNewBook(t *testing.T) {
	now := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	accounts := fixture().Accounts
	b := ledger.NewBook(accounts, now, clock.Seoul)
	if b.Day != "2026-11-25" {
		t.Errorf("Day = %s, want 2026-11-25", b.Day)
	}
	if b.Dirty == nil || len(b.Dirty) != 0 {
		t.Errorf("Dirty = %v, want empty non-nil map", b.Dirty)
	}
	// Alice's counter is from "today" (the 24th), stale on the 25th.
	b.Accounts[aliceMain].ChargeDay, b.Accounts[aliceMain].Charged = today, ledger.DailyChargeLimit
	if _, _, err := b.Apply(ledger.Charge{User: alice, Account: aliceMain, Amount: 1}); err != nil {
		t.Errorf("charge on a new business day: %v", err)
	}
	wantCounter(aliceMain, "2026-11-25", 1)(t, b)
}

// TestChargedOn checks the counter only counts on its own day.
func TestChargedOn(t *testing.T) {
	a := &ledger.Account{ChargeDay: today, Charged: 42}
	if got := a.ChargedOn(today); got != 42 {
		t.Errorf("ChargedOn(today) = %d, want 42", got)
	}
	if got := a.ChargedOn(yesterday); got != 0 {
		t.Errorf("ChargedOn(yesterday) = %d, want 0", got)
	}
	if got := (&ledger.Account{}).ChargedOn(today); got != 0 {
		t.Errorf("ChargedOn on a fresh account = %d, want 0", got)
	}
}

// TestTouches checks each command names every account it reads or writes,
// since the writer locks exactly those before Apply.
func TestTouches(t *testing.T) {
	tests := []struct {
		cmd  ledger.Command
		want []int64
	}{
		{ledger.Charge{User: alice, Account: aliceMain, Amount: 1}, []int64{aliceMain}},
		{ledger.Deposit{User: alice, Main: aliceMain, Savings: aliceFree, Amount: 1}, []int64{aliceMain, aliceFree}},
		{ledger.Withdraw{User: alice, Main: aliceMain, Savings: aliceFree, Amount: 1}, []int64{aliceMain, aliceFree}},
		{ledger.Close{User: alice, Main: aliceMain, Savings: aliceFree}, []int64{aliceMain, aliceFree}},
		{ledger.Transfer{User: alice, From: aliceMain, To: bobMain, Amount: 1}, []int64{aliceMain, bobMain}},
	}
	for _, tt := range tests {
		if got := tt.cmd.Touches(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%#v.Touches() = %v, want %v", tt.cmd, got, tt.want)
		}
	}
}

func TestIsSystem(t *testing.T) {
	if !ledger.IsSystem(ledger.ExternalBank) {
		t.Error("ExternalBank is not a system account")
	}
	for _, id := range []int64{0, 1, aliceMain, math.MaxInt64} {
		if ledger.IsSystem(id) {
			t.Errorf("IsSystem(%d) = true, want false", id)
		}
	}
}

// TestCheckNewSavings covers opening requests: fixed savings need a daily
// amount in (0, DailyChargeLimit] (an installment above the limit could
// never be charged), free savings take none, unknown products fail.
func TestCheckNewSavings(t *testing.T) {
	tests := []struct {
		product string
		daily   int64
		ok      bool
	}{
		{"free", 0, true},
		{"free", 1, false},
		{"free", -1, false},
		{"free", math.MaxInt64, false},
		{"fixed", 1, true},
		{"fixed", 10_000, true},
		{"fixed", ledger.DailyChargeLimit, true},
		{"fixed", ledger.DailyChargeLimit + 1, false},
		{"fixed", math.MaxInt64, false},
		{"fixed", 0, false},
		{"fixed", -1, false},
		{"fixed", math.MinInt64, false},
		{"", 0, false},
		{"FREE", 0, false}, // product names are exact
		{"bogus", 0, false},
		{"bogus", 10_000, false},
	}
	for _, tt := range tests {
		err := ledger.CheckNewSavings(tt.product, tt.daily)
		switch {
		case tt.ok && err != nil:
			t.Errorf("CheckNewSavings(%q, %d) = %v, want nil", tt.product, tt.daily, err)
		case !tt.ok && errs.CodeOf(err) != errs.Invalid:
			t.Errorf("CheckNewSavings(%q, %d) = %v, want code invalid", tt.product, tt.daily, err)
		}
	}
	// Every product on offer can be opened with some valid amount, and its
	// name matches its key (API responses show Product.Name).
	for key, p := range ledger.Products {
		if p.Name != key {
			t.Errorf("Products[%q].Name = %q", key, p.Name)
		}
		daily := int64(0)
		if p.DailyInstallment {
			daily = 1
		}
		if err := ledger.CheckNewSavings(key, daily); err != nil {
			t.Errorf("CheckNewSavings(%q, %d) = %v", key, daily, err)
		}
	}
}

// TestOverflowBetweenOwnAccounts: like Charge and Transfer, Deposit,
// Withdraw and Close must refuse to push the receiving balance past
// MaxInt64 (a wrapped balance would turn negative).
func TestOverflowBetweenOwnAccounts(t *testing.T) {
	tests := []struct {
		name  string
		setup func(b *ledger.Book)
		cmd   ledger.Command
	}{
		{
			name:  "deposit into nearly full savings",
			setup: func(b *ledger.Book) { b.Accounts[aliceFree].Balance = math.MaxInt64 - 5 },
			cmd:   ledger.Deposit{User: alice, Main: aliceMain, Savings: aliceFree, Amount: 10},
		},
		{
			name:  "withdraw into nearly full main",
			setup: func(b *ledger.Book) { b.Accounts[aliceMain].Balance = math.MaxInt64 - 5 },
			cmd:   ledger.Withdraw{User: alice, Main: aliceMain, Savings: aliceFree, Amount: 10},
		},
		{
			name:  "close into nearly full main",
			setup: func(b *ledger.Book) { b.Accounts[aliceMain].Balance = math.MaxInt64 - 5 },
			cmd:   ledger.Close{User: alice, Main: aliceMain, Savings: aliceFree},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := fixture()
			tt.setup(b)
			mustReject(t, b, tt.cmd, errs.Invalid)
		})
	}
}
