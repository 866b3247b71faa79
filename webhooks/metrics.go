package webhooks

import (
	"github.com/prometheus/client_golang/prometheus"

	"minipay/store"
)

// The workers' metrics. Each server counts its own attempts; the queue's
// gauges are the database's, so every server shows the same.
var (
	metricDeliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "minipay_webhooks_deliveries_total",
		Help: "Delivery attempts by result: succeeded, retrying (failed, tried again later), gave_up (failed for good).",
	}, []string{"result"})
	metricDisabled = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "minipay_webhooks_endpoints_disabled_total",
		Help: "Webhook endpoints disabled because every attempt failed for three days.",
	})
	metricDue = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "minipay_webhooks_queue_due",
		Help: "Deliveries due now and not yet sent.",
	})
	metricQueueLag = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "minipay_webhooks_queue_lag_seconds",
		Help: "How long the oldest due delivery has waited to be sent.",
	})
	metricFanOutLag = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "minipay_webhooks_fanout_lag_events",
		Help: "Event ids between the read fence and the fan-out's position (on the server holding the fan-out).",
	})
	metricFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "minipay_webhooks_failures_total",
		Help: "Passes of the webhook worker that failed (the database) and were retried after a backoff.",
	})
)

// Collectors are the workers' metrics, for the server to register.
var Collectors = []prometheus.Collector{metricDeliveries, metricDisabled, metricDue, metricQueueLag, metricFanOutLag, metricFailures}

// count counts attempt a, which led to out.
func count(a store.WebhookAttempt, out store.AttemptOutcome) {
	switch {
	case a.Succeeded:
		metricDeliveries.WithLabelValues("succeeded").Inc()
	case !out.Next.IsZero():
		metricDeliveries.WithLabelValues("retrying").Inc()
	default:
		metricDeliveries.WithLabelValues("gave_up").Inc()
	}
	if out.Disable != nil {
		metricDisabled.Inc()
	}
}
