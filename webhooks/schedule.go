package webhooks

import (
	"math/rand/v2"
	"time"
)

// The retry schedule, as the Standard Webhooks specification suggests:
// after the first attempt fails, wait 5 seconds, then 5 minutes, 30
// minutes, 2 hours, 5 hours, then 10 hours between attempts, each wait
// stretched or shrunk by up to a tenth at random (jitter, so the retries
// of many deliveries that failed together do not arrive together), until
// the next attempt would come more than RetryFor after the first: then the
// delivery is given up (about 10 attempts).
var retryDelays = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour}

// RetryFor is how long a delivery is retried after its first attempt.
const RetryFor = 72 * time.Hour

// jitter is the largest fraction a wait is stretched or shrunk by.
const jitter = 0.1

// nextAttempt is when to try again a delivery whose first attempt was at
// first and whose attempts-th attempt just failed at now; zero: give up.
func nextAttempt(first, now time.Time, attempts int) time.Time {
	d := retryDelays[min(attempts, len(retryDelays))-1]
	d = time.Duration(float64(d) * (1 - jitter + 2*jitter*rand.Float64()))
	if next := now.Add(d); !next.After(first.Add(RetryFor)) {
		return next
	}
	return time.Time{}
}
