package app

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/config"
	"github.com/quell-ir/quell/internal/intake"
	"github.com/quell-ir/quell/internal/intake/email"
	"github.com/quell-ir/quell/internal/intake/syslog"
	"github.com/quell-ir/quell/internal/store"
)

// startListeners starts the syslog and SMTP listeners the configuration asks for. Their alerts
// go through the same intake as HTTP, into the organisation cfg.Intake.Org names.
func (a *App) startListeners(ctx context.Context, cfg config.Config, logger *slog.Logger) error {
	if !cfg.Intake.Syslog.Listening() && cfg.Intake.SMTP.Listen == "" {
		return nil
	}
	slug := cfg.Intake.Org
	if slug == "" {
		slug = access.DefaultOrgSlug
	}
	var org access.Org
	if err := a.store.Read(ctx, func(tx store.Tx) error {
		var err error
		org, err = tx.Orgs().GetBySlug(ctx, slug)
		return err
	}); err != nil {
		return fmt.Errorf("intake.org %q: %w", slug, err)
	}
	submit := func(actor string) func(context.Context, []alert.Input) error {
		return func(ctx context.Context, in []alert.Input) error {
			_, err := a.intake.Submit(ctx, intake.Request{OrgID: org.ID, Inputs: in, Actor: actor})
			return err
		}
	}
	if sc := cfg.Intake.Syslog; sc.Listening() {
		lc := syslog.Config{UDPAddr: sc.UDP, TCPAddr: sc.TCP, TLSAddr: sc.TLS, Logger: logger.With("component", "syslog")}
		if sc.TLS != "" {
			cert, err := tls.LoadX509KeyPair(sc.Cert, sc.Key)
			if err != nil {
				return fmt.Errorf("intake.syslog: load the TLS certificate: %w", err)
			}
			lc.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		}
		if sc.Timezone != "" {
			loc, err := time.LoadLocation(sc.Timezone)
			if err != nil {
				return fmt.Errorf("intake.syslog.timezone: %w", err)
			}
			lc.Location = loc
		}
		if sc.Rules != "" {
			b, err := os.ReadFile(sc.Rules)
			if err != nil {
				return fmt.Errorf("intake.syslog.rules: %w", err)
			}
			if lc.Rules, err = syslog.ParseRules(b); err != nil {
				return fmt.Errorf("intake.syslog.rules %s: %w", sc.Rules, err)
			}
		}
		l, err := syslog.New(lc, submit("syslog"))
		if err != nil {
			return fmt.Errorf("intake.syslog: %w", err)
		}
		if err := l.Start(ctx); err != nil {
			return fmt.Errorf("intake.syslog: %w", err)
		}
		a.push("stop the syslog listener", l.Shutdown)
		a.syslog = l
		logger.Info("syslog listener started", "udp", l.UDPAddr(), "tcp", l.TCPAddr(), "tls", l.TLSAddr())
	}
	if mc := cfg.Intake.SMTP; mc.Listen != "" {
		ec := email.Config{Addr: mc.Listen, Domain: mc.Domain, AllowedRecipients: mc.Recipients,
			MaxMessageBytes: mc.MaxBytes, Logger: logger.With("component", "smtp")}
		if mc.Cert != "" {
			cert, err := tls.LoadX509KeyPair(mc.Cert, mc.Key)
			if err != nil {
				return fmt.Errorf("intake.smtp: load the TLS certificate: %w", err)
			}
			ec.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		}
		srv, err := email.New(ec, submit("smtp"))
		if err != nil {
			return fmt.Errorf("intake.smtp: %w", err)
		}
		if err := srv.Start(ctx); err != nil {
			return fmt.Errorf("intake.smtp: %w", err)
		}
		a.push("stop the SMTP listener", srv.Shutdown)
		a.smtp = srv
		logger.Info("SMTP listener started", "addr", srv.Addr())
	}
	return nil
}

// ListenerAddrs returns the addresses the syslog (UDP, TCP) and SMTP listeners are bound to;
// nil for a listener that is off.
func (a *App) ListenerAddrs() (syslogUDP, syslogTCP, smtp net.Addr) {
	if a.syslog != nil {
		syslogUDP, syslogTCP = a.syslog.UDPAddr(), a.syslog.TCPAddr()
	}
	if a.smtp != nil {
		smtp = a.smtp.Addr()
	}
	return syslogUDP, syslogTCP, smtp
}

// CorrelationIdle reports whether no alert awaits correlation, for tools that measure intake
// and want each measurement to start from a quiet server.
func (a *App) CorrelationIdle(ctx context.Context) (bool, error) {
	var pending []alert.Alert
	err := a.store.Read(ctx, func(tx store.Tx) error {
		var err error
		pending, err = tx.Alerts().Pending(ctx, 1)
		return err
	})
	return len(pending) == 0, err
}
