// Package split divides a settlement total (int64 won) into per-participant
// shares, as described in SPEC.md §3. It is pure: no I/O, no clocks, and the
// only randomness is the *rand.Rand the caller passes in.
//
// Both modes return exactly n shares, every share is at least 1 won, and
// the shares always sum exactly to the total — no won is created or lost.
package split

import (
	"math/rand/v2"
	"slices"

	"minipay/errs"
)

// MaxParticipants is the largest number of shares a settlement may have.
const MaxParticipants = 100

// validate checks the inputs shared by Equal and Random.
func validate(total int64, n int) error {
	switch {
	case n < 1:
		return errs.E(errs.Invalid, "split: need at least 1 participant, got %d", n)
	case n > MaxParticipants:
		return errs.E(errs.Invalid, "split: at most %d participants, got %d", MaxParticipants, n)
	case total <= 0:
		return errs.E(errs.Invalid, "split: total must be positive, got %d won", total)
	case total < int64(n):
		return errs.E(errs.Invalid, "split: total %d won is less than %d participants (each share must be at least 1 won)", total, n)
	}
	return nil
}

// Equal splits total into n shares that differ by at most 1 won and sum
// exactly to total: 20,000 among 3 is 6,667, 6,667, 6,666.
//
// Where the extra won goes: total/n does not divide evenly, so total%n
// shares must carry one extra won. Equal gives it to the FIRST total%n
// shares (index 0, 1, ...), so the result is non-increasing. Why:
//
//   - The requester decides the order by listing the participants; share i
//     belongs to the i-th listed participant. A requester who wants to
//     absorb the rounding (e.g. lists themselves first) can do so, and one
//     who does not care gets a stable rule.
//   - It is deterministic: the requester (and each participant) can predict
//     every share from total, n and the order alone, and a retried request
//     produces the same split. Nothing random needs to be stored or
//     explained.
//   - Any fixed rule is only "fair in expectation" if the order itself is
//     random, and we do not pretend otherwise. But the stakes are tiny: the
//     extra won in total is total%n < n ≤ MaxParticipants won, and no
//     participant ever pays more than 1 won above anyone else.
func Equal(total int64, n int) ([]int64, error) {
	if err := validate(total, n); err != nil {
		return nil, err
	}
	nn := int64(n)
	base, extra := total/nn, total%nn
	shares := make([]int64, n)
	for i := range shares {
		shares[i] = base
		if int64(i) < extra {
			shares[i]++
		}
	}
	return shares, nil
}

// Random splits total into n random shares, each at least 1 won, that sum
// exactly to total. Every composition of total into n positive parts is
// equally likely, so the distribution is exchangeable across positions:
// being listed first (or last) confers no advantage in expectation.
//
// Method: picture total won laid out in a row; there are total-1 gaps
// between adjacent won. Choosing n-1 distinct gaps uniformly at random (a
// uniformly random (n-1)-subset of {1, …, total-1}) and cutting there
// yields n positive parts, and the map from subsets to compositions is a
// bijection — hence uniform over compositions. The subset is drawn with
// Floyd's algorithm, which uses exactly n-1 random draws and a set of at
// most n-1 points, so it is O(n log n) regardless of total (10^12 is fine).
//
// The naive "each participant draws uniformly from what remains" is NOT
// used: it gives the first participant about half the total on average.
//
// rng supplies the randomness so callers and tests can seed it; a
// *rand.Rand is not safe for concurrent use, so do not share one across
// goroutines without locking. If rng is nil, the runtime-seeded global
// generator of math/rand/v2 is used.
func Random(total int64, n int, rng *rand.Rand) ([]int64, error) {
	if err := validate(total, n); err != nil {
		return nil, err
	}
	if rng == nil {
		rng = rand.New(globalSource{})
	}
	cuts := sampleSubset(total-1, n-1, rng)
	slices.Sort(cuts)
	shares := make([]int64, n)
	prev := int64(0)
	for i, c := range cuts {
		shares[i] = c - prev
		prev = c
	}
	shares[n-1] = total - prev
	return shares, nil
}

// sampleSubset returns k distinct values chosen uniformly from {1, …, m}
// (every k-subset equally likely), in no particular order, using Robert
// Floyd's algorithm. Requires 0 ≤ k ≤ m.
func sampleSubset(m int64, k int, rng *rand.Rand) []int64 {
	out := make([]int64, 0, k)
	seen := make(map[int64]struct{}, k)
	for j := m - int64(k) + 1; j <= m; j++ {
		t := rng.Int64N(j) + 1 // uniform in [1, j]
		if _, dup := seen[t]; dup {
			t = j // j itself has never been a candidate before this step
		}
		seen[t] = struct{}{}
		out = append(out, t)
	}
	return out
}

// globalSource adapts math/rand/v2's runtime-seeded, concurrency-safe
// top-level generator to rand.Source.
type globalSource struct{}

func (globalSource) Uint64() uint64 { return rand.Uint64() }
