package obligation

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	// The built-in calendars and the rule files name IANA zones; the deadlines must not depend
	// on whether the machine has a zone database.
	_ "time/tzdata"
)

// Date is a day in the civil calendar, with no time and no zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the day that t falls on in loc.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

// ParseDate reads a date written as 2026-01-31.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date such as 2026-01-31", s)
	}
	return DateOf(t, time.UTC), nil
}

// String returns the date as 2026-01-31.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// AddDays returns the date n days later (earlier for a negative n).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC), time.UTC)
}

// Weekday returns the day of the week.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool {
	if d.Year != e.Year {
		return d.Year < e.Year
	}
	if d.Month != e.Month {
		return d.Month < e.Month
	}
	return d.Day < e.Day
}

// Holiday is a day on which no business is done.
type Holiday struct {
	Date Date
	Name string
}

// CalendarSpec describes a calendar for [NewCalendar].
type CalendarSpec struct {
	// Name identifies the calendar in rule files: lower case letters, digits, '-' and '_'.
	Name string
	// Location is the time zone in which days begin and end.
	Location *time.Location
	// Weekend lists the days of the week that are never business days (at most six).
	Weekend []time.Weekday
	// Holidays are the further days that are not business days.
	Holidays []Holiday
	// FromYear and ToYear bound the years whose holidays the list is complete for. Zero takes
	// the span of Holidays; a calendar with no holidays covers every year.
	FromYear, ToYear int
}

// Calendar is a time zone with weekend days and holidays: what business-day periods count
// and where calendar-day periods find the wall clock. It is immutable and safe to share.
type Calendar struct {
	name     string
	loc      *time.Location
	weekend  [7]bool
	holidays map[Date]string
	from, to int
}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// MaxHolidays bounds the holidays of one calendar.
const MaxHolidays = 5000

// NewCalendar checks a spec and returns its calendar.
func NewCalendar(s CalendarSpec) (*Calendar, error) {
	if !namePattern.MatchString(s.Name) {
		return nil, fmt.Errorf("calendar name %q must be lower case letters, digits, '-' or '_'", s.Name)
	}
	if s.Location == nil {
		return nil, fmt.Errorf("calendar %q has no time zone", s.Name)
	}
	c := &Calendar{name: s.Name, loc: s.Location, holidays: map[Date]string{}, from: s.FromYear, to: s.ToYear}
	days := 0
	for _, d := range s.Weekend {
		if d < time.Sunday || d > time.Saturday {
			return nil, fmt.Errorf("calendar %q: %d is not a day of the week", s.Name, d)
		}
		if !c.weekend[d] {
			days++
		}
		c.weekend[d] = true
	}
	if days == 7 {
		return nil, fmt.Errorf("calendar %q: a week needs at least one business day", s.Name)
	}
	if len(s.Holidays) > MaxHolidays {
		return nil, fmt.Errorf("calendar %q: at most %d holidays", s.Name, MaxHolidays)
	}
	lo, hi := 0, 0
	for _, h := range s.Holidays {
		if h.Date != DateOf(time.Date(h.Date.Year, h.Date.Month, h.Date.Day, 12, 0, 0, 0, time.UTC), time.UTC) {
			return nil, fmt.Errorf("calendar %q: %s is not a date", s.Name, h.Date)
		}
		c.holidays[h.Date] = h.Name
		if lo == 0 || h.Date.Year < lo {
			lo = h.Date.Year
		}
		hi = max(hi, h.Date.Year)
	}
	if c.from == 0 && c.to == 0 {
		c.from, c.to = lo, hi
	}
	if c.from > c.to {
		return nil, fmt.Errorf("calendar %q: from_year %d is after to_year %d", s.Name, c.from, c.to)
	}
	if len(s.Holidays) > 0 && (lo < c.from || hi > c.to) {
		return nil, fmt.Errorf("calendar %q: holidays from %d to %d lie outside the years %d–%d it covers",
			s.Name, lo, hi, c.from, c.to)
	}
	return c, nil
}

// Name returns the calendar's name.
func (c *Calendar) Name() string { return c.name }

// Location returns the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// Weekend returns the weekend days, Sunday first.
func (c *Calendar) Weekend() []time.Weekday {
	var w []time.Weekday
	for d, on := range c.weekend {
		if on {
			w = append(w, time.Weekday(d))
		}
	}
	return w
}

// Holidays returns the holidays in date order.
func (c *Calendar) Holidays() []Holiday {
	days := slices.SortedFunc(maps.Keys(c.holidays), func(a, b Date) int {
		if a.Before(b) {
			return -1
		}
		if b.Before(a) {
			return 1
		}
		return 0
	})
	out := make([]Holiday, len(days))
	for i, d := range days {
		out[i] = Holiday{Date: d, Name: c.holidays[d]}
	}
	return out
}

// Years returns the first and last year whose holidays the calendar lists completely; 0, 0
// means every year (a calendar without holidays).
func (c *Calendar) Years() (from, to int) { return c.from, c.to }

// Covers reports whether the calendar's holiday list is complete for day d.
func (c *Calendar) Covers(d Date) bool {
	return c.from == 0 && c.to == 0 || d.Year >= c.from && d.Year <= c.to
}

// Holiday returns the name of the holiday on d, if d is one.
func (c *Calendar) Holiday(d Date) (string, bool) {
	name, ok := c.holidays[d]
	return name, ok
}

// IsBusinessDay reports whether d is neither a weekend day nor a holiday.
func (c *Calendar) IsBusinessDay(d Date) bool {
	if c.weekend[d.Weekday()] {
		return false
	}
	_, holiday := c.holidays[d]
	return !holiday
}

// AddBusinessDays returns the end of the nth business day after the day t falls on in the
// calendar's zone: the moment the following calendar day begins there. The day of t never
// counts, so t on a weekend or holiday counts from the next business day. n must be positive.
// Beyond the years the calendar covers, only weekends are skipped; see [Calendar.Covers].
func (c *Calendar) AddBusinessDays(t time.Time, n int) time.Time {
	d := DateOf(t, c.loc)
	for n > 0 {
		d = d.AddDays(1)
		if c.IsBusinessDay(d) {
			n--
		}
	}
	next := d.AddDays(1)
	return wallTime(c.loc, next.Year, next.Month, next.Day, 0, 0, 0, 0)
}

// AddCalendarDays returns the same wall-clock time n days after t in the calendar's zone.
func (c *Calendar) AddCalendarDays(t time.Time, n int) time.Time {
	l := t.In(c.loc)
	return wallTime(c.loc, l.Year(), l.Month(), l.Day()+n, l.Hour(), l.Minute(), l.Second(), l.Nanosecond())
}

// AddMonths returns the same wall-clock time on the same day n months after t in the calendar's
// zone, clamped to the last day of a shorter month.
func (c *Calendar) AddMonths(t time.Time, n int) time.Time {
	l := t.In(c.loc)
	first := time.Date(l.Year(), l.Month()+time.Month(n), 1, 12, 0, 0, 0, time.UTC)
	day := min(l.Day(), daysIn(first.Year(), first.Month()))
	return wallTime(c.loc, first.Year(), first.Month(), day, l.Hour(), l.Minute(), l.Second(), l.Nanosecond())
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 12, 0, 0, 0, time.UTC).Day()
}

// wallTime returns the instant that shows the given wall-clock time in loc. A time skipped by
// a forward change moves on by the length of the gap; a time shown twice is the earlier one.
func wallTime(loc *time.Location, y int, mo time.Month, d, h, mi, s, ns int) time.Time {
	naive := time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	var offsets []int
	for _, shift := range []time.Duration{-48 * time.Hour, 0, 48 * time.Hour} {
		_, off := naive.Add(shift).In(loc).Zone()
		if !slices.Contains(offsets, off) {
			offsets = append(offsets, off)
		}
	}
	var exact, latest time.Time
	for _, off := range offsets {
		cand := naive.Add(-time.Duration(off) * time.Second)
		if sameWall(cand.In(loc), naive) && (exact.IsZero() || cand.Before(exact)) {
			exact = cand
		}
		if latest.IsZero() || cand.After(latest) {
			latest = cand
		}
	}
	if !exact.IsZero() {
		return exact
	}
	// In a gap the offset grows, so the candidate from the offset before it is the later one.
	return latest
}

func sameWall(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd && a.Hour() == b.Hour() && a.Minute() == b.Minute() &&
		a.Second() == b.Second() && a.Nanosecond() == b.Nanosecond()
}

// Names of the built-in calendars.
const (
	CalendarWeekends   = "weekends"
	CalendarUSFederal  = "us-federal"
	usFederalFirstYear = 2025
	usFederalLastYear  = 2028
)

var (
	weekendsUTC = sync.OnceValue(func() *Calendar { return WeekendsOnly(CalendarWeekends, time.UTC) })
	usFederal   = sync.OnceValue(func() *Calendar {
		ny, err := time.LoadLocation("America/New_York")
		if err != nil {
			panic("obligation: the embedded zone database has no America/New_York: " + err.Error())
		}
		var hs []Holiday
		for y := usFederalFirstYear; y <= usFederalLastYear+1; y++ {
			for _, h := range USFederalHolidays(y) {
				if h.Date.Year >= usFederalFirstYear && h.Date.Year <= usFederalLastYear {
					hs = append(hs, h)
				}
			}
		}
		c, err := NewCalendar(CalendarSpec{Name: CalendarUSFederal, Location: ny,
			Weekend: []time.Weekday{time.Saturday, time.Sunday}, Holidays: hs,
			FromYear: usFederalFirstYear, ToYear: usFederalLastYear})
		if err != nil {
			panic("obligation: " + err.Error())
		}
		return c
	})
)

// WeekendsOnly returns a calendar in loc whose only non-business days are Saturday and Sunday.
// The built-in calendar named "weekends" is WeekendsOnly in UTC.
func WeekendsOnly(name string, loc *time.Location) *Calendar {
	c := &Calendar{name: name, loc: loc, holidays: map[Date]string{}}
	c.weekend[time.Saturday], c.weekend[time.Sunday] = true, true
	return c
}

// USFederal returns the calendar named "us-federal": United States federal holidays as
// observed by federal offices (the SEC among them) for 2025 to 2028, weekends on Saturday and
// Sunday, days in America/New_York. Inauguration Day (20 January after a presidential election,
// a holiday only around Washington, DC) falls outside these years, and days closed by executive
// order are not known in advance: add them in a calendar of your own.
func USFederal() *Calendar { return usFederal() }

// BuiltinCalendar returns the built-in calendar with that name.
func BuiltinCalendar(name string) (*Calendar, bool) {
	switch name {
	case CalendarWeekends:
		return weekendsUTC(), true
	case CalendarUSFederal:
		return usFederal(), true
	}
	return nil, false
}

// USFederalHolidays returns the eleven legal public holidays of 5 U.S.C. 6103(a) for year, on
// the days federal offices observe them: a holiday on a Saturday is observed the Friday before
// (so New Year's Day of the next year may be observed on 31 December), one on a Sunday the
// Monday after. Juneteenth is a holiday from 2021.
func USFederalHolidays(year int) []Holiday {
	fixed := func(m time.Month, d int, name string) Holiday {
		date := Date{year, m, d}
		switch date.Weekday() {
		case time.Saturday:
			date = date.AddDays(-1)
			name += " (observed)"
		case time.Sunday:
			date = date.AddDays(1)
			name += " (observed)"
		}
		return Holiday{date, name}
	}
	hs := []Holiday{
		fixed(time.January, 1, "New Year's Day"),
		{nthWeekday(year, time.January, time.Monday, 3), "Birthday of Martin Luther King, Jr."},
		{nthWeekday(year, time.February, time.Monday, 3), "Washington's Birthday"},
		{nthWeekday(year, time.May, time.Monday, -1), "Memorial Day"},
	}
	if year >= 2021 {
		hs = append(hs, fixed(time.June, 19, "Juneteenth National Independence Day"))
	}
	return append(hs,
		fixed(time.July, 4, "Independence Day"),
		Holiday{nthWeekday(year, time.September, time.Monday, 1), "Labor Day"},
		Holiday{nthWeekday(year, time.October, time.Monday, 2), "Columbus Day"},
		fixed(time.November, 11, "Veterans Day"),
		Holiday{nthWeekday(year, time.November, time.Thursday, 4), "Thanksgiving Day"},
		fixed(time.December, 25, "Christmas Day"),
	)
}

// nthWeekday returns the nth weekday wd of a month; n = -1 is the last one.
func nthWeekday(year int, m time.Month, wd time.Weekday, n int) Date {
	if n < 0 {
		last := Date{year, m, daysIn(year, m)}
		return last.AddDays(-((int(last.Weekday()) - int(wd) + 7) % 7))
	}
	first := Date{year, m, 1}
	return first.AddDays((int(wd)-int(first.Weekday())+7)%7 + 7*(n-1))
}

// parseWeekday reads "saturday" or "sat", in any case.
func parseWeekday(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for d := time.Sunday; d <= time.Saturday; d++ {
		full := strings.ToLower(d.String())
		if s == full || s == full[:3] {
			return d, true
		}
	}
	return 0, false
}
