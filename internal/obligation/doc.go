// Package obligation computes the clocks that run on an incident: regulatory and contractual
// notification obligations (GDPR, NIS2, DORA, SEC Form 8-K, HIPAA and rules an administrator
// writes) and the response SLAs per severity (time to acknowledge, to contain, to resolve).
//
// These are aids, not legal advice. The shipped rules summarise public texts so that a team can
// see its clocks at a glance; whether an obligation applies, when it starts and what must be
// said is for the organisation and its counsel to decide. Every evaluated obligation carries
// [Disclaimer].
//
// The package is pure: it stores nothing, reads no clock and talks to no one. The time is always
// an argument (now); triggers and submissions are passed in by the caller.
//
// # Counting
//
// A [Period] says how a deadline is counted from its start:
//
//   - hours: elapsed time. 72 hours is 72×3600 seconds whatever the wall clock does in between,
//     so a clock that crosses a daylight-saving change ends at a different wall-clock hour.
//   - calendar days: the same local wall-clock time N days later in the calendar's time zone.
//     Across a daylight-saving change one calendar day is 23 or 25 hours. A wall-clock time that
//     does not exist on the last day (skipped by spring-forward) moves forward by the length of
//     the gap (02:30 becomes 03:30); one that exists twice (fall-back) is the earlier of the two.
//   - months: the same local wall-clock time on the same day N months later, clamped to the last
//     day of a shorter month (31 January + 1 month = 28 or 29 February).
//   - business days: the end of the Nth business day after the day of the start, in the
//     calendar's time zone. The day of the start never counts, and neither do weekend days and
//     holidays; so a start on a weekend or a holiday counts from the next business day, and a
//     start on a Friday and on the Saturday after it give the same deadline. "End of the day" is
//     the moment the next calendar day begins (local midnight). This is how SEC Form 8-K's "four
//     business days after" reads: a determination on a Wednesday is due by the end of the
//     following Tuesday.
//   - without undue delay: no fixed deadline; the obligation is open until it is met.
//
// A [Calendar] holds a time zone, the weekend days and a list of holidays. [USFederal] is the
// United States federal holiday calendar (the days the SEC is closed), computed by rule;
// [WeekendsOnly] knows no holidays. Other calendars are data in a rule file.
//
// # Rules and evaluation
//
// A [Rule] starts on a named trigger recorded on the incident (such as
// personal_data_breach_confirmed) or on the submission of another obligation, runs for a
// period, and may have a second "not later than" bound from another trigger: the deadline is
// whichever comes first. [RuleSet.Evaluate] turns the triggers and submissions of one incident
// into a [Status] per rule: not started, due, overdue, open without a fixed deadline, or met
// (on time or late).
//
// A [Policy] holds the SLA targets per severity; [Policy.Evaluate] measures an incident's
// milestones against them.
package obligation

// Disclaimer is attached to every evaluated obligation and shown with the rules.
const Disclaimer = "Quell's obligation rules and deadlines are aids for planning, not legal advice. " +
	"They summarise public texts and may be incomplete, out of date or not applicable to your " +
	"organisation. Whether an obligation applies, when its clock starts and what must be reported " +
	"are decisions for your organisation and its legal counsel."
