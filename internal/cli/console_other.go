//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd || windows)

package cli

import (
	"errors"
	"os"
)

// canHideInput is false where echo cannot be turned off; passwords are then read as a plain
// line, after a warning.
const canHideInput = false

func isTerminal(uintptr) bool { return false }

func readHidden(*os.File) (string, error) {
	return "", errors.New("hiding input is not supported on this system")
}
