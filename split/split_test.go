package split

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/quick"

	"minipay/errs"
)

func sum(xs []int64) int64 {
	var s int64
	for _, x := range xs {
		s += x
	}
	return s
}

// checkEqual asserts the invariants of an Equal result.
func checkEqual(t *testing.T, total int64, n int, got []int64) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("Equal(%d, %d): len %d, want %d", total, n, len(got), n)
	}
	if s := sum(got); s != total {
		t.Fatalf("Equal(%d, %d): sum %d, want %d", total, n, s, total)
	}
	base, extra := total/int64(n), total%int64(n)
	for i, s := range got {
		want := base
		if int64(i) < extra {
			want++
		}
		if s != want {
			t.Fatalf("Equal(%d, %d)[%d] = %d, want %d (extra won goes to the first %d shares)", total, n, i, s, want, extra)
		}
	}
	if mx, mn := slices.Max(got), slices.Min(got); mx-mn > 1 {
		t.Fatalf("Equal(%d, %d): max-min = %d > 1", total, n, mx-mn)
	}
}

// checkRandom asserts the invariants of a Random result.
func checkRandom(t *testing.T, total int64, n int, got []int64) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("Random(%d, %d): len %d, want %d", total, n, len(got), n)
	}
	if s := sum(got); s != total {
		t.Fatalf("Random(%d, %d): sum %d, want %d", total, n, s, total)
	}
	for i, s := range got {
		if s < 1 {
			t.Fatalf("Random(%d, %d)[%d] = %d < 1 won", total, n, i, s)
		}
	}
}

func TestEqualUnit(t *testing.T) {
	cases := []struct {
		total int64
		n     int
		want  []int64
	}{
		{20_000, 3, []int64{6_667, 6_667, 6_666}},
		{10, 10, []int64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
		{1, 1, []int64{1}},
		{7, 3, []int64{3, 2, 2}},
		{8, 3, []int64{3, 3, 2}},
		{9, 3, []int64{3, 3, 3}},
		{math.MaxInt64, 1, []int64{math.MaxInt64}},
	}
	for _, c := range cases {
		got, err := Equal(c.total, c.n)
		if err != nil {
			t.Fatalf("Equal(%d, %d): %v", c.total, c.n, err)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("Equal(%d, %d) = %v, want %v", c.total, c.n, got, c.want)
		}
	}

	got, err := Equal(1_000_000_000_000, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range got {
		if s != 10_000_000_000 {
			t.Fatalf("Equal(10^12, 100)[%d] = %d, want 10^10", i, s)
		}
	}
	checkEqual(t, 1_000_000_000_000, 100, got)
	got, _ = Equal(1_000_000_000_099, 100) // 99 extra won → first 99 shares
	checkEqual(t, 1_000_000_000_099, 100, got)
	if got[98] != 10_000_000_001 || got[99] != 10_000_000_000 {
		t.Fatalf("Equal(10^12+99, 100): got[98]=%d got[99]=%d", got[98], got[99])
	}
}

func TestRandomUnit(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		total int64
		n     int
	}{
		{20_000, 3}, {10, 10}, {1, 1}, {7, 3}, {1_000_000_000_000, 100},
		{101, 100}, {100, 100}, {2, 1}, {math.MaxInt64, 100}, {math.MaxInt64, 2},
	}
	for _, c := range cases {
		for range 50 {
			got, err := Random(c.total, c.n, rng)
			if err != nil {
				t.Fatalf("Random(%d, %d): %v", c.total, c.n, err)
			}
			checkRandom(t, c.total, c.n, got)
		}
	}

	// Forced splits: no freedom left.
	got, _ := Random(10, 10, rng)
	if !slices.Equal(got, []int64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}) {
		t.Fatalf("Random(10, 10) = %v, want all ones", got)
	}
	got, _ = Random(1, 1, rng)
	if !slices.Equal(got, []int64{1}) {
		t.Fatalf("Random(1, 1) = %v", got)
	}
	got, _ = Random(1_000_000_000_000, 1, rng)
	if !slices.Equal(got, []int64{1_000_000_000_000}) {
		t.Fatalf("Random(10^12, 1) = %v", got)
	}
}

func TestRandomDeterministicWithSeed(t *testing.T) {
	a, _ := Random(1_000_000, 7, rand.New(rand.NewPCG(42, 7)))
	b, _ := Random(1_000_000, 7, rand.New(rand.NewPCG(42, 7)))
	if !slices.Equal(a, b) {
		t.Fatalf("same seed gave %v and %v", a, b)
	}
	c, _ := Random(1_000_000, 7, rand.New(rand.NewPCG(43, 7)))
	if slices.Equal(a, c) {
		t.Fatalf("different seeds gave the same split %v (astronomically unlikely)", a)
	}
}

func TestRandomNilRNG(t *testing.T) {
	got, err := Random(20_000, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkRandom(t, 20_000, 3, got)
}

func TestValidation(t *testing.T) {
	cases := []struct {
		name  string
		total int64
		n     int
	}{
		{"n zero", 100, 0},
		{"n negative", 100, -1},
		{"n too many", 1_000, MaxParticipants + 1},
		{"n huge", 1_000, math.MaxInt},
		{"total zero", 0, 1},
		{"total negative", -5, 1},
		{"total min int", math.MinInt64, 3},
		{"total less than n", 2, 3},
		{"total one less than n", 99, 100},
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for name, f := range map[string]func() ([]int64, error){
				"Equal":  func() ([]int64, error) { return Equal(c.total, c.n) },
				"Random": func() ([]int64, error) { return Random(c.total, c.n, rng) },
			} {
				got, err := f()
				if err == nil {
					t.Fatalf("%s(%d, %d) = %v, want error", name, c.total, c.n, got)
				}
				if code := errs.CodeOf(err); code != errs.Invalid {
					t.Fatalf("%s(%d, %d): code %q, want %q (%v)", name, c.total, c.n, code, errs.Invalid, err)
				}
				if got != nil {
					t.Fatalf("%s(%d, %d): got shares %v alongside error", name, c.total, c.n, got)
				}
			}
		})
	}
	// Boundaries that must be accepted.
	for _, c := range []struct {
		total int64
		n     int
	}{{1, 1}, {MaxParticipants, MaxParticipants}} {
		if _, err := Equal(c.total, c.n); err != nil {
			t.Errorf("Equal(%d, %d): %v", c.total, c.n, err)
		}
		if _, err := Random(c.total, c.n, rng); err != nil {
			t.Errorf("Random(%d, %d): %v", c.total, c.n, err)
		}
	}
}

// randomCase draws total in [1, 10^12] and n in [1, 100] with total ≥ n,
// mixing log-uniform totals (so small and "dense" totals near n show up)
// with uniform ones (mostly huge).
func randomCase(r *rand.Rand) (int64, int) {
	n := 1 + r.IntN(MaxParticipants)
	var total int64
	switch r.IntN(3) {
	case 0:
		total = 1 + r.Int64N(1_000_000_000_000)
	case 1:
		total = int64(math.Exp(r.Float64() * math.Log(1e12)))
	default:
		total = int64(n) + r.Int64N(3*int64(n)) // dense: few won per share
	}
	total = min(max(total, int64(n)), 1_000_000_000_000)
	return total, n
}

func TestPropertiesSeeded(t *testing.T) {
	r := rand.New(rand.NewPCG(2024, 3))
	for range 20_000 {
		total, n := randomCase(r)
		eq, err := Equal(total, n)
		if err != nil {
			t.Fatalf("Equal(%d, %d): %v", total, n, err)
		}
		checkEqual(t, total, n, eq)
		rd, err := Random(total, n, r)
		if err != nil {
			t.Fatalf("Random(%d, %d): %v", total, n, err)
		}
		checkRandom(t, total, n, rd)
	}
}

func TestPropertiesQuick(t *testing.T) {
	f := func(a uint64, b uint8, seed uint64) bool {
		n := 1 + int(b)%MaxParticipants
		total := int64(n) + int64(a%(1_000_000_000_000-uint64(n)+1)) // [n, 10^12]
		eq, err := Equal(total, n)
		if err != nil || len(eq) != n || sum(eq) != total || slices.Max(eq)-slices.Min(eq) > 1 {
			return false
		}
		rd, err := Random(total, n, rand.New(rand.NewPCG(seed, 0)))
		if err != nil || len(rd) != n || sum(rd) != total || slices.Min(rd) < 1 {
			return false
		}
		return true
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 5_000, Rand: nil}); err != nil {
		t.Fatal(err)
	}
}

// ---- distribution checks ------------------------------------------------

type splitter func(total int64, n int, rng *rand.Rand) ([]int64, error)

// naiveRandom is the tempting but biased algorithm: each participant in
// turn draws uniformly from what remains (leaving 1 won for each later
// participant), and the last takes the rest. The first participant gets
// about total/2 on average. It lives here only to prove the distribution
// checks below can fail.
func naiveRandom(total int64, n int, rng *rand.Rand) ([]int64, error) {
	shares := make([]int64, n)
	rem := total
	for i := 0; i < n-1; i++ {
		maxShare := rem - int64(n-1-i)
		shares[i] = 1 + rng.Int64N(maxShare)
		rem -= shares[i]
	}
	shares[n-1] = rem
	return shares, nil
}

// compositions lists every composition of total into n positive parts.
func compositions(total int64, n int) [][]int64 {
	if n == 1 {
		return [][]int64{{total}}
	}
	var out [][]int64
	for first := int64(1); first <= total-int64(n-1); first++ {
		for _, rest := range compositions(total-first, n-1) {
			out = append(out, append([]int64{first}, rest...))
		}
	}
	return out
}

// compositionChiSquare draws `draws` splits and returns Pearson's
// chi-square statistic against the uniform distribution over all
// compositions, and the degrees of freedom.
func compositionChiSquare(t *testing.T, f splitter, total int64, n, draws int, seed uint64) (float64, int) {
	t.Helper()
	comps := compositions(total, n)
	counts := make(map[string]int, len(comps))
	for _, c := range comps {
		counts[fmt.Sprint(c)] = 0
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for range draws {
		s, err := f(total, n, rng)
		if err != nil {
			t.Fatal(err)
		}
		k := fmt.Sprint(s)
		if _, ok := counts[k]; !ok {
			t.Fatalf("split %v is not a composition of %d into %d positive parts", s, total, n)
		}
		counts[k]++
	}
	exp := float64(draws) / float64(len(comps))
	var chi2 float64
	for _, c := range counts {
		d := float64(c) - exp
		chi2 += d * d / exp
	}
	return chi2, len(comps) - 1
}

// chi2Q999 holds the 0.999 quantile of the chi-square distribution for the
// degrees of freedom used below.
var chi2Q999 = map[int]float64{
	9:  27.877, // total 6, n 4: C(5,3) = 10 compositions
	35: 66.619, // total 10, n 3: C(9,2) = 36 compositions
}

// maxPositionMeanDeviation returns max over positions i of
// |mean(share_i) - total/n| over `draws` splits.
func maxPositionMeanDeviation(t *testing.T, f splitter, total int64, n, draws int, seed uint64) float64 {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed+1))
	sums := make([]float64, n)
	for range draws {
		s, err := f(total, n, rng)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range s {
			sums[i] += float64(v)
		}
	}
	want := float64(total) / float64(n)
	var worst float64
	for i := range sums {
		worst = max(worst, math.Abs(sums[i]/float64(draws)-want))
	}
	return worst
}

// Position-mean check parameters. For a uniform composition of 1000 into 5
// parts a share has standard deviation ≈ 163 won, so the mean of 20,000
// draws has standard error ≈ 1.15 won; 6 won is > 5 standard errors (and 3%
// of the 200-won fair share).
const (
	meanTotal = 1000
	meanN     = 5
	meanDraws = 20_000
	meanTol   = 6.0
)

func TestRandomUniformOverCompositions(t *testing.T) {
	for _, c := range []struct {
		total int64
		n     int
	}{{10, 3}, {6, 4}} {
		dof := len(compositions(c.total, c.n)) - 1
		draws := 1000 * (dof + 1) // 1000 expected per composition
		chi2, gotDof := compositionChiSquare(t, Random, c.total, c.n, draws, 7)
		if gotDof != dof {
			t.Fatalf("dof %d, want %d", gotDof, dof)
		}
		if limit := chi2Q999[dof]; chi2 > limit {
			t.Errorf("Random(%d, %d): chi-square %.2f > %.2f (0.999 quantile, %d dof): not uniform over compositions", c.total, c.n, chi2, limit, dof)
		} else {
			t.Logf("Random(%d, %d): chi-square %.2f (limit %.2f, %d dof)", c.total, c.n, chi2, limit, dof)
		}
	}
}

func TestRandomNoPositionBias(t *testing.T) {
	dev := maxPositionMeanDeviation(t, Random, meanTotal, meanN, meanDraws, 11)
	t.Logf("max |mean share - %d| = %.3f won", meanTotal/meanN, dev)
	if dev > meanTol {
		t.Errorf("Random(%d, %d): a position's mean share is off by %.2f won (> %.1f): positional bias", meanTotal, meanN, dev, meanTol)
	}
}

// TestChecksCatchNaiveAlgorithm proves both distribution checks above can
// fail: the naive "draw from what remains" algorithm must be rejected by
// each, with the same parameters and seeds.
func TestChecksCatchNaiveAlgorithm(t *testing.T) {
	chi2, dof := compositionChiSquare(t, naiveRandom, 10, 3, 36_000, 7)
	if chi2 <= chi2Q999[dof] {
		t.Errorf("naive algorithm passed the chi-square check (%.2f <= %.2f): the check is too weak", chi2, chi2Q999[dof])
	}
	t.Logf("naive chi-square %.1f (limit %.2f)", chi2, chi2Q999[dof])

	dev := maxPositionMeanDeviation(t, naiveRandom, meanTotal, meanN, meanDraws, 11)
	if dev <= meanTol {
		t.Errorf("naive algorithm passed the position-mean check (dev %.2f <= %.1f): the check is too weak", dev, meanTol)
	}
	t.Logf("naive max position-mean deviation %.1f won", dev)
}

func TestSampleSubsetDistinctInRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, c := range []struct {
		m int64
		k int
	}{{0, 0}, {1, 1}, {5, 5}, {99, 99}, {10, 3}, {1_000_000_000_000, 99}} {
		for range 100 {
			got := sampleSubset(c.m, c.k, rng)
			if len(got) != c.k {
				t.Fatalf("sampleSubset(%d, %d): len %d", c.m, c.k, len(got))
			}
			seen := map[int64]bool{}
			for _, v := range got {
				if v < 1 || v > c.m || seen[v] {
					t.Fatalf("sampleSubset(%d, %d) = %v: out of range or duplicate", c.m, c.k, got)
				}
				seen[v] = true
			}
		}
	}
}

func BenchmarkRandomLarge(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for b.Loop() {
		if _, err := Random(1_000_000_000_000, MaxParticipants, rng); err != nil {
			b.Fatal(err)
		}
	}
}
