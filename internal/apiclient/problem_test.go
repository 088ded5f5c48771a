package apiclient_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/apiclient"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

func TestBlockedPhaseProblem(t *testing.T) {
	t.Parallel()
	c, _ := server(t, http.StatusConflict, "application/problem+json", `{
		"type":"https://quell.example/problems/exit-criteria","title":"Conflict","status":409,
		"detail":"required tasks are open (INC-3)",
		"unmet":[{"id":"t1","phase":"containment","title":"Isolate host","status":"todo","required":true},
		         {"id":"t2","phase":"containment","title":"Reset credentials","status":"in_progress","required":true}]}`)
	_, err := c.ChangePhase(context.Background(), "INC-3", casework.PhaseRequest{To: incident.PhaseInvestigation, Reason: "r"})
	require.Error(t, err)
	require.Equal(t, `409 Conflict: required tasks are open (INC-3): unmet: "Isolate host", "Reset credentials"`, err.Error())
	require.True(t, apiclient.IsConflict(err))
	require.False(t, apiclient.IsNotFound(err))
	unmet, ok := apiclient.Blocked(fmt.Errorf("wrapped: %w", err))
	require.True(t, ok)
	require.Len(t, unmet, 2)
	require.Equal(t, incident.TaskInProgress, unmet[1].Status)
	var p *apiclient.Problem
	require.ErrorAs(t, err, &p)
	require.Equal(t, "https://quell.example/problems/exit-criteria", p.Type)
}

func TestValidationProblem(t *testing.T) {
	t.Parallel()
	c, _ := server(t, http.StatusUnprocessableEntity, "application/problem+json; charset=utf-8", `{
		"title":"Invalid request","status":422,"detail":"the request has invalid fields",
		"errors":[{"pointer":"/title","detail":"is required"},{"pointer":"/severity","detail":"must be one of [critical high]"},
		          {"parameter":"cursor","detail":"is not a cursor this list gave out"}]}`)
	_, err := c.CreateIncident(context.Background(), casework.NewIncident{})
	var p *apiclient.Problem
	require.ErrorAs(t, err, &p)
	require.Equal(t, 422, p.Status)
	require.Len(t, p.Errors, 3)
	require.Equal(t, "cursor", p.Errors[2].Parameter)
	require.Equal(t, "422 Invalid request: the request has invalid fields: /title: is required; /severity: must be one of [critical high]; ?cursor: is not a cursor this list gave out", err.Error())
	_, blocked := apiclient.Blocked(err)
	require.False(t, blocked)
}

func TestStatusHelpers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status                                      int
		notFound, conflict, unauthorized, forbidden bool
	}{
		{404, true, false, false, false},
		{409, false, true, false, false},
		{412, false, true, false, false},
		{401, false, false, true, false},
		{403, false, false, false, true},
		{500, false, false, false, false},
	} {
		c, _ := server(t, tc.status, "application/problem+json", fmt.Sprintf(`{"title":"x","status":%d}`, tc.status))
		_, err := c.GetTask(context.Background(), "t1")
		require.Equal(t, tc.notFound, apiclient.IsNotFound(err), tc.status)
		require.Equal(t, tc.conflict, apiclient.IsConflict(err), tc.status)
		require.Equal(t, tc.unauthorized, apiclient.IsUnauthorized(err), tc.status)
		require.Equal(t, tc.forbidden, apiclient.IsForbidden(err), tc.status)
		require.Equal(t, tc.status, apiclient.StatusCode(err))
	}
	require.False(t, apiclient.IsNotFound(errors.New("plain")))
	require.False(t, apiclient.IsNotFound(nil))
}

func TestNonProblemErrorBodies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, contentType, body, want string
	}{
		{"plain text", "text/plain", "upstream connect error\r\n", "502 Bad Gateway: upstream connect error"},
		{"html page", "text/html; charset=utf-8", "<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>", "502 Bad Gateway: 502 Bad Gateway"},
		{"html without title", "text/html", "<body><p>Gateway <b>down</b></p></body>", "502 Bad Gateway: Gateway down"},
		{"terminal escapes", "text/plain", "bad \x1b[31mred\x1b[0m \u202eevil", "502 Bad Gateway: bad [31mred[0m evil"},
		{"empty", "", "", "502 Bad Gateway"},
		{"json that is not a problem", "application/json", `{"error":"nope"}`, `502 Bad Gateway: {"error":"nope"}`},
		{"long", "text/plain", strings.Repeat("é", 500), "502 Bad Gateway: " + strings.Repeat("é", 100) + "…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, _ := server(t, http.StatusBadGateway, tc.contentType, tc.body)
			_, err := c.ListOrgs(context.Background())
			require.EqualError(t, err, tc.want)
			require.Equal(t, 502, apiclient.StatusCode(err))
		})
	}
}

func TestProblemTextIsCleaned(t *testing.T) {
	t.Parallel()
	c, _ := server(t, http.StatusBadRequest, "application/problem+json", `{"title":"Bad\u001b]0;pwned\u0007","status":400,"detail":"x\u001b[2J"}`)
	_, err := c.ListOrgs(context.Background())
	require.EqualError(t, err, "400 Bad]0;pwned: x[2J")
}

func TestStatusLineWins(t *testing.T) {
	t.Parallel()
	c, _ := server(t, http.StatusNotFound, "application/problem+json", `{"title":"Not Found","status":200,"detail":"no incident INC-9"}`)
	_, err := c.GetIncident(context.Background(), "INC-9")
	require.True(t, apiclient.IsNotFound(err))
	require.EqualError(t, err, "404 Not Found: no incident INC-9")
}

func TestBadSuccessBody(t *testing.T) {
	t.Parallel()
	c, _ := server(t, http.StatusOK, "application/json", `{"id":`)
	_, err := c.GetTask(context.Background(), "t1")
	require.ErrorContains(t, err, "decoding the 200 response")
}

func TestConnectionRefused(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	c, err := apiclient.New("http://"+addr, "t")
	require.NoError(t, err)
	_, err = c.Me(context.Background())
	var te *apiclient.TransportError
	require.ErrorAs(t, err, &te)
	require.Equal(t, "http://"+addr, te.Server)
	require.True(t, errors.Is(err, syscall.ECONNREFUSED), "%v", err)
	require.Equal(t, 0, apiclient.StatusCode(err))
}

func TestDefaultTimeoutAndCustomClient(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	srv := newBlockingServer(t, block)
	hc := &http.Client{Timeout: 50 * time.Millisecond}
	c, err := apiclient.New(srv, "t", apiclient.WithHTTPClient(hc))
	require.NoError(t, err)
	_, err = c.Me(context.Background())
	var te *apiclient.TransportError
	require.ErrorAs(t, err, &te)
	close(block)
	require.Equal(t, 30*time.Second, apiclient.DefaultTimeout)
}

func TestContextCancel(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	srv := newBlockingServer(t, block)
	defer close(block)
	c, err := apiclient.New(srv, "t")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Me(ctx)
	require.ErrorIs(t, err, context.Canceled)
}

func TestAllFollowsCursors(t *testing.T) {
	t.Parallel()
	pages := map[string]store.Page[int]{
		"":  {Items: []int{1, 2}, Next: "b"},
		"b": {Items: []int{3, 4}, Next: "c"},
		"c": {Items: []int{5}},
	}
	fetch := func(_ context.Context, cursor string) (store.Page[int], error) { return pages[cursor], nil }
	all, err := apiclient.All(context.Background(), 0, fetch)
	require.NoError(t, err)
	require.Equal(t, []int{1, 2, 3, 4, 5}, all)

	some, err := apiclient.All(context.Background(), 3, fetch)
	require.NoError(t, err)
	require.Equal(t, []int{1, 2, 3}, some)

	loop := func(_ context.Context, cursor string) (store.Page[int], error) {
		return store.Page[int]{Items: []int{1}, Next: "same"}, nil
	}
	_, err = apiclient.All(context.Background(), 0, loop)
	require.ErrorIs(t, err, apiclient.ErrCursorLoop)
}

func TestNextAfter(t *testing.T) {
	t.Parallel()
	n, err := apiclient.NextAfter("42")
	require.NoError(t, err)
	require.Equal(t, int64(42), n)
	n, err = apiclient.NextAfter("")
	require.NoError(t, err)
	require.Zero(t, n)
	_, err = apiclient.NextAfter("abc")
	require.Error(t, err)
}
