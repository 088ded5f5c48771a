package alert

import (
	_ "embed"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/quell-ir/quell/internal/incident"
)

// Rules are the correlation rules: data, not code. Group rules put an alert into the open
// incident that recently took an alert sharing a key with it; open rules say which alerts open
// an incident of their own; every other alert waits in the triage queue.
type Rules struct {
	Group []GroupRule `yaml:"group"`
	Open  []OpenRule  `yaml:"open"`
	// OpenLimit is the most incidents open rules may open for one organisation in a minute
	// (0: no limit). Beyond it, the alerts they match wait in the triage queue: a flood of
	// unrelated alerts must not bury a team under incidents nobody can work.
	OpenLimit int `yaml:"open_limit"`
}

// MaxOpenLimit bounds Rules.OpenLimit.
const MaxOpenLimit = 100_000

// GroupBy names what a group rule compares.
type GroupBy string

// What alerts can share.
const (
	ByFingerprint GroupBy = "fingerprint"
	ByAsset       GroupBy = "asset"
	ByObservable  GroupBy = "observable"
)

// GroupRule joins alerts that share a fingerprint, an asset or an observable within Window.
type GroupRule struct {
	Name   string   `yaml:"name"`
	By     GroupBy  `yaml:"by"`
	Window Duration `yaml:"window"`
	// Types limits an observable rule to these observable types; empty means all.
	Types []ObservableType `yaml:"types"`
	// ExcludePrivate leaves private, loopback and link-local addresses out of an observable rule.
	ExcludePrivate bool `yaml:"exclude_private"`
}

// OpenRule opens an incident for an alert that matches every condition it sets.
type OpenRule struct {
	Name           string   `yaml:"name"`
	MinSeverity    Severity `yaml:"min_severity"`
	MinCriticality int      `yaml:"min_criticality"`
	Source         string   `yaml:"source"`
	TitlePattern   string   `yaml:"title_pattern"`
	// Labels must all be present with these values.
	Labels map[string]string `yaml:"labels"`
	// Type is the incident type to open (default other).
	Type  incident.Type `yaml:"type"`
	title *regexp.Regexp
}

// Duration is a time.Duration written as "4h" or "30m" in YAML.
type Duration time.Duration

// UnmarshalYAML reads a duration such as "90m".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration such as 30m or 4h", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

//go:embed rules/default.yaml
var defaultRules []byte

// DefaultRulesYAML is the shipped rule set, as YAML.
func DefaultRulesYAML() []byte { return slices.Clone(defaultRules) }

// DefaultRules returns the shipped rule set.
func DefaultRules() *Rules {
	r, err := ParseRules(defaultRules)
	if err != nil {
		panic("alert: default rules: " + err.Error())
	}
	return r
}

// MaxWindow bounds a group rule's window.
const MaxWindow = 30 * 24 * time.Hour

// ParseRules reads and checks a rule set. Errors name the rule and, for YAML errors, the line.
func ParseRules(b []byte) (*Rules, error) {
	var r Rules
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("correlation rules: %w", err)
	}
	names := map[string]bool{}
	name := func(kind string, i int, n string) (string, error) {
		if strings.TrimSpace(n) == "" {
			return "", fmt.Errorf("correlation rules: %s rule %d has no name", kind, i+1)
		}
		if names[n] {
			return "", fmt.Errorf("correlation rules: two rules are named %q", n)
		}
		names[n] = true
		return n, nil
	}
	for i := range r.Group {
		g := &r.Group[i]
		n, err := name("group", i, g.Name)
		if err != nil {
			return nil, err
		}
		switch g.By {
		case ByFingerprint, ByAsset, ByObservable:
		default:
			return nil, fmt.Errorf("correlation rules: rule %q: by must be fingerprint, asset or observable", n)
		}
		if g.Window <= 0 || time.Duration(g.Window) > MaxWindow {
			return nil, fmt.Errorf("correlation rules: rule %q: window must be between 1s and %s", n, MaxWindow)
		}
		for _, t := range g.Types {
			if !t.Valid() {
				return nil, fmt.Errorf("correlation rules: rule %q: %q is not an observable type", n, t)
			}
		}
	}
	if r.OpenLimit < 0 || r.OpenLimit > MaxOpenLimit {
		return nil, fmt.Errorf("correlation rules: open_limit must be between 0 (no limit) and %d", MaxOpenLimit)
	}
	for i := range r.Open {
		o := &r.Open[i]
		n, err := name("open", i, o.Name)
		if err != nil {
			return nil, err
		}
		if o.MinSeverity != "" {
			sev, ok := ParseSeverity(string(o.MinSeverity))
			if !ok {
				return nil, fmt.Errorf("correlation rules: rule %q: %q is not a severity", n, o.MinSeverity)
			}
			o.MinSeverity = sev
		}
		if o.MinCriticality < 0 || o.MinCriticality > 4 {
			return nil, fmt.Errorf("correlation rules: rule %q: min_criticality must be 1 to 4", n)
		}
		if o.TitlePattern != "" {
			re, err := regexp.Compile(o.TitlePattern)
			if err != nil {
				return nil, fmt.Errorf("correlation rules: rule %q: title_pattern: %v", n, err)
			}
			o.title = re
		}
		if o.Type == "" {
			o.Type = incident.TypeOther
		}
		if !o.Type.Valid() {
			return nil, fmt.Errorf("correlation rules: rule %q: %q is not an incident type", n, o.Type)
		}
		if o.MinSeverity == "" && o.MinCriticality == 0 && o.Source == "" && o.TitlePattern == "" && len(o.Labels) == 0 {
			return nil, fmt.Errorf("correlation rules: rule %q has no condition: it would open an incident for every alert", n)
		}
	}
	return &r, nil
}

// Keys returns the correlation keys of an alert for one group rule, such as
// "fp:suricata:2001219", "asset:01J…" or "ipv4:203.0.113.7".
func (g GroupRule) Keys(a *Alert) []string {
	switch g.By {
	case ByFingerprint:
		return []string{"fp:" + a.Source + ":" + a.Fingerprint}
	case ByAsset:
		keys := make([]string, 0, len(a.AssetIDs))
		for _, id := range a.AssetIDs {
			keys = append(keys, "asset:"+id)
		}
		return keys
	case ByObservable:
		var keys []string
		for _, o := range a.Observables {
			if len(g.Types) > 0 && !slices.Contains(g.Types, o.Type) {
				continue
			}
			if g.ExcludePrivate && (o.Type == ObsIPv4 || o.Type == ObsIPv6) && !public(o.Value) {
				continue
			}
			keys = append(keys, string(o.Type)+":"+o.Value)
		}
		return keys
	}
	return nil
}

// public reports whether an address is routable on the internet.
func public(v string) bool {
	addr, err := netip.ParseAddr(v)
	if err != nil {
		return false
	}
	return !(addr.IsPrivate() || addr.IsLoopback() || addr.IsLinkLocalUnicast() || addr.IsUnspecified() ||
		addr.IsMulticast() || addr.IsLinkLocalMulticast() || addr.IsInterfaceLocalMulticast())
}

// Matches reports whether the rule opens an incident for a, whose assets' highest
// criticality is maxCriticality (0 when it names no asset).
func (o OpenRule) Matches(a *Alert, maxCriticality int) bool {
	if o.MinSeverity != "" && a.Severity.Rank() < o.MinSeverity.Rank() {
		return false
	}
	if o.MinCriticality > 0 && maxCriticality < o.MinCriticality {
		return false
	}
	if o.Source != "" && o.Source != a.Source {
		return false
	}
	if o.title != nil && !o.title.MatchString(a.Title) {
		return false
	}
	for k, v := range o.Labels {
		if a.Labels[k] != v {
			return false
		}
	}
	return true
}

// Opening returns the first open rule that matches a, if any.
func (r *Rules) Opening(a *Alert, maxCriticality int) (OpenRule, bool) {
	for _, o := range r.Open {
		if o.Matches(a, maxCriticality) {
			return o, true
		}
	}
	return OpenRule{}, false
}
