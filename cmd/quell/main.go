// Command quell is Quell's single binary: the server (`quell serve`), the admin verbs that
// work on a data directory or database (`quell migrate`, `quell user create`, `quell audit
// verify`, `quell backup`, `quell restore`), the intake load generator (`quell bench intake`)
// and the client verbs that talk to a server through its API (`quell login`, `quell incident …`).
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/quell-ir/quell/internal/cli"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}

// env is what a run of the command sees of the process, replaced in tests.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// run executes the command line args and returns the exit code.
func run(ctx context.Context, args []string, e env) int {
	root := cli.NewRoot(version, e.stdout, e.stderr)
	root.SetIn(e.stdin)
	root.SetArgs(args)
	addServerCommands(root, e)
	return cli.Execute(ctx, root)
}
