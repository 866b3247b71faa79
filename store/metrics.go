package store

import (
	"github.com/prometheus/client_golang/prometheus"

	"minipay/errs"
)

// The writer's metrics, one observation per batch or command (run in writer.go).
var (
	metricBatchSize = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "minipay_writer_batch_commands",
		Help:    "Commands per writer batch (one database transaction).",
		Buckets: prometheus.ExponentialBuckets(1, 2, 11),
	})
	metricBatchSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "minipay_writer_batch_seconds",
		Help:    "Time to apply and commit one writer batch.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	})
	metricCommands = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "minipay_writer_commands_total",
		Help: "Commands applied by the writer, by outcome code (ok, replayed or an error code).",
	}, []string{"outcome"})
	metricRetries = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "minipay_writer_batch_retries_total",
		Help: "Batches retried after a retryable database error.",
	})
)

// Retention's metrics (expiry.go): one observation per deletion batch.
var (
	metricExpiredRows = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "minipay_retention_deleted_rows_total",
		Help: "Rows deleted by retention, by table.",
	}, []string{"table"})
	metricExpiryBatchSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "minipay_retention_batch_seconds",
		Help:    "Time one retention deletion batch (one short transaction) took, by table.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
	}, []string{"table"})
)

// Collectors are the store's Prometheus metrics, for the server to register.
var Collectors = []prometheus.Collector{metricBatchSize, metricBatchSeconds, metricCommands, metricRetries,
	metricExpiredRows, metricExpiryBatchSeconds}

func outcomeLabel(o outcome) string {
	switch {
	case o.err != nil:
		return string(errs.CodeOf(o.err))
	case o.result.Replayed:
		return "replayed"
	}
	return "ok"
}
