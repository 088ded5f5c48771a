package apiclient

import (
	"context"
	"net/http"
	"net/url"

	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// IncidentQuery filters and orders an incident list. Zero fields do not filter.
type IncidentQuery struct {
	Phases     []incident.Phase
	Severities []incident.Severity
	Types      []incident.Type
	// Assignee is a user name, or "me".
	Assignee string
	Tag      string
	// Status is "open", "closed" or "" for both.
	Status string
	// Query is full-text search.
	Query string
	// Sort is created, updated, severity or priority.
	Sort string
	ListOptions
}

func (q IncidentQuery) values() url.Values {
	v := q.ListOptions.values()
	addAll(v, "phase", q.Phases)
	addAll(v, "severity", q.Severities)
	addAll(v, "type", q.Types)
	setIf(v, "assignee", q.Assignee)
	setIf(v, "tag", q.Tag)
	setIf(v, "status", q.Status)
	setIf(v, "q", q.Query)
	setIf(v, "sort", q.Sort)
	return v
}

func incidentPath(key string) string { return "/api/v1/incidents/" + seg(key) }

// ListIncidents returns one page of incidents (GET /api/v1/incidents).
func (c *Client) ListIncidents(ctx context.Context, q IncidentQuery) (store.Page[incident.Incident], error) {
	var out store.Page[incident.Incident]
	err := c.do(ctx, http.MethodGet, "/api/v1/incidents", q.values(), 0, nil, &out)
	return out, err
}

// CreateIncident opens an incident (POST /api/v1/incidents).
func (c *Client) CreateIncident(ctx context.Context, req casework.NewIncident) (casework.IncidentDetail, error) {
	var out casework.IncidentDetail
	err := c.do(ctx, http.MethodPost, "/api/v1/incidents", nil, 0, req, &out)
	return out, err
}

// GetIncident returns an incident by key (INC-42) or id (GET /api/v1/incidents/{key}).
func (c *Client) GetIncident(ctx context.Context, key string) (casework.IncidentDetail, error) {
	var out casework.IncidentDetail
	err := c.do(ctx, http.MethodGet, incidentPath(key), nil, 0, nil, &out)
	return out, err
}

// UpdateIncident changes an incident's fields (PATCH /api/v1/incidents/{key}); ifMatch, when
// not zero, is the version the change was based on.
func (c *Client) UpdateIncident(ctx context.Context, key string, patch casework.IncidentPatch, ifMatch int64) (casework.IncidentDetail, error) {
	var out casework.IncidentDetail
	err := c.do(ctx, http.MethodPatch, incidentPath(key), nil, ifMatch, patch, &out)
	return out, err
}

// ChangePhase moves an incident to another phase (POST /api/v1/incidents/{key}/phase). When
// required tasks block the exit, the error is a 409 *Problem whose Unmet lists them.
func (c *Client) ChangePhase(ctx context.Context, key string, req casework.PhaseRequest) (casework.IncidentDetail, error) {
	var out casework.IncidentDetail
	err := c.do(ctx, http.MethodPost, incidentPath(key)+"/phase", nil, 0, req, &out)
	return out, err
}

// ListPhaseChanges returns an incident's phase history (GET /api/v1/incidents/{key}/phases).
func (c *Client) ListPhaseChanges(ctx context.Context, key string) ([]incident.PhaseChange, error) {
	var out []incident.PhaseChange
	err := c.do(ctx, http.MethodGet, incidentPath(key)+"/phases", nil, 0, nil, &out)
	return out, err
}

// SetMilestone sets, corrects or (At nil) clears a milestone
// (PUT /api/v1/incidents/{key}/milestones/{milestone}).
func (c *Client) SetMilestone(ctx context.Context, key string, m incident.Milestone, req casework.MilestoneRequest) (casework.IncidentDetail, error) {
	var out casework.IncidentDetail
	err := c.do(ctx, http.MethodPut, incidentPath(key)+"/milestones/"+seg(string(m)), nil, 0, req, &out)
	return out, err
}

// ListMilestoneCorrections returns the hand corrections of an incident's milestones
// (GET /api/v1/incidents/{key}/milestones).
func (c *Client) ListMilestoneCorrections(ctx context.Context, key string) ([]incident.MilestoneCorrection, error) {
	var out []incident.MilestoneCorrection
	err := c.do(ctx, http.MethodGet, incidentPath(key)+"/milestones", nil, 0, nil, &out)
	return out, err
}

// AssignRole gives an incident role to a user (PUT /api/v1/incidents/{key}/roles/{role}).
func (c *Client) AssignRole(ctx context.Context, key string, role incident.Role, req casework.RoleRequest) (casework.IncidentDetail, error) {
	var out casework.IncidentDetail
	err := c.do(ctx, http.MethodPut, incidentPath(key)+"/roles/"+seg(string(role)), nil, 0, req, &out)
	return out, err
}

// UnassignRole leaves an incident role vacant (DELETE /api/v1/incidents/{key}/roles/{role}).
func (c *Client) UnassignRole(ctx context.Context, key string, role incident.Role) (casework.IncidentDetail, error) {
	var out casework.IncidentDetail
	err := c.do(ctx, http.MethodDelete, incidentPath(key)+"/roles/"+seg(string(role)), nil, 0, nil, &out)
	return out, err
}

// ListMembers returns the ids of the users with need-to-know access to an incident
// (GET /api/v1/incidents/{key}/members).
func (c *Client) ListMembers(ctx context.Context, key string) ([]string, error) {
	var out []string
	err := c.do(ctx, http.MethodGet, incidentPath(key)+"/members", nil, 0, nil, &out)
	return out, err
}

// AddMember gives a user, by name or id, access to a restricted incident
// (PUT /api/v1/incidents/{key}/members/{user}).
func (c *Client) AddMember(ctx context.Context, key, user string) error {
	return c.do(ctx, http.MethodPut, incidentPath(key)+"/members/"+seg(user), nil, 0, nil, nil)
}

// RemoveMember takes a user's access to a restricted incident away
// (DELETE /api/v1/incidents/{key}/members/{user}).
func (c *Client) RemoveMember(ctx context.Context, key, user string) error {
	return c.do(ctx, http.MethodDelete, incidentPath(key)+"/members/"+seg(user), nil, 0, nil, nil)
}
