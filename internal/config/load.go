package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// setting is one configuration value as the environment and the command line name it. The
// YAML file is decoded into Config directly; the environment and flags go through set.
type setting struct {
	key   string // path in the YAML file, such as log.format
	env   string // environment variable
	flag  string // command-line flag, without dashes
	usage string
	set   func(c *Config, v string) error
	get   func(c Config) string // the default shown in the flag's help
	bool  bool                  // a flag that may be given without a value
	typ   string                // the value's kind in the flag's help; "string" when empty
}

var settings = []setting{
	{key: "data", env: "QUELL_DATA", flag: "data", usage: "data directory (created with mode 0700)",
		set: func(c *Config, v string) error { c.Data = v; return nil }, get: func(c Config) string { return c.Data }},
	{key: "db", env: "QUELL_DB", flag: "db", usage: "PostgreSQL URL to keep the data in (default: SQLite in the data directory)",
		set: func(c *Config, v string) error { c.DB = v; return nil }, get: func(c Config) string { return c.DB }},
	{key: "listen", env: "QUELL_LISTEN", flag: "listen", usage: "address to listen on, host:port",
		set: func(c *Config, v string) error { c.Listen = v; return nil }, get: func(c Config) string { return c.Listen }},
	{key: "log.level", env: "QUELL_LOG_LEVEL", flag: "log-level", usage: "log level: debug, info, warn or error",
		set: func(c *Config, v string) error { c.Log.Level = v; return nil }, get: func(c Config) string { return c.Log.Level }},
	{key: "log.format", env: "QUELL_LOG_FORMAT", flag: "log-format", usage: "log format: text or json",
		set: func(c *Config, v string) error { c.Log.Format = v; return nil }, get: func(c Config) string { return c.Log.Format }},
	{key: "tls.cert", env: "QUELL_TLS_CERT", flag: "tls-cert", usage: "TLS certificate file (PEM); with --tls-key, serves HTTPS",
		set: func(c *Config, v string) error { c.TLS.Cert = v; return nil }, get: func(c Config) string { return c.TLS.Cert }},
	{key: "tls.key", env: "QUELL_TLS_KEY", flag: "tls-key", usage: "TLS private key file (PEM)",
		set: func(c *Config, v string) error { c.TLS.Key = v; return nil }, get: func(c Config) string { return c.TLS.Key }},
	{key: "max_body_bytes", env: "QUELL_MAX_BODY_BYTES", flag: "max-body-bytes", usage: "largest request body accepted, in bytes", typ: "bytes",
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Errorf("%q is not a whole number of bytes", v)
			}
			c.MaxBodyBytes = n
			return nil
		}, get: func(c Config) string { return strconv.FormatInt(c.MaxBodyBytes, 10) }},
	{key: "secure_cookies", env: "QUELL_SECURE_COOKIES", flag: "secure-cookies", bool: true,
		usage: "mark session cookies Secure (default: on when TLS is set; turn on behind a TLS proxy)",
		set: func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%q is not true or false", v)
			}
			c.SecureCookies = &b
			return nil
		}, get: func(Config) string { return "" }},
	{key: "session_ttl", env: "QUELL_SESSION_TTL", flag: "session-ttl", usage: "how long an idle session lives, such as 12h", typ: "duration",
		set: func(c *Config, v string) error { return setDuration(&c.SessionTTL, v) }, get: func(c Config) string { return c.SessionTTL.String() }},
	{key: "admin.user", env: "QUELL_ADMIN_USER", flag: "admin-user", usage: "user name of the first admin, created on first start",
		set: func(c *Config, v string) error { c.Admin.User = v; return nil }, get: func(c Config) string { return c.Admin.User }},
	{key: "admin.password", env: "QUELL_ADMIN_PASSWORD", flag: "admin-password",
		usage: "password of the first admin (prefer QUELL_ADMIN_PASSWORD: flags show in process lists); empty generates one",
		set:   func(c *Config, v string) error { c.Admin.Password = v; return nil }, get: func(Config) string { return "" }},
	{key: "shutdown_timeout", env: "QUELL_SHUTDOWN_TIMEOUT", flag: "shutdown-timeout", usage: "time to finish requests and jobs on stop", typ: "duration",
		set: func(c *Config, v string) error { return setDuration(&c.ShutdownTimeout, v) }, get: func(c Config) string { return c.ShutdownTimeout.String() }},
	{key: "intake.syslog.udp", env: "QUELL_SYSLOG_UDP", flag: "syslog-udp", usage: "address of the syslog listener over UDP, such as :514 (default off)",
		set: func(c *Config, v string) error { c.Intake.Syslog.UDP = v; return nil }, get: func(c Config) string { return c.Intake.Syslog.UDP }},
	{key: "intake.syslog.tcp", env: "QUELL_SYSLOG_TCP", flag: "syslog-tcp", usage: "address of the syslog listener over TCP, such as :514 (default off)",
		set: func(c *Config, v string) error { c.Intake.Syslog.TCP = v; return nil }, get: func(c Config) string { return c.Intake.Syslog.TCP }},
	{key: "intake.smtp.listen", env: "QUELL_SMTP_LISTEN", flag: "smtp-listen", usage: "address of the SMTP listener for phishing reports, such as :2525 (default off)",
		set: func(c *Config, v string) error { c.Intake.SMTP.Listen = v; return nil }, get: func(c Config) string { return c.Intake.SMTP.Listen }},
	{key: "intake.smtp.recipients", env: "QUELL_SMTP_RECIPIENTS", flag: "smtp-recipients", usage: "comma-separated addresses or @domains phishing reports may be sent to",
		set: func(c *Config, v string) error {
			c.Intake.SMTP.Recipients = nil
			for r := range strings.SplitSeq(v, ",") {
				if r = strings.TrimSpace(r); r != "" {
					c.Intake.SMTP.Recipients = append(c.Intake.SMTP.Recipients, r)
				}
			}
			return nil
		}, get: func(c Config) string { return strings.Join(c.Intake.SMTP.Recipients, ",") }},
	{key: "playbooks.dir", env: "QUELL_PLAYBOOKS", flag: "playbooks", usage: "directory of playbook files loaded at start into the default organisation",
		set: func(c *Config, v string) error { c.Playbooks.Dir = v; return nil }, get: func(c Config) string { return c.Playbooks.Dir }},
	{key: "allow_unsafe_sync", env: "QUELL_ALLOW_UNSAFE_SYNC", flag: "allow-unsafe-sync", bool: true,
		usage: "faster, less durable SQLite writes: only for tests and throwaway data",
		set: func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%q is not true or false", v)
			}
			c.AllowUnsafeSync = b
			return nil
		}, get: func(Config) string { return "" }},
}

func setDuration(d *time.Duration, v string) error {
	x, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 30s, 5m or 12h", v)
	}
	*d = x
	return nil
}

// ConfigFlag is the flag that names the YAML file.
const ConfigFlag = "config"

// RegisterFlags adds --config and the flags of the named settings (by flag name, such as
// "data"; all of them when none is named) to fs. Load reads them back.
func RegisterFlags(fs *pflag.FlagSet, only ...string) {
	fs.String(ConfigFlag, "", "YAML configuration file; environment variables and flags override it")
	def := Default()
	for _, s := range settings {
		if len(only) > 0 && !slices.Contains(only, s.flag) {
			continue
		}
		typ := s.typ
		if s.bool {
			typ = "bool"
		}
		f := fs.VarPF(&flagValue{def: s.get(def), typ: typ}, s.flag, "", s.usage+" (env "+s.env+")")
		f.DefValue = s.get(def)
		if s.bool {
			f.NoOptDefVal = "true"
		}
	}
}

// flagValue holds a flag's text until Load parses it with the setting's own parser.
type flagValue struct {
	def, val, typ string
}

func (v *flagValue) String() string {
	if v == nil {
		return ""
	}
	if v.val == "" {
		return v.def
	}
	return v.val
}

func (v *flagValue) Set(s string) error { v.val = s; return nil }

func (v *flagValue) Type() string {
	if v.typ == "" {
		return "string"
	}
	return v.typ
}

// Sources says where Load reads from. Later sources override earlier ones: the file, then
// the environment, then the flags that were set on the command line.
type Sources struct {
	// File is a YAML file; empty means the --config flag's value, or no file.
	File string
	// Getenv reads the environment (os.Getenv); nil ignores the environment. Empty values
	// count as unset.
	Getenv func(string) string
	// Flags are flags registered with RegisterFlags and parsed; only those given count.
	Flags *pflag.FlagSet
}

// Load builds the configuration from the defaults and the sources. It does not validate;
// call Config.Validate.
func Load(src Sources) (Config, error) {
	cfg := Default()
	file := src.File
	if file == "" && src.Flags != nil {
		if f := src.Flags.Lookup(ConfigFlag); f != nil {
			file = f.Value.String()
		}
	}
	if file != "" {
		if err := loadFile(&cfg, file); err != nil {
			return cfg, err
		}
	}
	if src.Getenv != nil {
		for _, s := range settings {
			if v := src.Getenv(s.env); v != "" {
				if err := s.set(&cfg, v); err != nil {
					return cfg, fmt.Errorf("environment %s: %w", s.env, err)
				}
			}
		}
	}
	if src.Flags != nil {
		for _, s := range settings {
			f := src.Flags.Lookup(s.flag)
			if f == nil || !f.Changed {
				continue
			}
			if err := s.set(&cfg, f.Value.String()); err != nil {
				return cfg, fmt.Errorf("flag --%s: %w", s.flag, err)
			}
		}
	}
	return cfg, nil
}

func loadFile(cfg *Config, name string) error {
	data, err := os.ReadFile(name)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	if err := Parse(cfg, data); err != nil {
		return fmt.Errorf("config file %s: %w", name, err)
	}
	return nil
}

// Parse decodes a YAML document onto cfg. A key Config does not know is an error that names
// the key and its line.
func Parse(cfg *Config, data []byte) error {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file
		}
		return err
	}
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			return nil
		}
		return fmt.Errorf("line %d: the configuration must be a mapping of keys to values", root.Line)
	}
	if errs := unknownKeys(root, reflect.TypeFor[Config](), ""); len(errs) > 0 {
		return errors.Join(errs...)
	}
	return root.Decode(cfg)
}

// unknownKeys reports every key of the mapping n that the struct type t has no field for,
// looking into nested mappings.
func unknownKeys(n *yaml.Node, t reflect.Type, prefix string) []error {
	fields := map[string]reflect.Type{}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		fields[name] = ft
		names = append(names, prefix+name)
	}
	var errs []error
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		ft, ok := fields[k.Value]
		if !ok {
			msg := fmt.Sprintf("line %d: unknown key %q", k.Line, prefix+k.Value)
			if near := closest(prefix+k.Value, names); near != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", near)
			} else {
				msg += fmt.Sprintf(" (known keys: %s)", strings.Join(names, ", "))
			}
			errs = append(errs, errors.New(msg))
			continue
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[time.Time]() && v.Kind == yaml.MappingNode {
			errs = append(errs, unknownKeys(v, ft, prefix+k.Value+".")...)
		}
	}
	return errs
}

// closest returns the known key nearest to key by edit distance, if it is near enough to be a
// typing mistake, or a known key that key starts with (listen_addr → listen).
func closest(key string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		d := distance(key, k)
		if strings.HasPrefix(key, k+"_") || strings.HasPrefix(key, k+"-") {
			d = 2
		}
		if d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Environment lists the environment variables Load reads, with the YAML key each sets.
func Environment() [][2]string {
	out := make([][2]string, len(settings))
	for i, s := range settings {
		out[i] = [2]string{s.env, s.key}
	}
	return out
}
