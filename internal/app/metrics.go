package app

import (
	"github.com/prometheus/client_golang/prometheus"
)

// registerIntakeMetrics exposes intake's counters at /metrics: requests, alerts by outcome,
// commit batches, refusals and failures, the requests waiting to be committed, and the syslog
// listener's counts when it runs.
func (a *App) registerIntakeMetrics() {
	counter := func(name, help string, read func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, read)
	}
	st := a.intake.Stats()
	a.registry.MustRegister(
		counter("quell_intake_requests_total", "Intake requests received (HTTP, syslog and SMTP deliveries).",
			func() float64 { return float64(st.Requests.Load()) }),
		counter("quell_intake_alerts_new_total", "Alerts stored as new.", func() float64 { return float64(st.New.Load()) }),
		counter("quell_intake_alerts_repeated_total", "Alerts folded into an open alert or recognised as a retry.",
			func() float64 { return float64(st.Duplicates.Load()) }),
		counter("quell_intake_batches_total", "Intake transactions committed or failed.", func() float64 { return float64(st.Batches.Load()) }),
		counter("quell_intake_overloaded_total", "Intake requests refused with 429 because the commit queue was full.",
			func() float64 { return float64(st.Overloaded.Load()) }),
		counter("quell_intake_failed_total", "Intake requests whose transaction failed (answered 503).",
			func() float64 { return float64(st.Failed.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "quell_intake_queued_requests",
			Help: "Intake requests waiting for the committer; intake answers 429 when the queue is full."},
			func() float64 { return float64(a.intake.Queued()) }),
	)
	if a.syslog != nil {
		l := a.syslog
		for name, pick := range map[string]func() uint64{
			"received": func() uint64 { return l.Stats().Received }, "matched": func() uint64 { return l.Stats().Matched },
			"dropped": func() uint64 { return l.Stats().Dropped }, "parse_errors": func() uint64 { return l.Stats().ParseErrors },
			"queue_full": func() uint64 { return l.Stats().QueueFull }, "sink_errors": func() uint64 { return l.Stats().SinkErrors },
			"delivered": func() uint64 { return l.Stats().Delivered },
		} {
			a.registry.MustRegister(counter("quell_syslog_"+name+"_total", "Syslog listener: "+name+" (see docs/intake-syslog-email.md).",
				func() float64 { return float64(pick()) }))
		}
	}
}
