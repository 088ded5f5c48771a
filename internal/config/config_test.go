package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"
)

func TestDefaultsAreValid(t *testing.T) {
	t.Parallel()
	cfg, err := Load(Sources{})
	require.NoError(t, err)
	require.NoError(t, cfg.Validate())
	require.Equal(t, "./quell-data", cfg.Data)
	require.Equal(t, "127.0.0.1:8080", cfg.Listen)
	require.Equal(t, "text", cfg.Log.Format)
	require.Equal(t, int64(1<<20), cfg.MaxBodyBytes)
	require.Equal(t, 30*time.Second, cfg.ShutdownTimeout)
	require.False(t, cfg.Secure())
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "quell.yaml")
	require.NoError(t, os.WriteFile(name, []byte(body), 0o600))
	return name
}

func TestPrecedence(t *testing.T) {
	t.Parallel()
	file := `
data: /srv/file-data
listen: 127.0.0.1:9000
log:
  format: json
  level: debug
session_ttl: 2h
admin:
  password: from-file
`
	tests := []struct {
		name  string
		env   map[string]string
		flags []string
		check func(t *testing.T, c Config)
	}{
		{
			name: "file only",
			check: func(t *testing.T, c Config) {
				require.Equal(t, "/srv/file-data", c.Data)
				require.Equal(t, "127.0.0.1:9000", c.Listen)
				require.Equal(t, "json", c.Log.Format)
				require.Equal(t, "debug", c.Log.Level)
				require.Equal(t, 2*time.Hour, c.SessionTTL)
				require.Equal(t, "from-file", c.Admin.Password)
				require.Equal(t, DefaultShutdownTimeout, c.ShutdownTimeout, "keys the file omits keep their defaults")
			},
		},
		{
			name: "environment overrides file",
			env:  map[string]string{"QUELL_DATA": "/srv/env-data", "QUELL_LOG_FORMAT": "text", "QUELL_ADMIN_PASSWORD": "from-env"},
			check: func(t *testing.T, c Config) {
				require.Equal(t, "/srv/env-data", c.Data)
				require.Equal(t, "text", c.Log.Format)
				require.Equal(t, "from-env", c.Admin.Password)
				require.Equal(t, "127.0.0.1:9000", c.Listen, "unset variables leave the file's value")
			},
		},
		{
			name:  "flags override environment and file",
			env:   map[string]string{"QUELL_DATA": "/srv/env-data", "QUELL_LISTEN": "127.0.0.1:9100"},
			flags: []string{"--data", "/srv/flag-data", "--session-ttl", "30m"},
			check: func(t *testing.T, c Config) {
				require.Equal(t, "/srv/flag-data", c.Data)
				require.Equal(t, "127.0.0.1:9100", c.Listen, "flags not given leave the environment's value")
				require.Equal(t, 30*time.Minute, c.SessionTTL)
			},
		},
		{
			name:  "flags at their default do not override",
			env:   map[string]string{"QUELL_LISTEN": "127.0.0.1:9100"},
			flags: []string{"--log-level", "warn"},
			check: func(t *testing.T, c Config) {
				require.Equal(t, "127.0.0.1:9100", c.Listen)
				require.Equal(t, "warn", c.Log.Level)
			},
		},
		{
			name:  "bool flags without a value",
			flags: []string{"--allow-unsafe-sync", "--secure-cookies"},
			check: func(t *testing.T, c Config) {
				require.True(t, c.AllowUnsafeSync)
				require.True(t, c.Secure())
			},
		},
		{
			name:  "secure cookies explicitly off",
			env:   map[string]string{"QUELL_SECURE_COOKIES": "false", "QUELL_TLS_CERT": "c.pem", "QUELL_TLS_KEY": "k.pem"},
			flags: nil,
			check: func(t *testing.T, c Config) {
				require.True(t, c.TLSEnabled())
				require.False(t, c.Secure())
			},
		},
	}
	name := writeFile(t, file)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
			RegisterFlags(fs)
			require.NoError(t, fs.Parse(append([]string{"--config", name}, tt.flags...)))
			cfg, err := Load(Sources{Getenv: func(k string) string { return tt.env[k] }, Flags: fs})
			require.NoError(t, err)
			tt.check(t, cfg)
		})
	}
}

func TestSecureFollowsTLS(t *testing.T) {
	t.Parallel()
	cfg := Default()
	cfg.TLS = TLS{Cert: "cert.pem", Key: "key.pem"}
	require.True(t, cfg.Secure())
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		file  string
		env   map[string]string
		flags []string
		want  []string
	}{
		{name: "unknown top-level key", file: "data: x\nlisten_addr: :80\n", want: []string{`line 2: unknown key "listen_addr"`, `did you mean "listen"`}},
		{name: "unknown nested key", file: "log:\n  format: json\n  levle: debug\n", want: []string{`line 3: unknown key "log.levle"`, `"log.level"`}},
		{name: "every unknown key is named", file: "foo: 1\nbar: 2\n", want: []string{`line 1: unknown key "foo"`, `line 2: unknown key "bar"`}},
		{name: "wrong type", file: "max_body_bytes: lots\n", want: []string{"line 1"}},
		{name: "not a mapping", file: "- data\n", want: []string{"line 1", "mapping"}},
		{name: "bad duration in env", env: map[string]string{"QUELL_SHUTDOWN_TIMEOUT": "soon"}, want: []string{"QUELL_SHUTDOWN_TIMEOUT", `"soon"`}},
		{name: "bad number flag", flags: []string{"--max-body-bytes", "1MB"}, want: []string{"--max-body-bytes", `"1MB"`}},
		{name: "bad bool env", env: map[string]string{"QUELL_ALLOW_UNSAFE_SYNC": "maybe"}, want: []string{"QUELL_ALLOW_UNSAFE_SYNC"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
			RegisterFlags(fs)
			require.NoError(t, fs.Parse(tt.flags))
			src := Sources{Getenv: func(k string) string { return tt.env[k] }, Flags: fs}
			if tt.file != "" {
				src.File = writeFile(t, tt.file)
			}
			_, err := Load(src)
			require.Error(t, err)
			for _, w := range tt.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	t.Parallel()
	_, err := Load(Sources{File: filepath.Join(t.TempDir(), "absent.yaml")})
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestEmptyFile(t *testing.T) {
	t.Parallel()
	cfg, err := Load(Sources{File: writeFile(t, "# nothing set\n")})
	require.NoError(t, err)
	require.Equal(t, Default(), cfg)
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(c *Config)
		want   string // "" means valid
	}{
		{name: "defaults", change: func(*Config) {}},
		{name: "port zero", change: func(c *Config) { c.Listen = "127.0.0.1:0" }},
		{name: "all interfaces", change: func(c *Config) { c.Listen = ":8080" }},
		{name: "ipv6", change: func(c *Config) { c.Listen = "[::1]:8080" }},
		{name: "empty data", change: func(c *Config) { c.Data = " " }, want: "data:"},
		{name: "listen without port", change: func(c *Config) { c.Listen = "localhost" }, want: "listen:"},
		{name: "listen bad port", change: func(c *Config) { c.Listen = "localhost:http8" }, want: "listen:"},
		{name: "listen port too big", change: func(c *Config) { c.Listen = "localhost:70000" }, want: "listen:"},
		{name: "log format", change: func(c *Config) { c.Log.Format = "xml" }, want: `log.format: "xml"`},
		{name: "log level", change: func(c *Config) { c.Log.Level = "verbose" }, want: `log.level: "verbose"`},
		{name: "tls half", change: func(c *Config) { c.TLS.Cert = "cert.pem" }, want: "tls: set both"},
		{name: "tls both", change: func(c *Config) { c.TLS = TLS{Cert: "c", Key: "k"} }},
		{name: "body zero", change: func(c *Config) { c.MaxBodyBytes = 0 }, want: "max_body_bytes"},
		{name: "session too short", change: func(c *Config) { c.SessionTTL = time.Second }, want: "session_ttl"},
		{name: "shutdown zero", change: func(c *Config) { c.ShutdownTimeout = 0 }, want: "shutdown_timeout"},
		{name: "admin user empty", change: func(c *Config) { c.Admin.User = "" }, want: "admin.user"},
		{name: "blank admin password", change: func(c *Config) { c.Admin.Password = "   " }, want: "admin.password"},
		{name: "batch delay set", change: func(c *Config) { c.Intake.BatchDelay = 5 * time.Millisecond }},
		{name: "batch delay negative", change: func(c *Config) { c.Intake.BatchDelay = -time.Millisecond }, want: "intake.batch_delay"},
		{name: "batch delay too long", change: func(c *Config) { c.Intake.BatchDelay = time.Minute }, want: "intake.batch_delay"},
		{name: "queue size negative", change: func(c *Config) { c.Intake.QueueSize = -1 }, want: "intake.queue_size"},
		{name: "admin password set", change: func(c *Config) { c.Admin.Password = "correct horse battery" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := Default()
			tt.change(&cfg)
			err := cfg.Validate()
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	cfg := Default()
	cfg.Log.Format = "xml"
	cfg.Listen = "nowhere"
	err := cfg.Validate()
	require.Error(t, err)
	require.Len(t, strings.Split(err.Error(), "\n"), 2)
}

func TestRedacted(t *testing.T) {
	t.Parallel()
	cfg := Default()
	cfg.Admin.Password = "secret-value"
	require.NotContains(t, strings.Join([]string{cfg.Redacted().Admin.Password}, ""), "secret-value")
	require.Equal(t, "secret-value", cfg.Admin.Password, "Redacted leaves the original alone")
}

func TestRegisterSomeFlags(t *testing.T) {
	t.Parallel()
	fs := pflag.NewFlagSet("migrate", pflag.ContinueOnError)
	RegisterFlags(fs, "data")
	require.NotNil(t, fs.Lookup("data"))
	require.NotNil(t, fs.Lookup("config"))
	require.Nil(t, fs.Lookup("listen"))
	require.NoError(t, fs.Parse([]string{"--data", "d"}))
	cfg, err := Load(Sources{Flags: fs, Getenv: func(string) string { return "" }})
	require.NoError(t, err)
	require.Equal(t, "d", cfg.Data)
}

func TestEnvironmentListsEverySetting(t *testing.T) {
	t.Parallel()
	env := Environment()
	require.Len(t, env, len(settings))
	for _, e := range env {
		require.True(t, strings.HasPrefix(e[0], "QUELL_"), e[0])
	}
}

// Any bytes given as a configuration file give a configuration or an error, never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte("data: ./d\nlisten: 127.0.0.1:8080\nlog:\n  format: json\n"))
	f.Add([]byte("admin:\n  user: chief\n  password: x\nsession_ttl: 2h\n"))
	f.Add([]byte("- a\n- b\n"))
	f.Add([]byte("log: [1, 2]\nmax_body_bytes: 99999999999999999999\n"))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := Default()
		if err := Parse(&cfg, data); err == nil {
			_ = cfg.Validate()
		}
	})
}
