package email

import (
	"fmt"
	"strings"
	"testing"
)

// manyLinks is a report whose text holds thousands of links: the search for indicators must stay
// close to linear in it.
func manyLinks() string {
	var b strings.Builder
	b.WriteString("From: a@corp.example\r\nSubject: FW: links\r\nContent-Type: text/plain\r\n\r\n")
	for i := range 20000 {
		fmt.Fprintf(&b, "Visit http://link%d.example.com/path and write to user%d@example.net today.\r\n", i%300, i%300)
	}
	return b.String()
}

func BenchmarkParseReport(b *testing.B) {
	for _, m := range []struct{ name, raw string }{
		{"attached", attachedReport}, {"inline", inlineReport}, {"many-links", manyLinks()},
	} {
		b.Run(m.name, func(b *testing.B) {
			b.SetBytes(int64(len(m.raw)))
			for b.Loop() {
				if _, err := ParseReport([]byte(m.raw), "a@corp.example"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
