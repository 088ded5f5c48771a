// Package playbook reads, checks and plans incident response playbooks.
//
// A playbook is a YAML document that says, phase by phase, what responders do about one kind of
// incident: the roles it needs, the steps (today tasks; later actions and communications) with
// who does them and by when, the conditions for leaving each phase and links to guidance. The
// format is described in docs/playbooks.md and by a JSON Schema (Schema).
//
// Parse and Lint read a document and report problems with their file, line and column;
// LintFiles also finds playbook ids used by several files. Builtin returns the library shipped
// in the binary. Matches and Select decide which playbook fits an incident, and Tasks plans the
// tasks a playbook creates on it, with due times where they can be known.
//
// The package is pure: it reads no files, opens no connections and reads no clock (callers pass
// now and the times the incident's phases started).
package playbook
