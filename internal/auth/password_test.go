package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPasswordHashRoundTrip(t *testing.T) {
	t.Parallel()
	h, err := HashPassword("tr0ub4dor&3-horse")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$"), h)
	ok, err := VerifyPassword(h, "tr0ub4dor&3-horse")
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = VerifyPassword(h, "tr0ub4dor&3-horsE")
	require.NoError(t, err)
	require.False(t, ok)
	h2, _ := HashPassword("tr0ub4dor&3-horse")
	require.NotEqual(t, h, h2, "salted")
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdA$aGFzaA", "plain"} {
		_, err := VerifyPassword(bad, "x")
		require.Error(t, err, bad)
	}
}

func TestPasswordPolicy(t *testing.T) {
	t.Parallel()
	for _, pw := range []string{"", " ", "\t\n  \u00a0", "short"} {
		require.Error(t, CheckPassword("/password", pw), "%q", pw)
	}
	require.Error(t, CheckPassword("/password", strings.Repeat("x", MaxPasswordLen+1)))
	require.NoError(t, CheckPassword("/password", "long enough pass"))
	require.Len(t, GeneratePassword(), 26)
	require.NoError(t, CheckPassword("/password", GeneratePassword()))
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	l := newLimiter(3, time.Minute)
	t0 := time.Unix(1000, 0)
	for i := range 3 {
		require.Zero(t, l.wait("k", t0.Add(time.Duration(i)*time.Second)))
		l.fail("k", t0.Add(time.Duration(i)*time.Second))
	}
	require.Equal(t, 57*time.Second, l.wait("k", t0.Add(3*time.Second)))
	require.Zero(t, l.wait("other", t0))
	// The oldest failure leaves the window after a minute.
	require.Zero(t, l.wait("k", t0.Add(61*time.Second)))
	l.fail("k", t0.Add(62*time.Second))
	l.reset("k")
	require.Zero(t, l.wait("k", t0.Add(62*time.Second)))
}
