package jobs

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The jobs' metrics, labelled by job: interest, installments, history,
// reminders, expiry. A daily job counts a run per period it works on; a
// sweep counts one per pass.
var (
	metricRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "minipay_job_runs_total",
		Help: "Job runs, by job and result (ok or failed).",
	}, []string{"job", "result"})
	metricSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "minipay_job_duration_seconds",
		Help:    "Time one job run took.",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
	}, []string{"job"})
	metricItems = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "minipay_job_items_total",
		Help: "Items (accounts, transfers, months) job runs handled.",
	}, []string{"job"})
	metricLastSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "minipay_job_last_success_timestamp_seconds",
		Help: "Unix time (wall clock) a run of the job last succeeded.",
	}, []string{"job"})
)

// Collectors are the jobs' Prometheus metrics, for the server to register.
var Collectors = []prometheus.Collector{metricRuns, metricSeconds, metricItems, metricLastSuccess}

// record records one run of job that started at start, handled n items
// and ended with err.
func record(job string, start time.Time, n int, err error) {
	metricSeconds.WithLabelValues(job).Observe(time.Since(start).Seconds())
	metricItems.WithLabelValues(job).Add(float64(n))
	if err != nil {
		metricRuns.WithLabelValues(job, "failed").Inc()
		return
	}
	metricRuns.WithLabelValues(job, "ok").Inc()
	metricLastSuccess.WithLabelValues(job).SetToCurrentTime()
}
