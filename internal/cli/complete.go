package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// Shell completion comes from cobra's `completion` command; the helpers below feed it the
// values of enumerated flags and arguments from the domain packages' lists.

type completionFunc = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective)

func fixedCompletion(values []string) completionFunc {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

func enumCompletion[T ~string](values []T) completionFunc { return fixedCompletion(strs(values)) }

// listCompletion completes a comma-separated list of enumerated values (--phase a,b).
func listCompletion[T ~string](values []T) completionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		done, last := "", toComplete
		if i := strings.LastIndex(toComplete, ","); i >= 0 {
			done, last = toComplete[:i+1], toComplete[i+1:]
		}
		var out []string
		for _, v := range strs(values) {
			if strings.HasPrefix(v, last) {
				out = append(out, done+v)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

// positionalCompletion completes argument number pos (from 0) from values, and nothing else.
func positionalCompletion[T ~string](pos int, values []T) completionFunc {
	return func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) == pos {
			return strs(values), cobra.ShellCompDirectiveNoFileComp
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
}

func strs[T ~string](values []T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

// enumFlag registers completion of a flag from values.
func enumFlag[T ~string](cmd *cobra.Command, name string, values []T) {
	_ = cmd.RegisterFlagCompletionFunc(name, enumCompletion(values))
}

// checkEnum checks a flag value against the known values, so a typo fails before any request.
func checkEnum[T ~string](flag, value string, values []T) (T, error) {
	return checkValue("--"+flag, value, values)
}

// checkArg checks a positional argument (what names it) against the known values.
func checkArg[T ~string](what, value string, values []T) (T, error) {
	if value == "" {
		return "", &usageError{err: fmt.Errorf("%s is required: one of %s", what, strings.Join(strs(values), ", "))}
	}
	return checkValue(what, value, values)
}

func checkValue[T ~string](what, value string, values []T) (T, error) {
	if value == "" || slices.Contains(values, T(value)) {
		return T(value), nil
	}
	return "", &usageError{err: fmt.Errorf("%s %q: must be one of %s", what, value, strings.Join(strs(values), ", "))}
}

// checkEnums splits a comma-separated (or repeated) flag and checks every value.
func checkEnums[T ~string](flag string, raw []string, values []T) ([]T, error) {
	var out []T
	for _, r := range raw {
		for _, v := range strings.Split(r, ",") {
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			t, err := checkEnum(flag, v, values)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
	}
	return out, nil
}
