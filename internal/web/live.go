package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// live streams change notices to the browser as server-sent events, for the pages that refresh
// themselves (static/app.js). A notice carries only the key of an incident that changed and
// the kind of change, and only for incidents the person may see: each one is checked with the
// person's own access before it is sent. The page then fetches itself again through the usual
// access checks.
func (srv *Server) live(w http.ResponseWriter, r *http.Request, rq *request) error {
	if srv.cfg.Events == nil {
		return errNoPage
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(srv.streams, cancel)
	defer stop()

	rc := http.NewResponseController(w)
	// The stream outlives the server's write timeout, which is meant for ordinary pages.
	_ = rc.SetWriteDeadline(time.Time{})
	notices := srv.cfg.Events.Subscribe(ctx, rq.p.OrgID)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, "retry: 5000\n\n"); err != nil {
		return nil
	}
	if err := rc.Flush(); err != nil {
		return nil
	}
	heartbeat := time.NewTicker(srv.cfg.Heartbeat)
	defer heartbeat.Stop()
	for {
		var msg string
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-notices:
			if !ok {
				return nil
			}
			if ev.IncidentID == "" {
				// Alerts arriving or being correlated refresh the alert queue; other changes
				// outside an incident (the inventory) refresh nothing.
				if !strings.HasPrefix(ev.Kind, "alerts.") {
					continue
				}
				data, _ := json.Marshal(map[string]any{"alerts": true, "kind": ev.Kind})
				msg = "event: change\ndata: " + string(data) + "\n\n"
				break
			}
			d, err := srv.cases.GetIncident(ctx, rq.p, ev.IncidentID)
			if err != nil {
				continue // not visible to this person, or gone: say nothing
			}
			data, _ := json.Marshal(map[string]string{"incident": d.Key, "kind": ev.Kind})
			msg = "event: change\ndata: " + string(data) + "\n\n"
		case <-heartbeat.C:
			// Signing out or being disabled ends the stream.
			if _, err := srv.auth.AuthenticateSession(ctx, rq.secret); err != nil {
				return nil
			}
			msg = ": still here\n\n"
		}
		if _, err := fmt.Fprint(w, msg); err != nil {
			return nil
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
	}
}
