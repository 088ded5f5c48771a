// Package formats turns the bodies of HTTP intake requests into alert inputs: Quell's own alert
// schema, the native payloads of the tools that send alerts (Alertmanager, Elastic, Splunk,
// Wazuh, Suricata, Falco, Microsoft Defender, CrowdStrike Falcon) and, for anything else, a
// mapping of expressions written by an admin.
//
// Every parser returns inputs that are not yet normalised; the caller runs alert.Normalise on
// each. A parser reads one whole body: it either returns every alert in it or an error, never
// part of the body. Every error is a *validation.Error whose Pointer is a JSON Pointer
// (RFC 6901) to the field that is wrong, such as "/alerts/2/labels", or "" when the body as a
// whole is wrong (for bad JSON the message gives the line, column and byte offset). Where a
// body carries several alerts as newline-delimited JSON, the first segment of the pointer
// counts the objects in the stream, as it would count the elements of an array.
//
// Items that are not alerts (a Suricata flow event, a CrowdStrike authentication audit event)
// are skipped; a non-empty body none of whose items is an alert is refused, so that a sender
// pointed at the wrong endpoint hears about it.
//
// What every parser fills in:
//
//	Source       the format name ("suricata", "alertmanager", …)
//	SourceRef    the tool's own id of the alert, where it has one
//	Fingerprint  the tool's deduplication key, or one built from what identifies the problem
//	Title, Description, Severity (on Quell's scale; see each parser for the mapping)
//	Labels       flat key → value strings useful for search, silences and correlation
//	Observables  typed values with their roles (source and destination addresses, hosts,
//	             users, hashes, file names, domains, URLs)
//	OccurredAt   the tool's own time of the event
//	Resolved     for tools that send an all-clear (Alertmanager, Elastic recovered alerts,
//	             Defender resolved alerts)
//	Raw          the JSON text of that one alert, not of the whole batch
package formats

import (
	"slices"

	"github.com/quell-ir/quell/internal/alert"
)

// Parser reads one request body of a native format into alert inputs.
type Parser func(body []byte) ([]alert.Input, error)

// Format names, as they appear in the intake URL (/api/v1/intake/{format}) and as the Source
// of the alerts each parser returns.
const (
	Alertmanager = "alertmanager"
	Elastic      = "elastic"
	Splunk       = "splunk"
	Wazuh        = "wazuh"
	Suricata     = "suricata"
	Falco        = "falco"
	Defender     = "defender"
	CrowdStrike  = "crowdstrike"
)

var parsers = map[string]Parser{
	Alertmanager: parseAlertmanager,
	Elastic:      parseElastic,
	Splunk:       parseSplunk,
	Wazuh:        parseWazuh,
	Suricata:     parseSuricata,
	Falco:        parseFalco,
	Defender:     parseDefender,
	CrowdStrike:  parseCrowdStrike,
}

// Lookup returns the parser of a native format by its name. The generic format is not among
// them: it needs a mapping (see CompileMapping), and Quell's own schema has DecodeQuell.
func Lookup(format string) (Parser, bool) {
	p, ok := parsers[format]
	return p, ok
}

// Names lists the native formats Lookup knows, in alphabetical order.
func Names() []string {
	names := make([]string, 0, len(parsers))
	for name := range parsers {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
