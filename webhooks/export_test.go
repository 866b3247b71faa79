package webhooks

import "time"

// MaxRetryDelay is the longest wait before the n-th retry (1 for the
// first), jitter included: how far a test clock must move to bring it due.
func MaxRetryDelay(n int) time.Duration {
	d := retryDelays[min(n, len(retryDelays))-1]
	return time.Duration(float64(d) * (1 + jitter))
}
