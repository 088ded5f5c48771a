// Package archtest holds the rules of Quell's dependency direction and checks a package graph
// against them. Its test loads the module's real graph with `go list` and fails on the first
// import that points the wrong way, naming the importing package, the import and, for an
// indirect one, the chain of imports that leads to it.
//
// The direction is: domain ← store (port) ← engines ← transports ← app ← cmd. Domain packages
// are pure rules and types; the storage port knows no driver; engines know no transport and
// no driver; the server's transports (the JSON API and the web UI) are siblings that know
// neither each other nor a driver.
package archtest

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Module is the module path of Quell.
const Module = "github.com/quell-ir/quell"

// Domain lists the domain packages: pure types and rules. Some are planned and may not exist yet.
var Domain = []string{
	"internal/incident", "internal/asset", "internal/audit", "internal/access", "internal/validation",
	"internal/alert", "internal/playbook", "internal/obligation", "internal/plan", "internal/indicator", "internal/evidence",
}

// Engines are the use cases, which reach storage only through the port.
var Engines = []string{
	"internal/casework", "internal/auth", "internal/jobs",
	"internal/intake", "internal/correlate", "internal/respond", "internal/notify", "internal/detect", "internal/scan",
}

// ServerTransports are the transports the server serves side by side.
var ServerTransports = []string{"internal/httpapi", "internal/web"}

// Transports and the layers above them.
var (
	Transports = []string{"internal/httpapi", "internal/web", "internal/cli", "internal/apiclient"}
	Wiring     = []string{"internal/app", "cmd"}
)

// StoreDrivers are Quell's storage drivers; StorePort is the port they implement.
var (
	StorePort    = "internal/store"
	StoreDrivers = []string{"internal/store/sqlite", "internal/store/postgres"}
)

// DriverModules are database drivers and the job queue's database layer, from outside.
var DriverModules = []string{
	"modernc.org/sqlite", "github.com/mattn/go-sqlite3", "github.com/jackc/pgx", "github.com/lib/pq",
	"github.com/riverqueue/river",
}

// Package is one node of the import graph, as `go list -json` describes it.
type Package struct {
	ImportPath string
	Imports    []string
}

// Rule forbids a set of packages from importing another set, directly or through others.
type Rule struct {
	Name string
	// Why is the reason printed with a violation.
	Why string
	// Applies selects the packages the rule constrains.
	Applies func(pkg string) bool
	// Forbidden selects the imports they may not have.
	Forbidden func(imp string) bool
	// Direct limits the rule to direct imports; otherwise imports through other packages
	// count too.
	Direct bool
}

// Violation is one forbidden import.
type Violation struct {
	Rule    string
	Package string
	Import  string
	// Chain is the path of imports from Package to Import, both included.
	Chain []string
	Why   string
}

func (v Violation) String() string {
	s := fmt.Sprintf("%s imports %s", short(v.Package), short(v.Import))
	if len(v.Chain) > 2 {
		parts := make([]string, len(v.Chain))
		for i, p := range v.Chain {
			parts[i] = short(p)
		}
		s += " (via " + strings.Join(parts, " → ") + ")"
	}
	return fmt.Sprintf("%s: %s: %s", v.Rule, s, v.Why)
}

// short strips the module path from a package of this module.
func short(p string) string { return strings.TrimPrefix(p, Module+"/") }

// under reports whether pkg is one of roots (module-relative) or below one.
func under(pkg string, roots ...string) bool {
	for _, r := range roots {
		full := r
		if strings.HasPrefix(r, "internal/") || r == "cmd" {
			full = Module + "/" + r
		}
		if pkg == full || strings.HasPrefix(pkg, full+"/") {
			return true
		}
	}
	return false
}

// Rules are the rules of the house.
func Rules() []Rule {
	return []Rule{
		{
			Name: "domain is pure",
			Why:  "domain packages are pure types and rules: no storage, network, process or transport packages",
			Applies: func(p string) bool {
				return under(p, Domain...)
			},
			Forbidden: func(i string) bool {
				return under(i, StorePort) || under(i, Engines...) || under(i, Transports...) || under(i, Wiring...) ||
					under(i, "net/http", "database/sql", "os/exec") || under(i, DriverModules...)
			},
		},
		{
			Name: "store port knows no driver",
			Why:  "the storage port declares interfaces; drivers implement it, never the other way round",
			Applies: func(p string) bool {
				return p == Module+"/"+StorePort
			},
			Forbidden: func(i string) bool {
				return under(i, StoreDrivers...) || under(i, DriverModules...) || under(i, Engines...) ||
					under(i, Transports...) || under(i, Wiring...)
			},
		},
		{
			Name: "engines know no transport or driver",
			Why:  "use cases reach storage through the port and are reached by transports, not the reverse",
			Applies: func(p string) bool {
				return under(p, Engines...)
			},
			Forbidden: func(i string) bool {
				return under(i, Transports...) || under(i, Wiring...) || under(i, StoreDrivers...) ||
					under(i, "modernc.org/sqlite", "github.com/mattn/go-sqlite3", "github.com/lib/pq")
			},
		},
		{
			Name: "server transports are siblings",
			Why:  "the JSON API and the web UI each call the engines; neither builds on the other, and neither knows a storage driver or the wiring",
			Applies: func(p string) bool {
				return under(p, ServerTransports...)
			},
			Forbidden: func(i string) bool {
				return under(i, Transports...) || under(i, Wiring...) || under(i, StoreDrivers...) || under(i, DriverModules...)
			},
		},
	}
}

// Check applies rules to the graph and returns every violation, sorted. A package violating
// a rule through several imports is reported once per forbidden import.
func Check(pkgs []Package, rules []Rule) []Violation {
	graph := make(map[string][]string, len(pkgs))
	for _, p := range pkgs {
		graph[p.ImportPath] = p.Imports
	}
	var out []Violation
	for _, r := range rules {
		for _, p := range pkgs {
			if !r.Applies(p.ImportPath) {
				continue
			}
			if r.Direct {
				for _, imp := range p.Imports {
					if r.Forbidden(imp) {
						out = append(out, Violation{Rule: r.Name, Package: p.ImportPath, Import: imp, Chain: []string{p.ImportPath, imp}, Why: r.Why})
					}
				}
				continue
			}
			for imp, chain := range reach(graph, p.ImportPath, r.Forbidden) {
				out = append(out, Violation{Rule: r.Name, Package: p.ImportPath, Import: imp, Chain: chain, Why: r.Why})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		if a.Import != b.Import {
			return a.Import < b.Import
		}
		return a.Rule < b.Rule
	})
	return out
}

// reach walks the imports of from breadth first and returns each forbidden package it reaches
// with the shortest chain of imports to it. It does not walk past a forbidden package.
func reach(graph map[string][]string, from string, forbidden func(string) bool) map[string][]string {
	prev := map[string]string{from: ""}
	found := map[string][]string{}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		imps := slices.Clone(graph[cur])
		slices.Sort(imps)
		for _, imp := range imps {
			if _, seen := prev[imp]; seen {
				continue
			}
			prev[imp] = cur
			if forbidden(imp) {
				var chain []string
				for n := imp; n != ""; n = prev[n] {
					chain = append(chain, n)
				}
				slices.Reverse(chain)
				found[imp] = chain
				continue
			}
			queue = append(queue, imp)
		}
	}
	return found
}
