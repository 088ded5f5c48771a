package email

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/alert"
)

// ParseReport takes any bytes without panicking: either it refuses them as unusable, or it makes
// an alert that normalises and keeps the bytes whole.
func FuzzParseReport(f *testing.F) {
	f.Add([]byte(attachedReport), "alice@corp.example")
	f.Add([]byte(inlineReport), "carol@corp.example")
	f.Add([]byte(crlf(suspectMessage)), "")
	f.Add([]byte("From: a@b.example\r\nSubject: FW: x\r\n\r\n> *From:* c <c@d.example>\r\n> *Subject:* y\r\n"), "<>")
	f.Add([]byte("From: x\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\nContent-Type: message/rfc822\r\n\r\n--q--"), "")
	f.Add([]byte("just text hxxp://a[.]example"), "")
	f.Add([]byte{0, 1, 2}, "")
	f.Fuzz(func(t *testing.T, raw []byte, from string) {
		in, err := ParseReport(raw, from)
		if err != nil {
			require.ErrorIs(t, err, ErrUnusable)
			return
		}
		require.Equal(t, Source, in.Source)
		require.True(t, bytes.Equal(raw, in.Raw), "the raw report is kept whole")
		a, err := alert.Normalise(in, time.Now(), len(raw)+1)
		require.NoError(t, err)
		require.Equal(t, raw, a.Raw)
		for _, o := range in.Observables {
			_, ok := alert.NewObservable(o.Type, o.Value, o.Role)
			require.True(t, ok, "observable %+v is valid", o)
		}
	})
}
