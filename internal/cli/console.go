package cli

import (
	"bufio"
	"errors"
	"io"
	"os"
	"strings"
)

// console reads secrets from the user.
type console interface {
	// IsTerminal reports whether r is an interactive terminal.
	IsTerminal(r io.Reader) bool
	// ReadPassword reads one line from the terminal r without echoing it.
	ReadPassword(r io.Reader) (string, error)
}

// systemConsole turns terminal echo off with the operating system's own calls.
type systemConsole struct{}

func (systemConsole) IsTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && canHideInput && isTerminal(f.Fd())
}

func (systemConsole) ReadPassword(r io.Reader) (string, error) {
	f, ok := r.(*os.File)
	if !ok {
		return "", errors.New("cannot hide input that is not a terminal")
	}
	return readHidden(f)
}

// readLineFrom reads one line without its line ending. A last line without a newline counts.
func readLineFrom(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return "", errors.New("no input")
		}
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// readRaw reads a line byte by byte from f, so nothing after the line is consumed.
func readRaw(f *os.File) (string, error) {
	var b []byte
	var one [1]byte
	for {
		n, err := f.Read(one[:])
		if n == 1 {
			if one[0] == '\n' {
				break
			}
			b = append(b, one[0])
		}
		if err != nil {
			if errors.Is(err, io.EOF) && len(b) > 0 {
				break
			}
			return "", err
		}
	}
	return strings.TrimRight(string(b), "\r"), nil
}
