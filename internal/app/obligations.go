package app

import (
	"fmt"
	"os"

	"github.com/quell-ir/quell/internal/config"
	"github.com/quell-ir/quell/internal/obligation"
)

// obligations are the rule set and SLA policy the incident clocks run on.
type obligations struct {
	rules  *obligation.RuleSet
	policy *obligation.Policy
}

// loadObligations reads the configured rule file (layered over the shipped rules) and SLA
// policy file (replacing the shipped policy); either left empty keeps the shipped one.
func loadObligations(cfg config.Obligations) (obligations, error) {
	out := obligations{rules: obligation.DefaultRules()}
	if cfg.Rules != "" {
		b, err := readBounded(cfg.Rules)
		if err != nil {
			return out, fmt.Errorf("obligations.rules: %w", err)
		}
		own, err := obligation.ParseRules(b)
		if err != nil {
			return out, fmt.Errorf("obligations.rules %s: %w", cfg.Rules, err)
		}
		if out.rules, err = obligation.Combine(obligation.DefaultRules(), own); err != nil {
			return out, fmt.Errorf("obligations.rules %s: %w", cfg.Rules, err)
		}
	}
	if cfg.SLA != "" {
		b, err := readBounded(cfg.SLA)
		if err != nil {
			return out, fmt.Errorf("obligations.sla: %w", err)
		}
		p, err := obligation.ParsePolicy(b)
		if err != nil {
			return out, fmt.Errorf("obligations.sla %s: %w", cfg.SLA, err)
		}
		out.policy = &p
	}
	return out, nil
}

// readBounded reads a rule or policy file of at most obligation.MaxFileSize bytes.
func readBounded(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > obligation.MaxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, obligation.MaxFileSize)
	}
	return os.ReadFile(path)
}
