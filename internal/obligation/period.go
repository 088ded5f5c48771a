package obligation

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Unit is how a period is counted; see the package documentation.
type Unit string

// Units.
const (
	Hours        Unit = "hours"
	CalendarDays Unit = "calendar_days"
	Months       Unit = "months"
	BusinessDays Unit = "business_days"
	// UndueDelay is an obligation with no fixed deadline: "without undue delay".
	UndueDelay Unit = "without_undue_delay"
)

// maxCount bounds the count of each unit: about ten years.
var maxCount = map[Unit]int{Hours: 87600, CalendarDays: 3660, Months: 120, BusinessDays: 2610}

// Period is how long an obligation runs from its start: N units, or no fixed deadline.
type Period struct {
	N    int
	Unit Unit
}

// HoursPeriod returns a period of n elapsed hours.
func HoursPeriod(n int) Period { return Period{n, Hours} }

// CalendarDaysPeriod returns a period of n calendar days.
func CalendarDaysPeriod(n int) Period { return Period{n, CalendarDays} }

// MonthsPeriod returns a period of n months.
func MonthsPeriod(n int) Period { return Period{n, Months} }

// BusinessDaysPeriod returns a period of n business days.
func BusinessDaysPeriod(n int) Period { return Period{n, BusinessDays} }

// WithoutUndueDelay is the period of an obligation that has no fixed deadline.
var WithoutUndueDelay = Period{Unit: UndueDelay}

const periodHelp = `write "72 hours", "60 calendar days", "4 business days", "1 month" or "without undue delay"`

// ParsePeriod reads a period as written in a rule file: "72 hours" (or "72h"), "60 calendar
// days", "4 business days", "1 month" or "without undue delay", in any case. Plain "days" is
// refused: say calendar or business days.
func ParsePeriod(s string) (Period, error) {
	f := strings.Fields(strings.ToLower(s))
	if strings.Join(f, " ") == "without undue delay" {
		return WithoutUndueDelay, nil
	}
	if len(f) == 1 {
		if n, ok := strings.CutSuffix(f[0], "h"); ok && n != "" {
			f = []string{n, "hours"}
		}
	}
	var p Period
	if len(f) < 2 || len(f) > 3 {
		return p, fmt.Errorf("%q is not a period: %s", s, periodHelp)
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || strings.HasPrefix(f[0], "+") {
		return p, fmt.Errorf("%q is not a period: it must start with a whole number; %s", s, periodHelp)
	}
	word := strings.Join(f[1:], " ")
	switch word {
	case "h", "hour", "hours":
		p.Unit = Hours
	case "calendar day", "calendar days":
		p.Unit = CalendarDays
	case "business day", "business days":
		p.Unit = BusinessDays
	case "month", "months":
		p.Unit = Months
	case "day", "days":
		return p, fmt.Errorf("%q is ambiguous: say %d calendar days or %d business days", s, n, n)
	default:
		return p, fmt.Errorf("%q is not a period: %s", s, periodHelp)
	}
	p.N = n
	return p, p.Validate()
}

// Validate reports whether the period has a known unit and a count between 1 and about ten
// years.
func (p Period) Validate() error {
	if p.Unit == UndueDelay {
		if p.N != 0 {
			return fmt.Errorf("a period without undue delay has no count")
		}
		return nil
	}
	limit, ok := maxCount[p.Unit]
	if !ok {
		return fmt.Errorf("%q is not a unit of period", p.Unit)
	}
	if p.N < 1 || p.N > limit {
		return fmt.Errorf("%s: the count must be between 1 and %d", p, limit)
	}
	return nil
}

// HasDeadline reports whether the period ends at a fixed time.
func (p Period) HasDeadline() bool { return p.Unit != UndueDelay }

// String writes the period as a rule file does: "72 hours", "1 calendar day".
func (p Period) String() string {
	var one, many string
	switch p.Unit {
	case UndueDelay:
		return "without undue delay"
	case Hours:
		one, many = "hour", "hours"
	case CalendarDays:
		one, many = "calendar day", "calendar days"
	case BusinessDays:
		one, many = "business day", "business days"
	case Months:
		one, many = "month", "months"
	default:
		return fmt.Sprintf("%d %s", p.N, p.Unit)
	}
	if p.N == 1 {
		return "1 " + one
	}
	return strconv.Itoa(p.N) + " " + many
}

// MarshalText writes the period as [Period.String] does, for JSON.
func (p Period) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads a period as [ParsePeriod] does.
func (p *Period) UnmarshalText(b []byte) error {
	v, err := ParsePeriod(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Deadline returns the end of the period started at start, counted in cal (nil means the
// built-in "weekends" calendar in UTC), in UTC. ok is false for a period with no fixed
// deadline. See the package documentation for how each unit counts.
func (p Period) Deadline(start time.Time, cal *Calendar) (deadline time.Time, ok bool) {
	if cal == nil {
		cal = weekendsUTC()
	}
	switch p.Unit {
	case Hours:
		deadline = start.Add(time.Duration(p.N) * time.Hour)
	case CalendarDays:
		deadline = cal.AddCalendarDays(start, p.N)
	case Months:
		deadline = cal.AddMonths(start, p.N)
	case BusinessDays:
		deadline = cal.AddBusinessDays(start, p.N)
	default:
		return time.Time{}, false
	}
	return deadline.UTC(), true
}
