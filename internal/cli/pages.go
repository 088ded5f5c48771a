package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/quell-ir/quell/internal/apiclient"
	"github.com/quell-ir/quell/internal/store"
)

// addPageFlags adds --limit, --cursor and --all to a list command.
func addPageFlags(cmd *cobra.Command, o *apiclient.ListOptions, all *bool) {
	f := cmd.Flags()
	f.IntVar(&o.Limit, "limit", 0, "page size (default: the server's)")
	f.StringVar(&o.Cursor, "cursor", "", "start at this page (the \"next\" of an earlier page)")
	f.BoolVar(all, "all", false, "follow the pages to the end of the list")
}

// listPages fetches one page from cursor, or with all every page from cursor on.
func listPages[T any](ctx context.Context, all bool, cursor string, fetch func(context.Context, string) (store.Page[T], error)) (store.Page[T], error) {
	if !all {
		return fetch(ctx, cursor)
	}
	items, err := apiclient.All(ctx, 0, func(ctx context.Context, next string) (store.Page[T], error) {
		return fetch(ctx, firstNonEmpty(next, cursor))
	})
	return store.Page[T]{Items: items}, err
}

// printPage prints a page: with -o json the page object itself ({"items":[…],"next":"…"}),
// else the table human writes and, when there is more, a hint on stderr.
func printPage[T any](c *cli, page store.Page[T], human func(io.Writer)) error {
	return printPageFrom(c, page, "--cursor", human)
}

// printPageFrom is printPage for a list whose next page is asked for with cursorFlag.
func printPageFrom[T any](c *cli, page store.Page[T], cursorFlag string, human func(io.Writer)) error {
	if page.Items == nil {
		page.Items = []T{}
	}
	if err := c.show(page, human); err != nil {
		return err
	}
	if page.Next != "" && c.output != outputJSON {
		fmt.Fprintf(c.stderr, "More results: use --all, or %s %s for the next page.\n", cursorFlag, page.Next)
	}
	return nil
}

// anyChanged reports whether any of the named flags was given.
func anyChanged(fs *pflag.FlagSet, names ...string) bool {
	for _, n := range names {
		if fs.Changed(n) {
			return true
		}
	}
	return false
}

// nonNil makes a nil list print as [] in JSON.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
