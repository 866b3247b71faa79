package split

import (
	"math/rand/v2"
	"slices"
	"testing"

	"minipay/errs"
)

func FuzzSplit(f *testing.F) {
	f.Add(int64(20_000), 3, uint64(1))
	f.Add(int64(10), 10, uint64(2))
	f.Add(int64(1), 1, uint64(3))
	f.Add(int64(7), 3, uint64(4))
	f.Add(int64(1_000_000_000_000), 100, uint64(5))
	f.Add(int64(9_223_372_036_854_775_807), 100, uint64(6))
	f.Add(int64(2), 3, uint64(7))
	f.Add(int64(0), 1, uint64(8))
	f.Add(int64(-1), 1, uint64(9))
	f.Add(int64(500), 0, uint64(10))
	f.Add(int64(500), 101, uint64(11))
	f.Fuzz(func(t *testing.T, total int64, n int, seed uint64) {
		valid := n >= 1 && n <= MaxParticipants && total >= int64(n)

		eq, err := Equal(total, n)
		if !valid {
			if err == nil || errs.CodeOf(err) != errs.Invalid || eq != nil {
				t.Fatalf("Equal(%d, %d) = %v, %v; want nil, invalid error", total, n, eq, err)
			}
		} else {
			if err != nil {
				t.Fatalf("Equal(%d, %d): %v", total, n, err)
			}
			checkEqual(t, total, n, eq)
			if !slices.IsSortedFunc(eq, func(a, b int64) int { return int(b - a) }) {
				t.Fatalf("Equal(%d, %d) = %v: not non-increasing", total, n, eq)
			}
		}

		rd, err := Random(total, n, rand.New(rand.NewPCG(seed, ^seed)))
		if !valid {
			if err == nil || errs.CodeOf(err) != errs.Invalid || rd != nil {
				t.Fatalf("Random(%d, %d) = %v, %v; want nil, invalid error", total, n, rd, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Random(%d, %d): %v", total, n, err)
		}
		checkRandom(t, total, n, rd)
	})
}
