package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/quell-ir/quell/internal/validation"
)

// Argon2id parameters (RFC 9106 / OWASP guidance for interactive logins: 19 MiB, 2 passes).
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Password length bounds. The upper bound keeps hashing cost bounded.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 1024
)

// CheckPassword enforces the password policy: never empty or white space only, at least
// MinPasswordLen characters, at most MaxPasswordLen bytes.
func CheckPassword(pointer, pw string) error {
	if strings.TrimFunc(pw, unicode.IsSpace) == "" {
		return validation.Errorf(pointer, "a password cannot be empty or only white space")
	}
	if utf8.RuneCountInString(pw) < MinPasswordLen {
		return validation.Errorf(pointer, "a password needs at least %d characters", MinPasswordLen)
	}
	if len(pw) > MaxPasswordLen {
		return validation.Errorf(pointer, "a password has at most %d bytes", MaxPasswordLen)
	}
	return nil
}

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errBadHash = errors.New("malformed password hash")

// VerifyPassword reports whether pw matches an argon2id PHC hash, in constant time.
func VerifyPassword(hash, pw string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	var mem, iter uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iter, &threads); err != nil || mem == 0 || iter == 0 || threads == 0 || mem > 1<<20 || iter > 20 {
		return false, errBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 128 {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(pw), salt, iter, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is verified against when a user name is unknown, so that unknown users and
// wrong passwords take the same time to refuse. It is made on first use, not at start-up.
var dummyHash = sync.OnceValue(func() string {
	h, err := HashPassword("quell-no-such-user-password")
	if err != nil {
		panic(err)
	}
	return h
})

// GeneratePassword returns a random password of 26 base32 characters (130 bits).
func GeneratePassword() string { return rand.Text() }
