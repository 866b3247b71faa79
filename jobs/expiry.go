package jobs

import (
	"context"
	"time"

	"minipay/store"
)

// jobRetention deletes the rows past their retention window, once an
// hour: idempotency keys (24 hours) and notifications (90 days). An hour's
// worth of rows is a few batches, so no run holds the database for long.
const jobRetention = "retention"

// expireRows deletes expired idempotency keys and notifications, once per
// hour of the clock (claimed like the daily jobs, so one server does it).
func (s *Scheduler) expireRows(ctx context.Context, now time.Time) error {
	period := now.In(s.Location).Format("2006-01-02T15")
	claim, err := s.DB.ClaimJobRun(ctx, jobRetention, period, s.owner(), now, lease)
	if err != nil || claim != store.Claimed {
		return err
	}
	start := time.Now()
	keys, err := s.DB.ExpireIdempotencyKeys(ctx, now)
	var notices store.Expired
	if err == nil {
		notices, err = s.DB.ExpireNotifications(ctx, now)
	}
	if err == nil {
		err = s.DB.FinishJobRun(ctx, jobRetention, period, now)
	}
	record(jobRetention, start, int(keys.Rows+notices.Rows), err)
	if err != nil {
		return err
	}
	if keys.Rows+notices.Rows > 0 {
		s.log().Info("expired rows deleted", "idempotency_keys", keys.Rows, "notifications", notices.Rows,
			"batches", keys.Batches+notices.Batches, "longest_batch_ms", max(keys.Longest, notices.Longest).Milliseconds(),
			"took_ms", time.Since(start).Milliseconds())
	}
	return nil
}
