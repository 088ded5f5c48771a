package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/quell-ir/quell/internal/app"
	"github.com/quell-ir/quell/internal/config"
	"github.com/quell-ir/quell/internal/loadgen"
)

func benchCmd(e env) *cobra.Command {
	var (
		urls        []string
		token, db   string
		nodes       int
		duration    time.Duration
		concurrency int
		rate        float64
		only        []string
		rawN        int
		cpuProfile  string
	)
	intakeCmd := &cobra.Command{
		Use:   "intake",
		Short: "Load-test alert intake and compare it with the raw insert rate",
		Long: `Send realistic alerts to a Quell server and print throughput and latency percentiles
for each scenario: batched Quell-schema alerts, batched Alertmanager and Suricata
payloads, single-alert requests, and a storm of one alert. Without --url it starts
its own server on a temporary SQLite data directory (deleted afterwards), so the
numbers include the load generator sharing the machine. With --db it starts --nodes
servers on a scratch schema of that PostgreSQL database instead, and the senders spread
over them. It then measures the raw insert rate of the same driver on the same machine
and prints the ratio.

Against a server of your own, give --url and an admin API token (--token or
QUELL_TOKEN): the command creates one intake source per format it needs.`,
		Example: `  quell bench intake
  quell bench intake --duration 30s --only batched,single
  quell bench intake --db postgres://quell@db.example/quell --nodes 2
  quell bench intake --url https://quell.example --token $QUELL_TOKEN --rate 2000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			if token == "" {
				token = e.getenv("QUELL_TOKEN")
			}
			scratch, err := os.MkdirTemp("", "quell-bench-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(scratch)
			rawDB := ""
			var idleChecks []func(context.Context) (bool, error)
			switch {
			case len(urls) == 0:
				if nodes < 1 || (nodes > 1 && db == "") {
					return errors.New("--nodes above 1 needs --db: several nodes share one PostgreSQL database")
				}
				serverDB := ""
				if db != "" {
					s, drop, err := app.ScratchSchema(ctx, db, "quell_bench")
					if err != nil {
						return err
					}
					defer drop()
					r, dropRaw, err := app.ScratchSchema(ctx, db, "quell_bench_raw")
					if err != nil {
						return err
					}
					defer dropRaw()
					serverDB, rawDB = s, r
				}
				for i := range nodes {
					stop, u, tok, a, err := embeddedServer(ctx, filepath.Join(scratch, fmt.Sprintf("node%d", i)), serverDB, i == 0)
					if err != nil {
						return err
					}
					idleChecks = append(idleChecks, a.CorrelationIdle)
					defer stop()
					urls = append(urls, u)
					if i == 0 {
						token = tok
					}
				}
				where := "SQLite in a temporary directory"
				if db != "" {
					where = fmt.Sprintf("%d node(s) on PostgreSQL (a scratch schema)", nodes)
				}
				fmt.Fprintf(out, "server: embedded, %s: %s\n", where, strings.Join(urls, " "))
			case token == "":
				return errors.New("give an admin API token with --token or QUELL_TOKEN")
			default:
				rawDB = db
			}
			url := urls[0]
			scenarios := benchScenarios(duration, concurrency, rate)
			if len(only) > 0 {
				var keep []loadgen.Scenario
				for _, sc := range scenarios {
					for _, o := range only {
						if sc.Name == o {
							keep = append(keep, sc)
						}
					}
				}
				if len(keep) == 0 {
					return fmt.Errorf("--only names no scenario; they are %s", scenarioNames(scenarios))
				}
				scenarios = keep
			}
			tokens := map[string]string{}
			for _, sc := range scenarios {
				if _, ok := tokens[sc.Format]; ok {
					continue
				}
				t, err := benchSource(ctx, url, token, sc.Format)
				if err != nil {
					return err
				}
				tokens[sc.Format] = t
			}
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			fmt.Fprintf(out, "\n%-12s %-13s %6s %5s %10s %10s %8s %8s %8s  %s\n", "scenario", "format", "batch", "conc",
				"req/s", "alerts/s", "p50 ms", "p95 ms", "p99 ms", "failed")
			best := 0.0
			for i, sc := range scenarios {
				if i > 0 && len(idleChecks) > 0 {
					// Start each scenario from a quiet server: the alerts of the last one
					// correlated, as they would be between bursts.
					began := time.Now()
					if err := waitIdle(ctx, idleChecks, 3*time.Minute); err != nil {
						return err
					}
					if d := time.Since(began); d > time.Second {
						fmt.Fprintf(out, "%-12s (correlating the previous scenario's alerts took %.1fs)\n", "", d.Seconds())
					}
				}
				res, err := loadgen.Run(ctx, loadgen.Target{URLs: urls, Tokens: tokens}, sc)
				if err != nil {
					return err
				}
				// The yardstick compares like with like: new alerts in batches, as the raw
				// insert writes them (a storm folds repeats and is no comparison).
				if sc.Name == "batched" || (best == 0 && sc.Fingerprints > 1) {
					best = res.AlertsPerSecond()
				}
				fmt.Fprintf(out, "%-12s %-13s %6d %5d %10.0f %10.0f %8.1f %8.1f %8.1f  %s\n", sc.Name, sc.Format, sc.Batch,
					sc.Concurrency, res.RequestsPerSecond(), res.AlertsPerSecond(), ms(res.Percentile(50)),
					ms(res.Percentile(95)), ms(res.Percentile(99)), failures(res.Failed))
			}
			if hwm := peakRSS(); hwm > 0 {
				fmt.Fprintf(out, "\npeak resident memory of this process: %d MiB\n", hwm>>20)
			}
			driver := "SQLite"
			if rawDB != "" {
				driver = "PostgreSQL"
			}
			raw, err := app.RawInsertRate(ctx, scratch, rawDB, rawN)
			if err != nil {
				return fmt.Errorf("raw insert rate: %w", err)
			}
			fmt.Fprintf(out, "raw insert rate of the %s driver (%d alerts, transactions of 1000): %.0f alerts/s\n", driver, rawN, raw)
			if best > 0 {
				fmt.Fprintf(out, "intake rate of new alerts in batches / raw insert rate: %.2f\n", best/raw)
			}
			return nil
		},
	}
	f := intakeCmd.Flags()
	f.StringSliceVar(&urls, "url", nil, "server(s) to load, comma-separated (default: start them here on scratch data)")
	f.StringVar(&db, "db", "", "PostgreSQL URL: embedded servers use a scratch schema there (with --url: where the raw insert rate is measured)")
	f.IntVar(&nodes, "nodes", 1, "embedded servers sharing the --db database")
	f.StringVar(&token, "token", "", "admin API token for --url (default $QUELL_TOKEN)")
	f.DurationVar(&duration, "duration", 10*time.Second, "how long each scenario sends")
	f.IntVar(&concurrency, "concurrency", 0, "senders per scenario (default: each scenario's own)")
	f.Float64Var(&rate, "rate", 0, "requests per second per scenario; 0 sends as fast as the server answers")
	f.StringSliceVar(&only, "only", nil, "run only these scenarios (comma-separated)")
	f.IntVar(&rawN, "raw", 50_000, "alerts written for the raw insert rate")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the scenarios (server and generator) to this file")
	bench := &cobra.Command{Use: "bench", Short: "Measure Quell's performance on this machine"}
	bench.AddCommand(intakeCmd)
	return bench
}

func benchScenarios(d time.Duration, conc int, rate float64) []loadgen.Scenario {
	pick := func(def int) int {
		if conc > 0 {
			return conc
		}
		return def
	}
	return []loadgen.Scenario{
		{Name: "batched", Format: "quell", Batch: 500, Fingerprints: 1_000_000, Concurrency: pick(4), Rate: rate, Duration: d},
		{Name: "alertmanager", Format: "alertmanager", Batch: 100, Fingerprints: 1_000_000, Concurrency: pick(4), Rate: rate, Duration: d},
		{Name: "suricata", Format: "suricata", Batch: 200, Fingerprints: 5_000, Concurrency: pick(4), Rate: rate, Duration: d},
		{Name: "single", Format: "quell", Batch: 1, Fingerprints: 1_000_000, Concurrency: pick(32), Rate: rate, Duration: d},
		{Name: "storm", Format: "quell", Batch: 1000, Fingerprints: 1, Concurrency: pick(4), Rate: rate, Duration: d},
	}
}

func scenarioNames(scs []loadgen.Scenario) string {
	var names []string
	for _, sc := range scs {
		names = append(names, sc.Name)
	}
	return strings.Join(names, ", ")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func failures(m map[int]int) string {
	if len(m) == 0 {
		return "0"
	}
	var parts []string
	for code, n := range m {
		name := strconv.Itoa(code)
		if code == 0 {
			name = "transport"
		}
		parts = append(parts, fmt.Sprintf("%s×%d", name, n))
	}
	return strings.Join(parts, " ")
}

// peakRSS reads the process's peak resident set size from /proc, where there is one.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

const benchAdminPassword = "bench-admin-password-1"

// embeddedServer starts a server on data (or on the PostgreSQL database db) and returns how to
// stop it, its URL and, when login is set, an admin token.
func embeddedServer(ctx context.Context, data, db string, login bool) (stop func(), url, token string, a *app.App, err error) {
	cfg := config.Default()
	cfg.Data, cfg.Listen, cfg.DB = data, "127.0.0.1:0", db
	cfg.Admin.Password = benchAdminPassword
	cfg.Log.Level = "error"
	a, err = app.New(cfg, app.NewLogger(cfg.Log, io.Discard), app.WithStdout(io.Discard))
	if err != nil {
		return nil, "", "", nil, err
	}
	if err := a.Start(ctx); err != nil {
		return nil, "", "", nil, err
	}
	stop = func() {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Stop(c)
	}
	if !login {
		return stop, a.URL(), "", a, nil
	}
	var tok struct {
		Secret string `json:"secret"`
	}
	if err := benchPost(ctx, a.URL()+"/api/v1/auth/token", "", map[string]string{"username": "admin",
		"password": benchAdminPassword, "name": "bench", "scope": "admin"}, &tok); err != nil {
		stop()
		return nil, "", "", nil, err
	}
	return stop, a.URL(), tok.Secret, a, nil
}

// benchSource creates an intake source for a format and returns its token.
func benchSource(ctx context.Context, url, token, format string) (string, error) {
	var src struct {
		Token string `json:"token"`
	}
	name := fmt.Sprintf("bench-%s-%d", format, time.Now().UnixNano())
	if err := benchPost(ctx, url+"/api/v1/intake-sources", token, map[string]string{"name": name, "format": format}, &src); err != nil {
		return "", fmt.Errorf("create an intake source for %s: %w", format, err)
	}
	return src.Token, nil
}

func benchPost(ctx context.Context, url, token string, body, out any) error {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(data)))
	}
	return json.Unmarshal(data, out)
}

// waitIdle waits until every check reports idle, or fails after limit.
func waitIdle(ctx context.Context, checks []func(context.Context) (bool, error), limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		idle := true
		for _, c := range checks {
			ok, err := c(ctx)
			if err != nil {
				return err
			}
			idle = idle && ok
		}
		if idle {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("alerts still awaited correlation after %s", limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
