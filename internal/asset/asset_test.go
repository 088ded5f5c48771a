package asset

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/validation"
)

func TestNormalizeIdentifier(t *testing.T) {
	t.Parallel()
	good := map[Identifier]string{
		{IDIP, " 10.0.0.1 "}:           "10.0.0.1",
		{IDIP, "::ffff:10.0.0.1"}:      "10.0.0.1",
		{IDIP, "2001:DB8::1"}:          "2001:db8::1",
		{IDCIDR, "10.1.2.3/16"}:        "10.1.0.0/16",
		{IDHostname, "WEB01."}:         "web01",
		{IDFQDN, "Web01.Corp.Example"}: "web01.corp.example",
		{IDEmail, "Ann@Example.org"}:   "ann@example.org",
		{IDUsername, "CORP\\Ann"}:      "CORP\\Ann",
	}
	for in, want := range good {
		got, err := NormalizeIdentifier(in)
		require.NoError(t, err, "%v", in)
		require.Equal(t, want, got.Value, "%v", in)
	}
	for _, in := range []Identifier{{IDIP, "10.0.0.256"}, {IDCIDR, "10.0.0.0/33"}, {"serial", "x"}, {IDHostname, "  "}} {
		_, err := NormalizeIdentifier(in)
		require.Error(t, err, "%v", in)
	}
}

func TestValidateAsset(t *testing.T) {
	t.Parallel()
	a := Asset{Kind: KindHost, Name: " db01 ", Criticality: 4, Identifiers: []Identifier{{IDIP, "10.0.0.5"}}}
	require.NoError(t, a.Validate())
	require.Equal(t, "db01", a.Name)
	require.Equal(t, ClassInternal, a.DataClassification)

	for ptr, mut := range map[string]func(*Asset){
		"/criticality":         func(a *Asset) { a.Criticality = 5 },
		"/kind":                func(a *Asset) { a.Kind = "printer" },
		"/name":                func(a *Asset) { a.Name = "" },
		"/data_classification": func(a *Asset) { a.DataClassification = "secret" },
		"/identifiers/1":       func(a *Asset) { a.Identifiers = append(a.Identifiers, Identifier{IDIP, "nope"}) },
	} {
		b := Asset{Kind: KindHost, Name: "x", Criticality: 2, Identifiers: []Identifier{{IDIP, "10.0.0.5"}}}
		mut(&b)
		v, ok := validation.As(b.Validate())
		require.True(t, ok, ptr)
		require.Equal(t, ptr, v.Pointer)
	}
}
