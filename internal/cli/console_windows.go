package cli

import (
	"os"

	"golang.org/x/sys/windows"
)

const canHideInput = true

func isTerminal(fd uintptr) bool {
	var mode uint32
	return windows.GetConsoleMode(windows.Handle(fd), &mode) == nil
}

// readHidden turns echo off, reads a line and puts the console back as it was.
func readHidden(f *os.File) (string, error) {
	h := windows.Handle(f.Fd())
	var old uint32
	if err := windows.GetConsoleMode(h, &old); err != nil {
		return "", err
	}
	quiet := old&^windows.ENABLE_ECHO_INPUT | windows.ENABLE_PROCESSED_INPUT | windows.ENABLE_LINE_INPUT
	if err := windows.SetConsoleMode(h, quiet); err != nil {
		return "", err
	}
	defer func() { _ = windows.SetConsoleMode(h, old) }()
	return readRaw(f)
}
