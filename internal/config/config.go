// Package config holds the settings of `quell serve`: their defaults, how they are read
// (a YAML file, then QUELL_* environment variables, then command-line flags, each overriding
// the one before) and how they are checked before the server starts.
package config

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Defaults.
const (
	DefaultData            = "./quell-data"
	DefaultListen          = "127.0.0.1:8080"
	DefaultLogLevel        = "info"
	DefaultLogFormat       = "text"
	DefaultMaxBodyBytes    = 1 << 20
	DefaultSessionTTL      = 12 * time.Hour
	DefaultShutdownTimeout = 30 * time.Second
	DefaultAdminUser       = "admin"
)

// Limits Validate enforces.
const (
	MaxBodyBytesLimit  = 1 << 30
	MinSessionTTL      = time.Minute
	MaxSessionTTL      = 90 * 24 * time.Hour
	MaxShutdownTimeout = 10 * time.Minute
	MaxBatchDelay      = time.Second
)

// Config is everything `quell serve` can be told.
type Config struct {
	// Data is the data directory; the database is Data/quell.db unless DB names another.
	Data string `yaml:"data"`
	// DB is a PostgreSQL URL (postgres://…) to keep the data there instead of in the data
	// directory's SQLite file. Several nodes may share one PostgreSQL database.
	DB string `yaml:"db"`
	// Listen is the address the HTTP server binds, host:port. Port 0 picks a free port.
	Listen string `yaml:"listen"`
	Log    Log    `yaml:"log"`
	TLS    TLS    `yaml:"tls"`
	// MaxBodyBytes bounds a request body.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// SecureCookies marks session cookies Secure with the __Host- prefix. Unset, it follows
	// TLS: on when Quell serves TLS itself. Set it to true behind a TLS-terminating proxy.
	SecureCookies *bool `yaml:"secure_cookies"`
	// SessionTTL is how long an idle browser session lives.
	SessionTTL time.Duration `yaml:"session_ttl"`
	Admin      Admin         `yaml:"admin"`
	// ShutdownTimeout bounds a graceful stop: in-flight requests and running jobs get this
	// long to finish.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// AllowUnsafeSync trades durability of the last commits before a power failure for write
	// speed (SQLite synchronous=NORMAL). Only for tests, benchmarks and throwaway data.
	AllowUnsafeSync bool        `yaml:"allow_unsafe_sync"`
	Intake          Intake      `yaml:"intake"`
	Obligations     Obligations `yaml:"obligations"`
	Playbooks       Playbooks   `yaml:"playbooks"`
}

// Playbooks configures playbooks as code (docs/playbooks.md).
type Playbooks struct {
	// Dir holds playbook files (*.yaml, *.yml) loaded at start into the default organisation,
	// each as a new version when its content changed; empty loads none.
	Dir string `yaml:"dir"`
}

// Obligations configures the incident clocks (docs/obligations.md).
type Obligations struct {
	// Rules is a YAML file of obligation rules layered over the shipped ones; empty uses the
	// shipped rules alone.
	Rules string `yaml:"rules"`
	// SLA is a YAML file of SLA targets per severity replacing the shipped policy; empty uses
	// the shipped policy.
	SLA string `yaml:"sla"`
}

// Intake tunes alert intake (docs/intake.md).
type Intake struct {
	// Rules is a YAML file of correlation rules; empty uses the shipped defaults.
	Rules string `yaml:"rules"`
	// BatchSize is the most alerts one intake transaction takes.
	BatchSize int `yaml:"batch_size"`
	// BatchDelay is how long the committer lingers for more requests when it has several
	// (default 0: it commits what is waiting at once).
	BatchDelay time.Duration `yaml:"batch_delay"`
	// QueueSize bounds the requests waiting to be committed; beyond it intake answers 429.
	QueueSize int `yaml:"queue_size"`
	// Org is the slug of the organisation that alerts from the syslog and SMTP listeners
	// belong to (default: the default organisation).
	Org    string `yaml:"org"`
	Syslog Syslog `yaml:"syslog"`
	SMTP   SMTP   `yaml:"smtp"`
}

// Syslog configures the syslog listener (docs/intake-syslog-email.md); no address turns it off.
type Syslog struct {
	UDP string `yaml:"udp"`
	TCP string `yaml:"tcp"`
	// TLS is the address of syslog over TLS; it needs Cert and Key.
	TLS  string `yaml:"tls"`
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
	// Rules is a YAML file of syslog rules; empty uses the shipped defaults.
	Rules string `yaml:"rules"`
	// Timezone is the zone of RFC 3164 timestamps, such as Europe/Berlin (default: the server's).
	Timezone string `yaml:"timezone"`
}

// SMTP configures the listener for forwarded phishing reports; no address turns it off.
type SMTP struct {
	Listen string `yaml:"listen"`
	// Domain is the name the server gives in its greeting.
	Domain string `yaml:"domain"`
	// Recipients are the addresses (or @domains) reports may be sent to; others are refused.
	Recipients []string `yaml:"recipients"`
	// MaxBytes bounds one message (default 25 MiB).
	MaxBytes int64 `yaml:"max_bytes"`
	// Cert and Key, when set, offer STARTTLS.
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// Listening reports whether any syslog address is set.
func (s Syslog) Listening() bool { return s.UDP != "" || s.TCP != "" || s.TLS != "" }

// Log configures the structured log written to stderr.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
	// Format is text or json.
	Format string `yaml:"format"`
}

// TLS names the certificate and key files; both empty serves plain HTTP.
type TLS struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// Admin is the first administrator, created on the first start only.
type Admin struct {
	// User is the user name (default admin).
	User string `yaml:"user"`
	// Password is the password; empty generates one, printed once.
	Password string `yaml:"password"`
}

// Default returns the configuration with every default filled in.
func Default() Config {
	return Config{
		Data:            DefaultData,
		Listen:          DefaultListen,
		Log:             Log{Level: DefaultLogLevel, Format: DefaultLogFormat},
		MaxBodyBytes:    DefaultMaxBodyBytes,
		SessionTTL:      DefaultSessionTTL,
		Admin:           Admin{User: DefaultAdminUser},
		ShutdownTimeout: DefaultShutdownTimeout,
	}
}

// TLSEnabled reports whether the server serves TLS itself.
func (c Config) TLSEnabled() bool { return c.TLS.Cert != "" && c.TLS.Key != "" }

// Secure reports whether session cookies are marked Secure: as set, else when TLS is on.
func (c Config) Secure() bool {
	if c.SecureCookies != nil {
		return *c.SecureCookies
	}
	return c.TLSEnabled()
}

// Redacted returns a copy safe to log: the admin password is masked.
func (c Config) Redacted() Config {
	if c.Admin.Password != "" {
		c.Admin.Password = "REDACTED"
	}
	return c
}

// Validate checks the configuration and reports every problem it finds, one per line, each
// naming the setting as it is written in the YAML file.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if strings.TrimSpace(c.Data) == "" {
		bad("data: the data directory must not be empty")
	}
	if c.DB != "" && !c.Postgres() {
		bad("db: %q is not a PostgreSQL URL (postgres://user@host:5432/database)", redactURL(c.DB))
	}
	if err := checkListen(c.Listen); err != nil {
		bad("listen: %v", err)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level: %q is not one of debug, info, warn, error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format: %q is not one of text, json", c.Log.Format)
	}
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		bad("tls: set both tls.cert and tls.key, or neither")
	}
	if c.MaxBodyBytes <= 0 || c.MaxBodyBytes > MaxBodyBytesLimit {
		bad("max_body_bytes: %d is out of range 1 to %d", c.MaxBodyBytes, MaxBodyBytesLimit)
	}
	if c.SessionTTL < MinSessionTTL || c.SessionTTL > MaxSessionTTL {
		bad("session_ttl: %s is out of range %s to %s", c.SessionTTL, MinSessionTTL, MaxSessionTTL)
	}
	if c.ShutdownTimeout <= 0 || c.ShutdownTimeout > MaxShutdownTimeout {
		bad("shutdown_timeout: %s is out of range (0, %s]", c.ShutdownTimeout, MaxShutdownTimeout)
	}
	if c.Intake.BatchSize < 0 || c.Intake.QueueSize < 0 {
		bad("intake.batch_size, intake.queue_size: must not be negative (0 picks the default)")
	}
	if c.Intake.BatchDelay < 0 || c.Intake.BatchDelay > MaxBatchDelay {
		bad("intake.batch_delay: %s is out of range 0 to %s", c.Intake.BatchDelay, MaxBatchDelay)
	}
	for name, addr := range map[string]string{"intake.syslog.udp": c.Intake.Syslog.UDP, "intake.syslog.tcp": c.Intake.Syslog.TCP,
		"intake.syslog.tls": c.Intake.Syslog.TLS, "intake.smtp.listen": c.Intake.SMTP.Listen} {
		if addr != "" {
			if err := checkListen(addr); err != nil {
				bad("%s: %v", name, err)
			}
		}
	}
	if c.Intake.Syslog.TLS != "" && (c.Intake.Syslog.Cert == "" || c.Intake.Syslog.Key == "") {
		bad("intake.syslog.tls: set intake.syslog.cert and intake.syslog.key for syslog over TLS")
	}
	if (c.Intake.SMTP.Cert == "") != (c.Intake.SMTP.Key == "") {
		bad("intake.smtp: set both cert and key, or neither")
	}
	if c.Intake.SMTP.Listen != "" && len(c.Intake.SMTP.Recipients) == 0 {
		bad("intake.smtp.recipients: name the addresses phishing reports are sent to; without them every message is refused")
	}
	if c.Intake.Syslog.Timezone != "" {
		if _, err := time.LoadLocation(c.Intake.Syslog.Timezone); err != nil {
			bad("intake.syslog.timezone: %q is not a time zone such as Europe/Berlin", c.Intake.Syslog.Timezone)
		}
	}
	if strings.TrimSpace(c.Admin.User) == "" {
		bad("admin.user: the admin user name must not be empty")
	}
	if c.Admin.Password != "" && strings.TrimSpace(c.Admin.Password) == "" {
		bad("admin.password: a password of only spaces is refused; leave it empty to have one generated")
	}
	return errors.Join(errs...)
}

func checkListen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port (for example 127.0.0.1:8080 or :8080)", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: port %q is not a number from 0 to 65535", addr, port)
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Errorf("%q: %q is not a host name or address", addr, host)
	}
	return nil
}

// Postgres reports whether the data lives in PostgreSQL.
func (c Config) Postgres() bool {
	return strings.HasPrefix(c.DB, "postgres://") || strings.HasPrefix(c.DB, "postgresql://")
}

// redactURL hides a password in a database URL before it is shown.
func redactURL(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		if j := strings.LastIndex(s, "@"); j > i {
			return s[:i+3] + "…" + s[j:]
		}
	}
	return s
}

// RedactedDB is the database setting without its password, for logs.
func (c Config) RedactedDB() string { return redactURL(c.DB) }
