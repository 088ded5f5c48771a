// Package loadgen generates realistic alert traffic for `quell bench intake`: payloads of several
// native formats, sent over HTTP at a fixed rate or as fast as the server takes them, with the
// throughput and latency percentiles of what was sent. It also measures the raw insert rate of a
// storage driver, the yardstick the intake numbers are read against.
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Scenario is one kind of traffic.
type Scenario struct {
	Name string
	// Format is the intake format: "quell", "alertmanager" or "suricata".
	Format string
	// Batch is the number of alerts per request.
	Batch int
	// Fingerprints is the number of distinct alerts the traffic cycles through; 1 is a storm
	// of one alert.
	Fingerprints int
	// Concurrency is the number of senders.
	Concurrency int
	// Rate is requests per second over all senders; 0 sends as fast as answers come.
	Rate float64
	// Duration is how long to send.
	Duration time.Duration
}

// Result is what a scenario measured.
type Result struct {
	Scenario  Scenario
	Requests  int
	Alerts    int
	Failed    map[int]int // by HTTP status; 0 for transport errors
	Elapsed   time.Duration
	latencies []time.Duration
}

// AlertsPerSecond is the rate of acknowledged alerts.
func (r Result) AlertsPerSecond() float64 { return float64(r.Alerts) / r.Elapsed.Seconds() }

// RequestsPerSecond is the rate of acknowledged requests.
func (r Result) RequestsPerSecond() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// Percentile returns the p-th percentile (0–100) of the latencies of acknowledged requests.
func (r Result) Percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.latencies)-1) * p / 100)
	return r.latencies[i]
}

// Target is where traffic goes: the base URLs of one or more nodes (each sender keeps to one,
// round robin) and the intake token for each format.
type Target struct {
	URLs   []string
	Tokens map[string]string
	Client *http.Client
}

// Run sends a scenario's traffic to the target until its duration is over or ctx ends.
func Run(ctx context.Context, t Target, sc Scenario) (Result, error) {
	token, ok := t.Tokens[sc.Format]
	if !ok {
		return Result{}, fmt.Errorf("no intake token for format %q", sc.Format)
	}
	if len(t.URLs) == 0 {
		return Result{}, fmt.Errorf("no server to send to")
	}
	path := "/api/v1/intake/" + sc.Format
	if sc.Format == "quell" {
		path = "/api/v1/alerts"
	}
	if sc.Batch <= 0 {
		sc.Batch = 1
	}
	if sc.Fingerprints <= 0 {
		sc.Fingerprints = 10_000
	}
	if sc.Concurrency <= 0 {
		sc.Concurrency = 16
	}
	client := t.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			MaxIdleConnsPerHost: sc.Concurrency * 2, MaxConnsPerHost: sc.Concurrency * 2}}
	}
	ctx, cancel := context.WithTimeout(ctx, sc.Duration)
	defer cancel()
	var pace <-chan time.Time
	if sc.Rate > 0 {
		tick := time.NewTicker(time.Duration(float64(time.Second) / sc.Rate))
		defer tick.Stop()
		pace = tick.C
	}
	var (
		seq  atomic.Int64
		mu   sync.Mutex
		res  = Result{Scenario: sc, Failed: map[int]int{}}
		wg   sync.WaitGroup
		lats = make([][]time.Duration, sc.Concurrency)
	)
	start := time.Now()
	for w := range sc.Concurrency {
		wg.Go(func() {
			var buf bytes.Buffer
			for {
				if pace != nil {
					select {
					case <-pace:
					case <-ctx.Done():
						return
					}
				} else if ctx.Err() != nil {
					return
				}
				n := seq.Add(int64(sc.Batch)) - int64(sc.Batch)
				buf.Reset()
				writeBody(&buf, sc, n)
				req, err := http.NewRequestWithContext(ctx, "POST", t.URLs[w%len(t.URLs)]+path, bytes.NewReader(buf.Bytes()))
				if err != nil {
					return
				}
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				began := time.Now()
				resp, err := client.Do(req)
				if ctx.Err() != nil {
					return
				}
				if err != nil {
					mu.Lock()
					res.Failed[0]++
					mu.Unlock()
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				took := time.Since(began)
				mu.Lock()
				if resp.StatusCode == http.StatusAccepted {
					res.Requests++
					res.Alerts += sc.Batch
					lats[w] = append(lats[w], took)
				} else {
					res.Failed[resp.StatusCode]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	for _, l := range lats {
		res.latencies = append(res.latencies, l...)
	}
	slices.Sort(res.latencies)
	return res, nil
}

// writeBody writes one request's body: Batch alerts numbered from n.
func writeBody(w *bytes.Buffer, sc Scenario, n int64) {
	switch sc.Format {
	case "alertmanager":
		alerts := make([]map[string]any, sc.Batch)
		for i := range alerts {
			k := (n + int64(i)) % int64(sc.Fingerprints)
			alerts[i] = map[string]any{
				"status": "firing",
				"labels": map[string]string{"alertname": fmt.Sprintf("HighErrorRate%d", k), "instance": fmt.Sprintf("app-%d:9100", k%50),
					"job": "api", "severity": []string{"warning", "critical", "info"}[k%3]},
				"annotations":  map[string]string{"summary": fmt.Sprintf("Error rate above 5%% on app-%d", k%50)},
				"startsAt":     time.Unix(1_700_000_000+n+int64(i), 0).UTC().Format(time.RFC3339),
				"endsAt":       "0001-01-01T00:00:00Z",
				"generatorURL": "http://prometheus:9090/graph",
				"fingerprint":  fmt.Sprintf("%016x", k),
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"version": "4", "groupKey": "{}:{}", "status": "firing",
			"receiver": "quell", "groupLabels": map[string]string{}, "commonLabels": map[string]string{},
			"commonAnnotations": map[string]string{}, "externalURL": "http://alertmanager:9093", "alerts": alerts})
	case "suricata":
		for i := range sc.Batch {
			k := (n + int64(i)) % int64(sc.Fingerprints)
			ev := map[string]any{
				"timestamp": time.Unix(1_700_000_000+n+int64(i), 0).UTC().Format("2006-01-02T15:04:05.000000-0700"),
				"flow_id":   n + int64(i), "event_type": "alert", "in_iface": "eth0", "proto": "TCP",
				"src_ip": fmt.Sprintf("203.0.%d.%d", (n/256)%256, n%256), "src_port": 40000 + i,
				"dest_ip": fmt.Sprintf("10.47.%d.%d", k%256, (k/256)%256), "dest_port": 22,
				"alert": map[string]any{"action": "allowed", "gid": 1, "signature_id": 2_000_000 + k, "rev": 3,
					"signature": fmt.Sprintf("ET SCAN Potential SSH Scan %d", k), "category": "Attempted Information Leak", "severity": 2},
			}
			_ = json.NewEncoder(w).Encode(ev)
		}
	default:
		// Quell's own schema is written by hand rather than through encoding/json: the
		// generator shares the machine with the server, and every cycle it spends is one the
		// server does not get.
		if sc.Batch > 1 {
			w.WriteByte('[')
		}
		for i := range sc.Batch {
			if i > 0 {
				w.WriteByte(',')
			}
			k := (n + int64(i)) % int64(sc.Fingerprints)
			ks := strconv.FormatInt(k, 10)
			w.WriteString(`{"source":"edr","title":"Suspicious PowerShell on host-`)
			w.WriteString(ks)
			w.WriteString(`","fingerprint":"edr-`)
			w.WriteString(ks)
			w.WriteString(`","severity":"`)
			w.WriteString([]string{"low", "medium", "high"}[k%3])
			w.WriteString(`","description":"powershell -enc … from 198.51.100.`)
			w.WriteString(strconv.FormatInt(k%256, 10))
			w.WriteString(` on host-`)
			w.WriteString(ks)
			w.WriteString(`","labels":{"host":"host-`)
			w.WriteString(ks)
			w.WriteString(`","rule":"ps-encoded"}}`)
		}
		if sc.Batch > 1 {
			w.WriteByte(']')
		}
		w.WriteByte('\n')
	}
}
