package ledger_test

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"

	"minipay/errs"
	"minipay/ledger"
)

// balanceSearch is the attack of issue 12: it binary-searches a
// receiver's balance with transfers sized to overflow it exactly when it
// holds at least the guess (amount = MaxInt64 - guess + 1). probe sends
// one amount and says whether the answer read as "it holds that much".
// It returns what the search learned and every probe amount it sent.
func balanceSearch(probe func(amount int64) bool) (learned int64, amounts []int64) {
	lo, hi := int64(0), int64(math.MaxInt64)
	for lo < hi {
		guess := lo + (hi-lo)/2 + 1
		amount := math.MaxInt64 - guess + 1
		amounts = append(amounts, amount)
		if probe(amount) {
			lo = guess
		} else {
			hi = guess - 1
		}
	}
	return lo, amounts
}

// TestNoBalanceOracle runs the search against receivers holding very
// different balances, some close enough to MaxInt64 that the probes
// would overflow them: every probe must be refused with the same answer
// whatever the receiver holds, and change nothing.
func TestNoBalanceOracle(t *testing.T) {
	// Alice holds 50,000 and may charge 3,000,000 today: 3,050,000 is the
	// most she can send; the amounts just above it are the tightest probes.
	edges := []int64{3_050_001, 3_050_002, math.MaxInt64}
	held := []int64{0, 5_000, 1 << 40, math.MaxInt64 / 2, math.MaxInt64 - 3_050_000}
	for _, pending := range []bool{false, true} {
		t.Run(fmt.Sprintf("pending=%v", pending), func(t *testing.T) {
			var want []string
			for _, h := range held {
				answers := probeReceiver(t, h, pending, edges)
				if want == nil {
					want = answers
				}
				if len(answers) != len(want) {
					t.Fatalf("receiver holding %d got %d answers, one holding %d got %d", h, len(answers), held[0], len(want))
				}
				for i := range want {
					if answers[i] != want[i] {
						t.Errorf("answer %d: receiver holding %d got %q, one holding %d got %q", i, h, answers[i], held[0], want[i])
						break
					}
				}
			}
		})
	}
}

// probeReceiver runs the search and the edge probes against bob holding
// balance and returns every answer alice got.
func probeReceiver(t *testing.T, balance int64, pending bool, edges []int64) []string {
	t.Helper()
	b := fixture()
	b.Accounts[bobMain].Balance = balance
	var answers []string
	probe := func(amount int64) bool {
		before := snap(b)
		_, _, err := b.Apply(ledger.Transfer{User: alice, From: aliceMain, To: bobMain, Amount: amount, RequireAcceptance: &pending})
		if err == nil {
			t.Fatalf("receiver holding %d: transfer of %d went through", balance, amount)
		}
		if after := snap(b); !reflect.DeepEqual(before, after) {
			t.Fatalf("receiver holding %d: refused transfer of %d changed the book", balance, amount)
		}
		answers = append(answers, err.Error())
		return errs.CodeOf(err) == errs.Invalid
	}
	learned, _ := balanceSearch(probe)
	for _, amount := range edges {
		probe(amount)
	}
	return append(answers, fmt.Sprintf("learned %d", learned))
}

// TestReceiverOverflowReadsAsTheSendersOwn checks the one refusal left
// that depends on the receiver (an amount the sender can cover, to a
// receiver within it of MaxInt64): it must read exactly like the sender's
// own balance overflowing.
func TestReceiverOverflowReadsAsTheSendersOwn(t *testing.T) {
	refusal := func(setup func(b *ledger.Book), amount int64) error {
		b := fixture()
		setup(b)
		_, _, err := b.Apply(ledger.Transfer{User: alice, From: aliceMain, To: bobMain, Amount: amount})
		return err
	}
	receiver := refusal(func(b *ledger.Book) { b.Accounts[bobMain].Balance = math.MaxInt64 - 5 }, 10)
	sender := refusal(func(b *ledger.Book) { b.Accounts[aliceMain].Balance = math.MaxInt64 - 5_000 }, math.MaxInt64-10)
	var re, se *errs.Error
	if !errors.As(receiver, &re) || !errors.As(sender, &se) || *re != *se {
		t.Fatalf("the receiver's overflow answered %v, the sender's own %v; want the same", receiver, sender)
	}
}
