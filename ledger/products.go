package ledger

import (
	"slices"

	"minipay/errs"
)

// Product is a savings product's terms. Products are data: the rules ask a
// product what it allows instead of branching on its name, so a new product
// is one more entry.
type Product struct {
	Name string
	// AnnualRateBP is the simple annual interest rate in basis points
	// (1/100 of a percent), integer so interest stays exact.
	AnnualRateBP int64
	// ManualDeposits allows deposits from main at any time.
	ManualDeposits bool
	// Withdrawals allows taking money back to main without closing.
	Withdrawals bool
	// DailyInstallment requires a daily amount moved from main each day.
	DailyInstallment bool
}

// Products are the savings products on offer.
var Products = map[string]Product{
	"free":  {Name: "free", AnnualRateBP: 300, ManualDeposits: true, Withdrawals: true},
	"fixed": {Name: "fixed", AnnualRateBP: 500, DailyInstallment: true},
}

// CheckNewSavings validates a request to open a savings account.
func CheckNewSavings(product string, dailyAmount int64) error {
	p, ok := Products[product]
	switch {
	case !ok:
		return errs.E(errs.Invalid, "unknown savings product %q (offered: free, fixed)", product)
	case p.DailyInstallment && dailyAmount <= 0:
		return errs.E(errs.Invalid, "%s savings need a positive daily_amount", product)
	case p.DailyInstallment && dailyAmount > DailyChargeLimit:
		return errs.E(errs.Invalid, "daily_amount may be at most %d", DailyChargeLimit)
	case !p.DailyInstallment && dailyAmount != 0:
		return errs.E(errs.Invalid, "%s savings take no daily_amount", product)
	}
	return nil
}

// InstallmentProducts lists the products that take a daily installment.
func InstallmentProducts() []string {
	var names []string
	for name, p := range Products {
		if p.DailyInstallment {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}
