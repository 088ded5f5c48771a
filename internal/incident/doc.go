// Package incident holds the domain model of an incident and the work done on it:
// phases and their transitions, milestones, severity and priority, role assignments,
// tasks, notes and timeline entries. It is pure: no I/O, no clock (callers pass now).
package incident
