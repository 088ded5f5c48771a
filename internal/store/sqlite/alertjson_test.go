package sqlite

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/alert"
)

// FuzzAlertJSON holds the alert encoders to encoding/json's bytes, for any strings.
func FuzzAlertJSON(f *testing.F) {
	f.Add("host", "web-01", "ipv4", "203.0.113.7", "source")
	f.Add("a\"b\\c", "<script>&</script>", "url", "http://x/\u2028\u2029", "")
	f.Add("\x00\x1f\x7f", "\xff\xfe broken", "email", "é ü 日本", "\t\n\r\b\f")
	f.Fuzz(func(t *testing.T, k, v, typ, value, role string) {
		labels := map[string]string{k: v, v: k, "z" + k: value}
		want, err := json.Marshal(labels)
		require.NoError(t, err)
		require.Equal(t, string(want), labelsJSON(labels))

		obs := []alert.Observable{{Type: alert.ObservableType(typ), Value: value, Role: role}, {Type: "ipv4", Value: v}}
		want, err = json.Marshal(obs)
		require.NoError(t, err)
		require.Equal(t, string(want), observablesJSON(obs))

		list := []string{k, v, value}
		want, err = json.Marshal(list)
		require.NoError(t, err)
		require.Equal(t, string(want), stringsJSON(list))
	})
}

func TestAlertJSONEmpty(t *testing.T) {
	for _, c := range []struct {
		got  string
		want any
	}{
		{labelsJSON(nil), map[string]string(nil)},
		{labelsJSON(map[string]string{}), map[string]string{}},
		{observablesJSON(nil), []alert.Observable(nil)},
		{observablesJSON([]alert.Observable{}), []alert.Observable{}},
		{stringsJSON(nil), []string(nil)},
		{stringsJSON([]string{}), []string{}},
	} {
		want, err := json.Marshal(c.want)
		require.NoError(t, err)
		require.Equal(t, string(want), c.got)
	}
}
