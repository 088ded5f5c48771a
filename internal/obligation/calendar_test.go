package obligation

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

func at(t *testing.T, loc *time.Location, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	require.NoError(t, err)
	return v
}

// requireTime compares instants, whatever their location.
func requireTime(t *testing.T, want, got time.Time, msgAndArgs ...any) {
	t.Helper()
	require.True(t, want.Equal(got), append([]any{"want %s, got %s", want.UTC(), got.UTC()}, msgAndArgs...)...)
}

// The observed federal holidays as the Office of Personnel Management lists them, written out by
// hand so that the rules in USFederalHolidays are checked against something they did not produce.
var opmHolidays = map[int][]string{
	2025: {"2025-01-01", "2025-01-20", "2025-02-17", "2025-05-26", "2025-06-19", "2025-07-04",
		"2025-09-01", "2025-10-13", "2025-11-11", "2025-11-27", "2025-12-25"},
	2026: {"2026-01-01", "2026-01-19", "2026-02-16", "2026-05-25", "2026-06-19", "2026-07-03",
		"2026-09-07", "2026-10-12", "2026-11-11", "2026-11-26", "2026-12-25"},
	2027: {"2027-01-01", "2027-01-18", "2027-02-15", "2027-05-31", "2027-06-18", "2027-07-05",
		"2027-09-06", "2027-10-11", "2027-11-11", "2027-11-25", "2027-12-24", "2027-12-31"},
	2028: {"2028-01-17", "2028-02-21", "2028-05-29", "2028-06-19", "2028-07-04",
		"2028-09-04", "2028-10-09", "2028-11-10", "2028-11-23", "2028-12-25"},
}

func TestUSFederalCalendar(t *testing.T) {
	t.Parallel()
	cal := USFederal()
	require.Equal(t, "us-federal", cal.Name())
	require.Equal(t, "America/New_York", cal.Location().String())
	from, to := cal.Years()
	require.Equal(t, []int{2025, 2028}, []int{from, to})
	var got []string
	for _, h := range cal.Holidays() {
		got = append(got, h.Date.String())
		require.NotEmpty(t, h.Name)
	}
	var want []string
	for y := 2025; y <= 2028; y++ {
		want = append(want, opmHolidays[y]...)
	}
	require.Equal(t, want, got)

	name, ok := cal.Holiday(Date{2027, time.December, 31})
	require.True(t, ok)
	require.Equal(t, "New Year's Day (observed)", name)
	name, _ = cal.Holiday(Date{2026, time.July, 3})
	require.Equal(t, "Independence Day (observed)", name)
	require.False(t, cal.IsBusinessDay(Date{2025, time.November, 27}), "Thanksgiving")
	require.True(t, cal.IsBusinessDay(Date{2025, time.November, 28}), "the Friday after Thanksgiving is a business day")
	require.False(t, cal.IsBusinessDay(Date{2026, time.July, 4}), "a Saturday")
	require.True(t, cal.Covers(Date{2028, time.December, 31}))
	require.False(t, cal.Covers(Date{2029, time.January, 2}))
}

func TestUSFederalHolidaysRules(t *testing.T) {
	t.Parallel()
	// Juneteenth only from 2021; a Sunday holiday moves to Monday.
	dates := func(y int) []string {
		var out []string
		for _, h := range USFederalHolidays(y) {
			out = append(out, h.Date.String())
		}
		return out
	}
	require.Len(t, USFederalHolidays(2020), 10)
	require.NotContains(t, dates(2020), "2020-06-19")
	require.Contains(t, dates(2022), "2022-06-20", "19 June 2022 was a Sunday")
	require.Contains(t, dates(2022), "2021-12-31", "1 January 2022 was a Saturday")
}

func TestNthWeekday(t *testing.T) {
	t.Parallel()
	tests := []struct {
		year  int
		month time.Month
		wd    time.Weekday
		n     int
		want  string
	}{
		{2025, time.November, time.Thursday, 4, "2025-11-27"},
		{2026, time.May, time.Monday, -1, "2026-05-25"},
		{2027, time.May, time.Monday, -1, "2027-05-31"},
		{2026, time.September, time.Monday, 1, "2026-09-07"},
		{2026, time.March, time.Sunday, 2, "2026-03-08"},
		{2026, time.February, time.Sunday, 1, "2026-02-01"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, nthWeekday(tt.year, tt.month, tt.wd, tt.n).String(), "%+v", tt)
	}
}

func TestBusinessDays(t *testing.T) {
	t.Parallel()
	cal := USFederal()
	ny := cal.Location()
	tests := []struct {
		name  string
		start time.Time
		n     int
		want  time.Time // the end of the last business day: midnight starting the next day
	}{
		{"Wednesday before Thanksgiving", at(t, ny, "2025-11-26 15:00"), 4, at(t, ny, "2025-12-04 00:00")},
		{"on Thanksgiving itself", at(t, ny, "2025-11-27 10:00"), 4, at(t, ny, "2025-12-04 00:00")},
		{"a Tuesday: four full weekdays", at(t, ny, "2025-12-02 09:00"), 4, at(t, ny, "2025-12-09 00:00")},
		{"a Friday, across the spring-forward weekend", at(t, ny, "2026-03-06 16:00"), 4, at(t, ny, "2026-03-13 00:00")},
		{"the Saturday after: same deadline as the Friday", at(t, ny, "2026-03-07 11:00"), 4, at(t, ny, "2026-03-13 00:00")},
		{"a Sunday", at(t, ny, "2026-03-08 23:59"), 4, at(t, ny, "2026-03-13 00:00")},
		{"late evening counts the local day", at(t, ny, "2026-03-06 23:30"), 4, at(t, ny, "2026-03-13 00:00")},
		{"before an observed Independence Day", at(t, ny, "2026-07-02 12:00"), 4, at(t, ny, "2026-07-10 00:00")},
		{"across Christmas and New Year observed on Fridays", at(t, ny, "2027-12-27 09:00"), 4, at(t, ny, "2028-01-04 00:00")},
		{"across Veterans Day on a Saturday, observed Friday", at(t, ny, "2028-11-08 09:00"), 2, at(t, ny, "2028-11-14 00:00")},
		{"one business day from a Friday", at(t, ny, "2026-01-16 09:00"), 1, at(t, ny, "2026-01-21 00:00")},
		{"across the fall-back weekend", at(t, ny, "2026-10-30 09:00"), 1, at(t, ny, "2026-11-03 00:00")},
	}
	for _, tt := range tests {
		got := cal.AddBusinessDays(tt.start, tt.n)
		requireTime(t, tt.want, got, tt.name)
	}
	// The day is the calendar's, not UTC's: 01:30 UTC on a Saturday is Friday evening in New York.
	fridayEvening := time.Date(2026, time.March, 7, 1, 30, 0, 0, time.UTC)
	requireTime(t, at(t, ny, "2026-03-13 00:00"), cal.AddBusinessDays(fridayEvening, 4))
	// In UTC with weekends only, the same instant is a Saturday and also counts from Monday.
	requireTime(t, time.Date(2026, time.March, 13, 0, 0, 0, 0, time.UTC),
		WeekendsOnly("w", time.UTC).AddBusinessDays(fridayEvening, 4))
}

func TestCustomWeekend(t *testing.T) {
	t.Parallel()
	// A Friday–Saturday weekend with one holiday.
	cal, err := NewCalendar(CalendarSpec{Name: "fri-sat", Location: time.UTC,
		Weekend:  []time.Weekday{time.Friday, time.Saturday},
		Holidays: []Holiday{{Date{2026, time.March, 9}, "a holiday"}}})
	require.NoError(t, err)
	// Thursday 5 March → Sun 8 (1), Mon 9 holiday, Tue 10 (2).
	requireTime(t, time.Date(2026, time.March, 11, 0, 0, 0, 0, time.UTC),
		cal.AddBusinessDays(time.Date(2026, time.March, 5, 8, 0, 0, 0, time.UTC), 2))
	from, to := cal.Years()
	require.Equal(t, []int{2026, 2026}, []int{from, to}, "the span of the holidays")
	require.Equal(t, []time.Weekday{time.Friday, time.Saturday}, cal.Weekend())
}

func TestNewCalendarRefuses(t *testing.T) {
	t.Parallel()
	all := []time.Weekday{0, 1, 2, 3, 4, 5, 6}
	for _, s := range []CalendarSpec{
		{Name: "Bad Name", Location: time.UTC},
		{Name: "nozone"},
		{Name: "all-weekend", Location: time.UTC, Weekend: all},
		{Name: "bad-day", Location: time.UTC, Weekend: []time.Weekday{9}},
		{Name: "bad-date", Location: time.UTC, Holidays: []Holiday{{Date: Date{2026, time.February, 30}}}},
		{Name: "outside", Location: time.UTC, Holidays: []Holiday{{Date: Date{2027, 1, 1}}}, FromYear: 2026, ToYear: 2026},
		{Name: "backwards", Location: time.UTC, FromYear: 2027, ToYear: 2026},
	} {
		_, err := NewCalendar(s)
		require.Error(t, err, s.Name)
	}
}

func TestCalendarDaysAcrossDST(t *testing.T) {
	t.Parallel()
	berlin, ny := zone(t, "Europe/Berlin"), zone(t, "America/New_York")
	tests := []struct {
		name    string
		loc     *time.Location
		start   string
		days    int
		want    string // local wall clock
		elapsed time.Duration
	}{
		{"Berlin spring forward: a day is 23 hours", berlin, "2026-03-28 12:00", 1, "2026-03-29 12:00", 23 * time.Hour},
		{"Berlin fall back: a day is 25 hours", berlin, "2026-10-24 12:00", 1, "2026-10-25 12:00", 25 * time.Hour},
		{"New York spring forward", ny, "2026-03-07 09:00", 1, "2026-03-08 09:00", 23 * time.Hour},
		{"New York fall back", ny, "2026-10-31 09:00", 1, "2026-11-01 09:00", 25 * time.Hour},
		{"a week over the Berlin change", berlin, "2026-03-25 10:00", 7, "2026-04-01 10:00", 7*24*time.Hour - time.Hour},
		{"no change: exactly 24 hours", berlin, "2026-06-10 10:00", 1, "2026-06-11 10:00", 24 * time.Hour},
		// 02:30 does not exist on 29 March 2026 in Berlin: it moves on by the gap to 03:30.
		{"a wall time skipped by the change", berlin, "2026-03-28 02:30", 1, "2026-03-29 03:30", 24 * time.Hour},
		// 02:30 happens twice on 25 October 2026 in Berlin: the earlier one (summer time).
		{"a wall time shown twice", berlin, "2026-10-24 02:30", 1, "2026-10-25 02:30", 24 * time.Hour},
		{"New York: 02:30 skipped", ny, "2026-03-07 02:30", 1, "2026-03-08 03:30", 24 * time.Hour},
		{"New York: 01:30 twice, the earlier", ny, "2026-10-31 01:30", 1, "2026-11-01 01:30", 24 * time.Hour},
	}
	for _, tt := range tests {
		cal := WeekendsOnly("w", tt.loc)
		start := at(t, tt.loc, tt.start)
		got, ok := CalendarDaysPeriod(tt.days).Deadline(start, cal)
		require.True(t, ok)
		require.Equal(t, tt.want, got.In(tt.loc).Format("2006-01-02 15:04"), tt.name)
		require.Equal(t, tt.elapsed, got.Sub(start), tt.name)
	}
}

func TestHoursIgnoreDST(t *testing.T) {
	t.Parallel()
	berlin, ny := zone(t, "Europe/Berlin"), zone(t, "America/New_York")
	tests := []struct {
		name  string
		loc   *time.Location
		start string
		hours int
		want  string // local wall clock: shifted by the change
	}{
		{"72h from the Friday before Berlin's spring forward", berlin, "2026-03-27 09:00", 72, "2026-03-30 10:00"},
		{"72h from the Friday before Berlin's fall back", berlin, "2026-10-23 09:00", 72, "2026-10-26 08:00"},
		{"24h over New York's spring forward", ny, "2026-03-07 12:00", 24, "2026-03-08 13:00"},
		{"24h over New York's fall back", ny, "2026-10-31 12:00", 24, "2026-11-01 11:00"},
	}
	for _, tt := range tests {
		start := at(t, tt.loc, tt.start)
		got, ok := HoursPeriod(tt.hours).Deadline(start, WeekendsOnly("w", tt.loc))
		require.True(t, ok)
		require.Equal(t, time.Duration(tt.hours)*time.Hour, got.Sub(start), tt.name)
		require.Equal(t, tt.want, got.In(tt.loc).Format("2006-01-02 15:04"), tt.name)
		require.Equal(t, time.UTC, got.Location(), "deadlines are in UTC")
	}
}

func TestMonthsClampToMonthEnd(t *testing.T) {
	t.Parallel()
	berlin := zone(t, "Europe/Berlin")
	cal := WeekendsOnly("w", berlin)
	tests := []struct{ start, want string }{
		{"2026-01-31 10:00", "2026-02-28 10:00"},
		{"2028-01-31 10:00", "2028-02-29 10:00"}, // leap year
		{"2026-03-31 10:00", "2026-04-30 10:00"},
		{"2026-01-15 10:00", "2026-02-15 10:00"},
		{"2026-12-31 23:00", "2027-01-31 23:00"},
		{"2026-03-10 09:00", "2026-04-10 09:00"}, // across spring forward: same wall clock
		{"2026-02-28 02:30", "2026-03-28 02:30"},
	}
	for _, tt := range tests {
		got, ok := MonthsPeriod(1).Deadline(at(t, berlin, tt.start), cal)
		require.True(t, ok)
		require.Equal(t, tt.want, got.In(berlin).Format("2006-01-02 15:04"), tt.start)
	}
	// 29 January 02:30 plus two months is 29 March 2026 02:30, which spring-forward skips: 03:30.
	got, _ := MonthsPeriod(2).Deadline(at(t, berlin, "2026-01-29 02:30"), cal)
	require.Equal(t, "2026-03-29 03:30", got.In(berlin).Format("2006-01-02 15:04"))
	got, _ = MonthsPeriod(13).Deadline(at(t, berlin, "2027-01-31 10:00"), cal)
	require.Equal(t, "2028-02-29 10:00", got.In(berlin).Format("2006-01-02 15:04"))
}

func TestDateHelpers(t *testing.T) {
	t.Parallel()
	d, err := ParseDate("2028-02-28")
	require.NoError(t, err)
	require.Equal(t, "2028-02-29", d.AddDays(1).String())
	require.Equal(t, "2028-03-01", d.AddDays(2).String())
	require.Equal(t, time.Wednesday, d.AddDays(2).Weekday())
	require.True(t, d.Before(d.AddDays(1)))
	require.False(t, d.Before(d))
	_, err = ParseDate("2026-02-30")
	require.Error(t, err)
	for _, s := range []string{"sat", "Saturday", " SUN "} {
		_, ok := parseWeekday(s)
		require.True(t, ok, s)
	}
	_, ok := parseWeekday("weekend")
	require.False(t, ok)
}
