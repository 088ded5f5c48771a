package apiclient

import (
	"context"
	"net/http"
	"net/url"

	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// TaskQuery selects tasks across incidents. Zero fields do not filter.
type TaskQuery struct {
	// Assignee is a user name, or "me".
	Assignee string
	Statuses []incident.TaskStatus
	// Overdue keeps unfinished tasks past their due time.
	Overdue bool
	// Incident keeps the tasks of one incident (key or id).
	Incident string
	ListOptions
}

func (q TaskQuery) values() url.Values {
	v := q.ListOptions.values()
	setIf(v, "assignee", q.Assignee)
	addAll(v, "status", q.Statuses)
	if q.Overdue {
		v.Set("overdue", "true")
	}
	setIf(v, "incident", q.Incident)
	return v
}

// ListIncidentTasks returns all tasks of an incident (GET /api/v1/incidents/{key}/tasks).
func (c *Client) ListIncidentTasks(ctx context.Context, key string) ([]incident.Task, error) {
	var out []incident.Task
	err := c.do(ctx, http.MethodGet, incidentPath(key)+"/tasks", nil, 0, nil, &out)
	return out, err
}

// CreateTask adds a task to an incident (POST /api/v1/incidents/{key}/tasks).
func (c *Client) CreateTask(ctx context.Context, key string, req casework.NewTask) (incident.Task, error) {
	var out incident.Task
	err := c.do(ctx, http.MethodPost, incidentPath(key)+"/tasks", nil, 0, req, &out)
	return out, err
}

// ListTasks returns one page of tasks across incidents (GET /api/v1/tasks).
func (c *Client) ListTasks(ctx context.Context, q TaskQuery) (store.Page[incident.Task], error) {
	var out store.Page[incident.Task]
	err := c.do(ctx, http.MethodGet, "/api/v1/tasks", q.values(), 0, nil, &out)
	return out, err
}

// GetTask returns a task (GET /api/v1/tasks/{id}).
func (c *Client) GetTask(ctx context.Context, id string) (incident.Task, error) {
	var out incident.Task
	err := c.do(ctx, http.MethodGet, "/api/v1/tasks/"+seg(id), nil, 0, nil, &out)
	return out, err
}

// UpdateTask changes a task (PATCH /api/v1/tasks/{id}); ifMatch, when not zero, is the
// version the change was based on.
func (c *Client) UpdateTask(ctx context.Context, id string, patch casework.TaskPatch, ifMatch int64) (incident.Task, error) {
	var out incident.Task
	err := c.do(ctx, http.MethodPatch, "/api/v1/tasks/"+seg(id), nil, ifMatch, patch, &out)
	return out, err
}

// ListNotes returns an incident's notes (GET /api/v1/incidents/{key}/notes).
func (c *Client) ListNotes(ctx context.Context, key string) ([]casework.NoteDetail, error) {
	var out []casework.NoteDetail
	err := c.do(ctx, http.MethodGet, incidentPath(key)+"/notes", nil, 0, nil, &out)
	return out, err
}

// CreateNote adds a Markdown note to an incident (POST /api/v1/incidents/{key}/notes).
func (c *Client) CreateNote(ctx context.Context, key string, req casework.NewNote) (casework.NoteDetail, error) {
	var out casework.NoteDetail
	err := c.do(ctx, http.MethodPost, incidentPath(key)+"/notes", nil, 0, req, &out)
	return out, err
}

// GetNote returns a note (GET /api/v1/notes/{id}).
func (c *Client) GetNote(ctx context.Context, id string) (casework.NoteDetail, error) {
	var out casework.NoteDetail
	err := c.do(ctx, http.MethodGet, "/api/v1/notes/"+seg(id), nil, 0, nil, &out)
	return out, err
}

// UpdateNote replaces a note's body (PATCH /api/v1/notes/{id}); ifMatch, when not zero, is
// the version the change was based on.
func (c *Client) UpdateNote(ctx context.Context, id string, patch casework.NotePatch, ifMatch int64) (casework.NoteDetail, error) {
	var out casework.NoteDetail
	err := c.do(ctx, http.MethodPatch, "/api/v1/notes/"+seg(id), nil, ifMatch, patch, &out)
	return out, err
}

// ListNoteRevisions returns a note's earlier bodies (GET /api/v1/notes/{id}/revisions).
func (c *Client) ListNoteRevisions(ctx context.Context, id string) ([]incident.NoteRevision, error) {
	var out []incident.NoteRevision
	err := c.do(ctx, http.MethodGet, "/api/v1/notes/"+seg(id)+"/revisions", nil, 0, nil, &out)
	return out, err
}

// TimelineQuery selects entries of an incident's timeline, in event time order.
type TimelineQuery struct {
	Kinds       []incident.EntryKind
	FlaggedOnly bool
	ListOptions
}

// ListTimeline returns one page of an incident's timeline
// (GET /api/v1/incidents/{key}/timeline).
func (c *Client) ListTimeline(ctx context.Context, key string, q TimelineQuery) (store.Page[incident.Entry], error) {
	v := q.ListOptions.values()
	addAll(v, "kind", q.Kinds)
	if q.FlaggedOnly {
		v.Set("flagged", "true")
	}
	var out store.Page[incident.Entry]
	err := c.do(ctx, http.MethodGet, incidentPath(key)+"/timeline", v, 0, nil, &out)
	return out, err
}

// AddTimelineEntry adds an entry to an incident's timeline, backdated when EventAt is set
// (POST /api/v1/incidents/{key}/timeline).
func (c *Client) AddTimelineEntry(ctx context.Context, key string, req casework.NewEntry) (incident.Entry, error) {
	var out incident.Entry
	err := c.do(ctx, http.MethodPost, incidentPath(key)+"/timeline", nil, 0, req, &out)
	return out, err
}

// UpdateTimelineEntry flags or unflags a timeline entry (PATCH /api/v1/timeline/{id}).
// Entries carry no version, so there is nothing to match.
func (c *Client) UpdateTimelineEntry(ctx context.Context, id string, patch casework.EntryPatch) (incident.Entry, error) {
	var out incident.Entry
	err := c.do(ctx, http.MethodPatch, "/api/v1/timeline/"+seg(id), nil, 0, patch, &out)
	return out, err
}
