package email

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/alert"
)

func obs(t alert.ObservableType, v, role string) alert.Observable {
	return alert.Observable{Type: t, Value: v, Role: role}
}

// checkAttachedReport checks the alert made of attachedReport.
func checkAttachedReport(t *testing.T, in alert.Input) {
	t.Helper()
	require.Equal(t, Source, in.Source)
	require.Equal(t, "Phishing report: Your mailbox is full", in.Title)
	require.Equal(t, "report-1@corp.example", in.SourceRef, "the report's own Message-ID: a relay's retry is idempotent")
	require.Equal(t, alert.Severity("medium"), in.Severity)
	require.Equal(t, time.Date(2026, 11, 25, 9, 59, 0, 0, time.UTC), in.OccurredAt.UTC())
	for k, v := range map[string]string{
		"suspect_source": "attachment", "reporter": "alice@corp.example", "sender": "support@paypa1.example",
		"sender_name": "PayPal Support", "reply_to": "collect@evil-reply.example", "return_path": "bounce@evil.example",
		"subject": "Your mailbox is full", "message_id": "phish-123@evil.example", "report_subject": "FW: Your mailbox is full",
		"report_message_id": "report-1@corp.example", "auth_spf": "fail", "auth_dkim": "none", "auth_dmarc": "fail",
		"attachments": "2", "links": "3",
	} {
		require.Equal(t, v, in.Labels[k], "label %s", k)
	}
	require.NotContains(t, in.Labels, "parse_error")
	for _, o := range []alert.Observable{
		obs(alert.ObsEmail, "support@paypa1.example", "sender"),
		obs(alert.ObsDomain, "paypa1.example", "sender"),
		obs(alert.ObsEmail, "collect@evil-reply.example", "reply_to"),
		obs(alert.ObsDomain, "evil-reply.example", "reply_to"),
		obs(alert.ObsEmail, "bounce@evil.example", "return_path"),
		obs(alert.ObsDomain, "evil.example", "return_path"),
		obs(alert.ObsEmail, "alice@corp.example", "reporter"),
		obs(alert.ObsIPv4, "203.0.113.5", "received"),
		obs(alert.ObsIPv4, "10.1.2.3", "received"),
		obs(alert.ObsIPv6, "2001:db8::beef", "received"),
		obs(alert.ObsFileName, "invoice.pdf", "attachment"),
		obs(alert.ObsSHA256, sha(pdfContent), "attachment"),
		obs(alert.ObsFileName, "docs.zip", "attachment"),
		obs(alert.ObsSHA256, sha(zipContent), "attachment"),
		obs(alert.ObsURL, "https://login-paypa1.example/verify?id=1", "link"),
		obs(alert.ObsDomain, "login-paypa1.example", "link"),
		obs(alert.ObsEmail, "help@evil-reply.example", "link"),
		obs(alert.ObsURL, "http://198.51.100.23/collect", "link"),
		obs(alert.ObsIPv4, "198.51.100.23", "link"),
		obs(alert.ObsURL, "https://login-paypa1.example/verify", "link"), // refanged from the text part
	} {
		require.Contains(t, in.Observables, o)
	}
	for _, o := range in.Observables {
		require.NotEqual(t, "10.20.30.40", o.Value, "the report's own Received chain is not the suspect's")
		require.NotEqual(t, "corp.example", o.Value, "the reporter's domain is not an indicator")
	}
	require.Contains(t, in.Description, "The reporter wrote:\nThis looks fake, I did not click.")
	require.Contains(t, in.Description, "spf=fail dkim=none dmarc=fail")

	// It normalises, and keeps the roles.
	a, err := alert.Normalise(in, time.Now(), len(in.Raw))
	require.NoError(t, err)
	require.Contains(t, a.Observables, obs(alert.ObsEmail, "support@paypa1.example", "sender"))
	require.Equal(t, in.Raw, a.Raw)
}

func TestParseReportAttachedMessage(t *testing.T) {
	t.Parallel()
	in, err := ParseReport([]byte(attachedReport), "alice@corp.example")
	require.NoError(t, err)
	checkAttachedReport(t, in)
	require.Equal(t, []byte(attachedReport), in.Raw)
	require.Equal(t, "alice@corp.example", in.Labels["envelope_from"])
}

// checkInlineReport checks the alert made of inlineReport.
func checkInlineReport(t *testing.T, in alert.Input) {
	t.Helper()
	require.Equal(t, "Phishing report: Urgent wire transfer", in.Title)
	require.Equal(t, "report-2@corp.example", in.SourceRef, "the report's Message-ID")
	require.Equal(t, time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC), in.OccurredAt.UTC())
	for k, v := range map[string]string{
		"suspect_source": "inline", "reporter": "carol@corp.example", "sender": "ceo@corp-example.example",
		"sender_name": "CEO", "subject": "Urgent wire transfer", "report_subject": "Fwd: Urgent wire transfer", "links": "1",
	} {
		require.Equal(t, v, in.Labels[k], "label %s", k)
	}
	for _, o := range []alert.Observable{
		obs(alert.ObsEmail, "ceo@corp-example.example", "sender"),
		obs(alert.ObsDomain, "corp-example.example", "sender"),
		obs(alert.ObsEmail, "carol@corp.example", "reporter"),
		obs(alert.ObsURL, "http://pay.badbank.example/inv/77", "link"),
		obs(alert.ObsDomain, "pay.badbank.example", "link"),
		obs(alert.ObsEmail, "finance@corp-example.example", "body"),
	} {
		require.Contains(t, in.Observables, o)
	}
	require.Contains(t, in.Description, "The reporter wrote:\nPlease check this, it does not look like our CEO.\n\nThe suspect message reads:\nFrom: CEO")
}

func TestParseReportInlineForward(t *testing.T) {
	t.Parallel()
	in, err := ParseReport([]byte(inlineReport), "carol@corp.example")
	require.NoError(t, err)
	checkInlineReport(t, in)
}

func TestParseReportForwardedBlocks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body                            string
		from, subject, date, replyTo, wantSrc string
	}{
		{"outlook", "Have a look\r\n\r\n________________________________\r\nFrom: Bad Guy <bad@evil.example>\r\nSent: Monday, November 24, 2026 8:00 AM\r\nTo: Bob Smith <bob@corp.example>; Carol\r\n <carol@corp.example>\r\nSubject: Invoice overdue\r\n\r\nPay now.\r\n",
			"bad@evil.example", "Invoice overdue", "Monday, November 24, 2026 8:00 AM", "", "inline"},
		{"outlook mailto links", "From: Bad Guy <bad@evil.example<mailto:bad@evil.example>>\r\nSent: Monday\r\nSubject: x\r\n\r\nbody",
			"bad@evil.example", "x", "Monday", "", "inline"},
		{"thunderbird", "-------- Forwarded Message --------\r\nSubject: \tPrize\r\nDate: \tMon, 24 Nov 2026 08:00:00 +0000\r\nFrom: \tLottery <win@lotto.example>\r\nReply-To: \tclaim@lotto-claims.example\r\nTo: \tbob@corp.example\r\n\r\nYou won.",
			"win@lotto.example", "Prize", "Mon, 24 Nov 2026 08:00:00 +0000", "claim@lotto-claims.example", "inline"},
		{"quoted and bold", "> *From:* Bank <alerts@bank-secure.example>\r\n> *Date:* today\r\n> *Subject:* Locked\r\n>\r\n> Unlock now",
			"alerts@bank-secure.example", "Locked", "today", "", "inline"},
		{"german", "Von: Bank <alerts@bank-secure.example>\r\nGesendet: Montag\r\nAn: bob@corp.example\r\nBetreff: Konto gesperrt\r\n\r\nText",
			"alerts@bank-secure.example", "Konto gesperrt", "Montag", "", "inline"},
		{"a From line alone is no block", "From: someone in the text\r\nand more text\r\n", "", "The subject", "", "", "inline_unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raw := "From: bob@corp.example\r\nTo: phish@corp.example\r\nSubject: FW: The subject\r\n\r\n" + tt.body
			in, err := ParseReport([]byte(raw), "bob@corp.example")
			require.NoError(t, err)
			require.Equal(t, tt.wantSrc, in.Labels["suspect_source"])
			require.Equal(t, tt.from, in.Labels["sender"])
			require.Equal(t, tt.subject, in.Labels["subject"])
			require.Equal(t, tt.date, in.Labels["date"])
			require.Equal(t, tt.replyTo, in.Labels["reply_to"])
			require.Equal(t, "bob@corp.example", in.Labels["reporter"])
			if tt.from != "" {
				require.Contains(t, in.Observables, obs(alert.ObsEmail, tt.from, "sender"))
			}
		})
	}
}

// A message sent or redirected straight to the report address is the suspect itself.
func TestParseReportThatIsTheSuspect(t *testing.T) {
	t.Parallel()
	in, err := ParseReport([]byte(crlf(suspectMessage)), "bounce@evil.example")
	require.NoError(t, err)
	require.Equal(t, "report", in.Labels["suspect_source"])
	require.Equal(t, "Phishing report: Your mailbox is full", in.Title)
	require.Equal(t, "support@paypa1.example", in.Labels["sender"])
	require.Contains(t, in.Observables, obs(alert.ObsIPv4, "203.0.113.5", "received"))
	require.Contains(t, in.Observables, obs(alert.ObsSHA256, sha(pdfContent), "attachment"))

	// Redirected by a user's mail program: Resent-From names the reporter.
	in, err = ParseReport([]byte("Resent-From: dave@corp.example\r\n"+crlf(suspectMessage)), "dave@corp.example")
	require.NoError(t, err)
	require.Equal(t, "dave@corp.example", in.Labels["reporter"])
	require.Equal(t, "support@paypa1.example", in.Labels["sender"])
}

// Several attached messages make one alert: the first names it, all give their indicators.
func TestParseReportSeveralAttachedMessages(t *testing.T) {
	t.Parallel()
	second := "From: other@second-phish.example\r\nSubject: Second\r\nMessage-ID: <second@x.example>\r\n\r\nSee https://second-phish.example/a\r\n"
	raw := crlf(`
From: alice@corp.example
Subject: two phish
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain

two of them
--b
Content-Type: message/rfc822

`+strings.TrimPrefix(suspectMessage, "\n")+`
--b
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="second.eml"

`) + second + "\r\n--b--\r\n"
	in, err := ParseReport([]byte(raw), "")
	require.NoError(t, err)
	require.Equal(t, "Phishing report: Your mailbox is full", in.Title)
	require.Equal(t, "2", in.Labels["attached_messages"])
	require.Equal(t, "alice@corp.example", in.Labels["reporter"])
	require.NotContains(t, in.Labels, "envelope_from")
	require.Contains(t, in.Observables, obs(alert.ObsEmail, "support@paypa1.example", "sender"))
	require.Contains(t, in.Observables, obs(alert.ObsEmail, "other@second-phish.example", "sender"))
	require.Contains(t, in.Observables, obs(alert.ObsURL, "https://second-phish.example/a", "link"))
}

// Reports that cannot be read whole still make alerts, with what could be read and a label
// saying what went wrong; only input with nothing to report is refused.
func TestParseReportDamagedInput(t *testing.T) {
	t.Parallel()
	t.Run("broken MIME structure", func(t *testing.T) {
		raw := "From: eve@corp.example\r\nSubject: FW: broken\r\nContent-Type: multipart/mixed\r\n\r\nno boundary given, see http://broken.example/x\r\n"
		in, err := ParseReport([]byte(raw), "eve@corp.example")
		require.NoError(t, err)
		require.Equal(t, "Phishing report: broken", in.Title)
		require.Contains(t, in.Observables, obs(alert.ObsURL, "http://broken.example/x", "link"))
	})
	t.Run("no headers at all", func(t *testing.T) {
		raw := "just some text a user typed\nwith a link hxxp://bad[.]example/login\n"
		in, err := ParseReport([]byte(raw), "frank@corp.example")
		require.NoError(t, err)
		require.Equal(t, "Phishing report: (no subject)", in.Title)
		require.Contains(t, in.Labels["parse_error"], "no mail headers")
		require.Contains(t, in.Observables, obs(alert.ObsURL, "http://bad.example/login", "link"))
		require.Contains(t, in.Observables, obs(alert.ObsEmail, "frank@corp.example", "reporter"))
		require.Equal(t, []byte(raw), in.Raw)
	})
	t.Run("bad base64 in an attachment", func(t *testing.T) {
		raw := crlf(`
From: gina@corp.example
Subject: FW: x
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain

note
--b
Content-Type: application/pdf
Content-Disposition: attachment; filename="a.pdf"
Content-Transfer-Encoding: base64

!!!! not base64 !!!!
--b--
`)
		in, err := ParseReport([]byte(raw), "gina@corp.example")
		require.NoError(t, err)
		require.NotEmpty(t, in.Labels["parse_error"])
		require.Contains(t, in.Observables, obs(alert.ObsFileName, "a.pdf", "attachment"))
	})
	t.Run("unreadable attached message", func(t *testing.T) {
		raw := crlf(`
From: hal@corp.example
Subject: FW: x
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: message/rfc822

`) + "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0e\x0f" + "\r\n--b--\r\n"
		in, err := ParseReport([]byte(raw), "hal@corp.example")
		require.NoError(t, err)
		require.Contains(t, in.Labels["parse_error"], "attached message 1")
		require.Equal(t, "Phishing report: FW: x", in.Title)
	})
	for name, raw := range map[string]string{
		"empty":       "",
		"blank":       " \r\n\r\n\t",
		"binary junk": "\x00\x01\x02\xff\xfe binary \x00\x00\x10\x11",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseReport([]byte(raw), "x@corp.example")
			require.ErrorIs(t, err, ErrUnusable)
		})
	}
}

func TestReceivedIPs(t *testing.T) {
	t.Parallel()
	got := receivedIPs("from a.example (a.example [203.0.113.5]) by b (Postfix 3.7.1) with ESMTPS id 1A2B3C; " +
		"Tue, 25 Nov 2026 10:00:02 +0000; from [IPv6:2001:db8::1] (::ffff:192.0.2.9) helo=10.0.0.1.")
	var s []string
	for _, a := range got {
		s = append(s, a.String())
	}
	require.Equal(t, []string{"203.0.113.5", "2001:db8::1", "192.0.2.9", "10.0.0.1"}, s)
}

func TestAuthResults(t *testing.T) {
	t.Parallel()
	require.Equal(t, map[string]string{"spf": "pass", "dkim": "fail", "dmarc": "pass"},
		authResults("mx.example; spf=pass smtp.mailfrom=a.example; dkim=fail header.d=b.example; dkim=pass header.d=c.example; DMARC=Pass"))
	require.Empty(t, authResults("mx.example; none"))
}

// A report's fingerprint is the suspect's: reports by many users of one message fold.
func TestFingerprintFollowsTheSuspect(t *testing.T) {
	t.Parallel()
	a, err := ParseReport([]byte(attachedReport), "alice@corp.example")
	require.NoError(t, err)
	other := strings.ReplaceAll(attachedReport, "alice@corp.example", "zoe@corp.example")
	b, err := ParseReport([]byte(other), "zoe@corp.example")
	require.NoError(t, err)
	require.NotEqual(t, a.Labels["reporter"], b.Labels["reporter"])
	require.Equal(t, a.Fingerprint, b.Fingerprint)
	require.Equal(t, a.SourceRef, b.SourceRef)
	c, err := ParseReport([]byte(inlineReport), "carol@corp.example")
	require.NoError(t, err)
	require.NotEqual(t, a.Fingerprint, c.Fingerprint)
	require.NotEmpty(t, c.Fingerprint)
}

func TestFindForwardedOffsetWithCRLF(t *testing.T) {
	t.Parallel()
	text := "my note\r\n-----Original Message-----\r\nFrom: A <a@b.example>\r\nSubject: s\r\n\r\nbody"
	f, ok := findForwarded(text)
	require.True(t, ok)
	require.True(t, strings.HasPrefix(text[f.offset:], "From: A"))
	require.Equal(t, "my note", trimSeparators(text[:f.offset]))
	require.Equal(t, "A <a@b.example>", f.from)
	require.Equal(t, "s", f.subject)
}
