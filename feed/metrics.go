package feed

import "github.com/prometheus/client_golang/prometheus"

// The feed's metrics; on servers that do not hold the feed's lease they
// stay where they were.
var (
	metricPublished = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "minipay_events_feed_published_total",
		Help: "Events the broker feed published and the broker acknowledged as new (not duplicates).",
	})
	metricLastID = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "minipay_events_feed_last_published_id",
		Help: "Id of the last event the broker feed published and saved as its position.",
	})
	metricLag = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "minipay_events_feed_lag_events",
		Help: "Event ids between the read fence and the broker feed's position: how far behind it is.",
	})
)

var metricFailures = prometheus.NewCounter(prometheus.CounterOpts{
	Name: "minipay_events_feed_failures_total",
	Help: "Passes of the broker feed that failed (NATS or the database) and were retried after a backoff.",
})

// Collectors are the feed's metrics, for the server to register.
var Collectors = []prometheus.Collector{metricPublished, metricLastID, metricLag, metricFailures}
