package ledger

import (
	"math/bits"
	"time"

	"minipay/errs"
)

// interestDenominator turns principal × basis points × days into won:
// 10,000 basis points × 365 days.
const interestDenominator = 10_000 * 365

// Savings jobs run at these local hours: interest for the day before at
// 04:00, the day's installments at 08:00.
const (
	InterestHour    = 4
	InstallmentHour = 8
)

// InstallmentMissed is the receipt status of an installment that could not
// be taken (main short and the daily charge limit spent).
const InstallmentMissed = "missed"

// Installment statuses as recorded.
const (
	InstallmentPaid = "paid"
)

// InstallmentRecord is one day's installment of a fixed savings account,
// paid or missed; the writer stores it under a unique (account, day).
type InstallmentRecord struct {
	Account, Amount, Charged int64
	Day, Status              string
}

// Savings state kept on a savings account row beside its balance:
//   - Principal: deposits and installments minus withdrawals; interest is
//     never principal, so it never earns interest.
//   - InterestDay: the last business day interest has accrued for. Accrual
//     is lazy and exact: before any change of principal on day X the days
//     up to X-1 accrue on the principal they had, and the 04:00 job accrues
//     everything else up to yesterday, so each day earns on its own
//     closing principal and no day accrues twice.
//   - InterestCarry: the part of a won not yet paid, as the remainder of
//     principal × basis points × days over 3,650,000 — carried exactly.
//   - InstallmentDay: the last business day whose installment was taken
//     or recorded missed.

// dayNumber turns a YYYY-MM-DD business day into a day count.
func dayNumber(day string) int64 {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		panic("ledger: bad business day " + day) // days come from BusinessDay
	}
	return t.Unix() / 86400
}

func dayString(n int64) string { return time.Unix(n*86400, 0).UTC().Format(time.DateOnly) }

// AddDays returns the business day n days after day.
func AddDays(day string, n int64) string { return dayString(dayNumber(day) + n) }

// Interest returns the whole won earned by principal at rateBP over days
// with carry already owed, and the new carry: exact in 128 bits.
func Interest(principal, rateBP, days, carry int64) (pay, newCarry int64) {
	hi, lo := bits.Mul64(uint64(principal), uint64(rateBP*days))
	lo, c := bits.Add64(lo, uint64(carry), 0)
	hi += c
	q, r := bits.Div64(hi, lo, interestDenominator) // hi < denominator for any sane principal
	return int64(q), int64(r)
}

// accrue pays a savings account's interest for every day after its
// InterestDay up to and including through.
func (b *Book) accrue(sav *Account, through string) []Txn {
	if sav.InterestDay == "" || through <= sav.InterestDay {
		return nil
	}
	days := dayNumber(through) - dayNumber(sav.InterestDay)
	pay, carry := Interest(sav.Principal, Products[sav.Product].AnnualRateBP, days, sav.InterestCarry)
	sav.InterestDay, sav.InterestCarry = through, carry
	b.Dirty[sav.ID] = true
	if pay <= 0 || !fits(sav.Balance, pay) {
		return nil
	}
	sav.InterestPaid += pay
	return []Txn{b.move(TxnInterest, InterestExpense, sav.ID, pay)}
}

// yesterday is the last day that may accrue before a change today.
func (b *Book) yesterday() string { return AddDays(b.Day, -1) }

// Accrue pays a savings account's interest for the next day it has not
// accrued, if that day is at or before Through (the 04:00 job passes
// yesterday and repeats until nothing is due, so a catch-up posts one
// entry per day). Accruing a day twice is impossible: days at or before
// the account's InterestDay are skipped.
type Accrue struct {
	Savings int64
	Through string
}

func (c Accrue) Touches() []int64 { return []int64{c.Savings} }

func (c Accrue) apply(b *Book) (Receipt, []Txn, error) {
	sav, ok := b.Accounts[c.Savings]
	switch {
	case !ok:
		return Receipt{}, nil, errs.E(errs.NotFound, "account %d not found", c.Savings)
	case sav.Kind != Savings || sav.Status != Open:
		return Receipt{}, nil, errs.E(errs.Conflict, "account %d is not an open savings account", c.Savings)
	case c.Through >= b.Day:
		return Receipt{}, nil, errs.E(errs.Invalid, "interest for %s cannot be paid on %s", c.Through, b.Day)
	case sav.InterestDay >= c.Through:
		return Receipt{}, nil, errs.E(errs.Conflict, "account %d has accrued through %s", c.Savings, sav.InterestDay)
	}
	txns := b.accrue(sav, AddDays(sav.InterestDay, 1))
	r := Receipt{SavingsBalance: sav.Balance}
	if len(txns) > 0 {
		r.Amount = txns[0].Entries[1].Amount
	}
	return r, txns, nil
}

// Installment takes one fixed savings account's daily amount from its
// owner's main account for the next day it is due, up to Through. A short
// main is auto-charged in 10,000 won units under the daily limit, as for
// transfers; if even that is impossible the installment is recorded
// missed, the owner is told, and no money moves.
type Installment struct {
	Savings, Main int64
	Through       string
}

func (c Installment) Touches() []int64 { return []int64{c.Main, c.Savings} }

func (c Installment) apply(b *Book) (Receipt, []Txn, error) {
	sav, ok := b.Accounts[c.Savings]
	if !ok || sav.Kind != Savings || !Products[sav.Product].DailyInstallment {
		return Receipt{}, nil, errs.E(errs.NotFound, "no fixed savings account %d", c.Savings)
	}
	main, err := b.mainOf(c.Main, sav.UserID)
	if err != nil {
		return Receipt{}, nil, err
	}
	day := AddDays(sav.InstallmentDay, 1)
	switch {
	case sav.Status != Open:
		return Receipt{}, nil, errs.E(errs.Conflict, "account %d is closed", c.Savings)
	case day > c.Through || day > b.Day:
		return Receipt{}, nil, errs.E(errs.Conflict, "account %d has no installment due by %s", c.Savings, c.Through)
	}
	sav.InstallmentDay = day
	b.Dirty[sav.ID] = true
	amount := sav.DailyAmount
	charge := AutoCharge(main.Balance, amount)
	if charge > 0 && b.chargeAllowance(main, charge) != nil {
		sav.MissedInstallments++
		b.Installments = append(b.Installments, InstallmentRecord{Account: sav.ID, Amount: amount, Day: day, Status: InstallmentMissed})
		b.Notices = append(b.Notices, Notice{User: sav.UserID, Kind: NoticeInstallmentMissed, Amount: amount, Account: sav.ID, Day: day,
			Reason: "main account short and the daily charge limit does not allow the top-up"})
		return Receipt{Amount: amount, Status: InstallmentMissed, MainBalance: main.Balance, SavingsBalance: sav.Balance}, nil, nil
	}
	// The days before the installment's day earn on the principal before it.
	txns := b.accrue(sav, AddDays(day, -1))
	if charge > 0 {
		txns = append(txns, b.charge(main, charge))
	}
	txns = append(txns, b.move(TxnInstallment, main.ID, sav.ID, amount))
	sav.Principal += amount
	b.Installments = append(b.Installments, InstallmentRecord{Account: sav.ID, Amount: amount, Charged: charge, Day: day, Status: InstallmentPaid})
	return Receipt{Amount: amount, Charged: charge, Status: InstallmentPaid, MainBalance: main.Balance, SavingsBalance: sav.Balance}, txns, nil
}
