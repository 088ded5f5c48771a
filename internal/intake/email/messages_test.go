package email

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// crlf writes a message with CRLF line ends, as SMTP carries it.
func crlf(s string) string { return strings.ReplaceAll(strings.TrimPrefix(s, "\n"), "\n", "\r\n") }

// Attachment contents of the suspect message, and their SHA-256.
var (
	pdfContent = []byte("%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n")
	zipContent = []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00fake zip for a test\x00\x01\x02\x03")
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func b64(b []byte) string {
	enc := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(enc) > 76 {
		out.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	out.WriteString(enc)
	return out.String()
}

// suspectMessage is a phishing message as it reached a user's mailbox: a Received chain, an
// Authentication-Results verdict, an HTML body with links, a PDF and a zip.
var suspectMessage = `
Return-Path: <bounce@evil.example>
Received: from mail.evil.example (mail.evil.example [203.0.113.5])
	by mx1.corp.example (Postfix) with ESMTPS id 4Xyz9
	for <bob@corp.example>; Tue, 25 Nov 2026 10:00:02 +0000 (UTC)
Received: from [10.1.2.3] (unknown [IPv6:2001:db8::beef])
	by mail.evil.example with ESMTPSA id abc123; Tue, 25 Nov 2026 10:00:01 +0000
Authentication-Results: mx1.corp.example; spf=fail smtp.mailfrom=evil.example;
	dkim=none; dmarc=fail (p=reject) header.from=paypa1.example
From: "PayPal Support" <support@paypa1.example>
Reply-To: collect@evil-reply.example
To: bob@corp.example
Subject: Your mailbox is full
Message-ID: <phish-123@evil.example>
Date: Tue, 25 Nov 2026 09:59:00 +0000
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer-b"

--outer-b
Content-Type: multipart/alternative; boundary="alt-b"

--alt-b
Content-Type: text/plain; charset=utf-8

Your mailbox is full. Visit hxxps://login-paypa1[.]example/verify now.

--alt-b
Content-Type: text/html; charset=utf-8

<html><body><p>Your mailbox is full.</p>
<p><a href="https://login-paypa1.example/verify?id=1">Verify your account</a>
or write to <a href="mailto:help@evil-reply.example?subject=help">support</a>.</p>
<form action="http://198.51.100.23/collect"><input type="password"></form>
<a href="#top">top</a> <a href="javascript:void(0)">x</a></body></html>

--alt-b--

--outer-b
Content-Type: application/pdf; name="invoice.pdf"
Content-Disposition: attachment; filename="invoice.pdf"
Content-Transfer-Encoding: base64

` + b64(pdfContent) + `
--outer-b
Content-Type: application/zip; name="docs.zip"
Content-Disposition: attachment; filename="docs.zip"
Content-Transfer-Encoding: base64

` + b64(zipContent) + `
--outer-b--
`

// attachedReport is a user's report with the suspect message attached, as mail programs'
// "forward as attachment" and report buttons send it. A line starts with a dot, which SMTP
// stuffs and unstuffs.
var attachedReport = crlf(`
Received: from ws-17.corp.example (ws-17.corp.example [10.20.30.40])
	by relay.corp.example with ESMTPS; Tue, 25 Nov 2026 10:05:00 +0000
From: Alice Example <alice@corp.example>
To: phish@corp.example
Subject: FW: Your mailbox is full
Message-ID: <report-1@corp.example>
Date: Tue, 25 Nov 2026 10:05:00 +0000
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="report-b"

--report-b
Content-Type: text/plain; charset=utf-8

This looks fake, I did not click.
.and this line starts with a dot

--report-b
Content-Type: message/rfc822
Content-Disposition: attachment; filename="Your mailbox is full.eml"

` + strings.TrimPrefix(suspectMessage, "\n") + `
--report-b--
`)

// inlineReport is a report forwarded inline, with the forwarded block mail programs write.
var inlineReport = crlf(`
From: Carol <carol@corp.example>
To: phish@corp.example
Subject: Fwd: Urgent wire transfer
Message-ID: <report-2@corp.example>
Date: Tue, 25 Nov 2026 11:00:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Please check this, it does not look like our CEO.

---------- Forwarded message ---------
From: CEO <ceo@corp-example.example>
Date: Mon, 24 Nov 2026 08:00:00 +0000
Subject: Urgent wire transfer
To: Carol <carol@corp.example>

Hi Carol, please pay the invoice at http://pay.badbank.example/inv/77 today.
Reply to finance@corp-example.example only.
`)
