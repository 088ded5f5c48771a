package audit

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func chain(n int) []Record {
	var recs []Record
	prevSeq, prevHash := int64(0), GenesisHash
	for i := range n {
		r := Record{ID: string(rune('a' + i)), At: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC), Actor: "alice",
			Action: "incident.update", ObjectType: "incident", ObjectID: "x", Changes: json.RawMessage(`{"title":["a","b"]}`)}
		r.Seal(prevSeq, prevHash)
		prevSeq, prevHash = r.Seq, r.Hash
		recs = append(recs, r)
	}
	return recs
}

func verify(recs []Record) (int64, error) {
	v := NewVerifier()
	for _, r := range recs {
		if err := v.Check(r); err != nil {
			return v.Count, err
		}
	}
	return v.Count, nil
}

func TestChainVerifies(t *testing.T) {
	t.Parallel()
	n, err := verify(chain(5))
	require.NoError(t, err)
	require.EqualValues(t, 5, n)
}

func TestChainNamesFirstBrokenRecord(t *testing.T) {
	t.Parallel()
	// Record 3 (index 2) is tampered with; the verifier names the first record that does not fit.
	cases := map[string]struct {
		mutate func([]Record) []Record
		seq    int64
	}{
		"edited changes": {func(r []Record) []Record { r[2].Changes = json.RawMessage(`{"title":["a","c"]}`); return r }, 3},
		"edited actor":   {func(r []Record) []Record { r[2].Actor = "mallory"; return r }, 3},
		"edited time":    {func(r []Record) []Record { r[2].At = r[2].At.Add(time.Nanosecond); return r }, 3},
		"removed record": {func(r []Record) []Record { return append(r[:2], r[3:]...) }, 4},
		"swapped":        {func(r []Record) []Record { r[2], r[3] = r[3], r[2]; return r }, 4},
		// The edited record hashes right again, but the next one no longer links to it.
		"rehashed alone": {func(r []Record) []Record { r[2].Actor = "mallory"; r[2].Hash = r[2].ComputeHash(); return r }, 4},
	}
	for name, c := range cases {
		n, err := verify(c.mutate(chain(5)))
		var b *Break
		require.True(t, errors.As(err, &b), name)
		require.EqualValues(t, c.seq, b.Seq, name)
		require.Less(t, n, int64(5), name)
	}
}

func TestCanonicalIsUnambiguous(t *testing.T) {
	t.Parallel()
	a := Record{Actor: "ab", Action: "c"}
	b := Record{Actor: "a", Action: "bc"}
	require.NotEqual(t, a.Canonical(), b.Canonical())
}
