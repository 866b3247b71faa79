package jobs

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	for _, c := range []struct {
		interval time.Duration
		failures int
		want     time.Duration
	}{
		{time.Second, 0, time.Second},
		{time.Second, 1, 2 * time.Second},
		{time.Second, 5, 32 * time.Second},
		{time.Second, 6, time.Minute},
		{time.Second, 1000, time.Minute},
		{2 * time.Minute, 3, 2 * time.Minute}, // never shorter than the interval
	} {
		if got := backoff(c.interval, c.failures); got != c.want {
			t.Errorf("backoff(%v, %d) = %v, want %v", c.interval, c.failures, got, c.want)
		}
	}
}
