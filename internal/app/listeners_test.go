package app_test

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/app"
)

// TestListenersFeedIntake starts a server with its syslog and SMTP listeners on: a syslog line
// over UDP and one over TCP, and a forwarded phishing report over SMTP, become alerts in the
// queue like those sent over HTTP.
func TestListenersFeedIntake(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Admin.Password = "listener-password-1"
	cfg.Intake.Syslog.UDP, cfg.Intake.Syslog.TCP = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Intake.SMTP.Listen, cfg.Intake.SMTP.Domain = "127.0.0.1:0", "quell.test"
	cfg.Intake.SMTP.Recipients = []string{"phish@corp.example"}
	require.NoError(t, cfg.Validate())
	a, err := app.New(cfg, slog.New(slog.DiscardHandler), app.WithStdout(io.Discard))
	require.NoError(t, err)
	require.NoError(t, a.Start(t.Context()))
	t.Cleanup(func() { _ = a.Stop(t.Context()) })
	udp, tcp, mail := a.ListenerAddrs()
	require.NotNil(t, udp)
	require.NotNil(t, tcp)
	require.NotNil(t, mail)

	now := time.Now().UTC().Format(time.RFC3339)
	u, err := net.Dial("udp", udp.String())
	require.NoError(t, err)
	_, err = fmt.Fprintf(u, "<38>1 %s bastion-1 sshd 4242 - - Failed password for root from 203.0.113.66 port 52211 ssh2", now)
	require.NoError(t, err)
	u.Close()
	c, err := net.Dial("tcp", tcp.String())
	require.NoError(t, err)
	_, err = fmt.Fprintf(c, "<38>1 %s bastion-2 sshd 4243 - - Failed password for invalid user oracle from 198.51.100.23 port 40000 ssh2\n", now)
	require.NoError(t, err)
	c.Close()

	report := "From: Alice <alice@corp.example>\r\nTo: phish@corp.example\r\nSubject: Fwd: Your parcel is waiting\r\n" +
		"Message-ID: <report-7@corp.example>\r\nDate: " + time.Now().Format(time.RFC1123Z) + "\r\nContent-Type: text/plain\r\n\r\n" +
		"---------- Forwarded message ---------\r\nFrom: Parcel Service <notify@parcel-track.example>\r\n" +
		"Subject: Your parcel is waiting\r\n\r\nPay the fee at https://parcel-track.example/pay?id=991 today.\r\n"
	require.NoError(t, smtp.SendMail(mail.String(), nil, "alice@corp.example", []string{"phish@corp.example"}, []byte(report)))

	var tok struct{ Secret string }
	require.Equal(t, http.StatusCreated, apiCall(t, "POST", a.URL()+"/api/v1/auth/token", "",
		map[string]string{"username": "admin", "password": "listener-password-1", "name": "t", "scope": "read"}, &tok))
	titles := func() string {
		var page struct {
			Items []struct{ Source, Title string }
		}
		require.Equal(t, http.StatusOK, apiCall(t, "GET", a.URL()+"/api/v1/alerts?limit=50", tok.Secret, nil, &page))
		var b strings.Builder
		for _, it := range page.Items {
			fmt.Fprintf(&b, "%s: %s\n", it.Source, it.Title)
		}
		return b.String()
	}
	require.Eventually(t, func() bool {
		got := titles()
		return strings.Contains(got, "syslog: SSH authentication failure for root on bastion-1 from 203.0.113.66") &&
			strings.Contains(got, "syslog: SSH authentication failure for oracle on bastion-2 from 198.51.100.23") &&
			strings.Contains(got, "email: Phishing report: ")
	}, 15*time.Second, 100*time.Millisecond, "alerts so far:\n%s", titles())
}
