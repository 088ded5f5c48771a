package web_test

import (
	"context"
	"net/http"
	"path/filepath"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/app"
	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/store/sqlite"
)

// ingest stores alerts in the admin's organisation as intake does, through the storage port
// (normalised, new, seen once), the first one earliest. tune, when not nil, changes each
// alert before it is stored. It returns the alerts as stored.
func (e *env) ingest(tune func(i int, a *alert.Alert), ins ...alert.Input) []alert.Alert {
	e.t.Helper()
	ctx := context.Background()
	var me auth.Me
	e.api("GET", "/api/v1/me", e.admin, nil, http.StatusOK, &me)
	st, err := sqlite.Open(ctx, filepath.Join(e.data, app.DatabaseFile), sqlite.Options{AllowUnsafeSync: true})
	require.NoError(e.t, err)
	defer st.Close()
	now := time.Now().UTC().Truncate(time.Second)
	out := make([]alert.Alert, 0, len(ins))
	err = st.Write(ctx, func(tx store.Tx) error {
		for i, in := range ins {
			a, err := alert.Normalise(in, now, 0)
			if err != nil {
				return err
			}
			seen := now.Add(-time.Duration(len(ins)-i) * time.Minute)
			a.ID, a.OrgID = casework.NewID(), me.OrgID
			a.OccurredAt, a.FirstSeen, a.LastSeen, a.Count, a.Status = seen, seen, seen, 1, alert.StatusNew
			if tune != nil {
				tune(i, &a)
			}
			if _, _, err := tx.Alerts().Ingest(ctx, a, a.Count); err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	require.NoError(e.t, err)
	return out
}

// alertOf fetches an alert as the admin sees it.
func (e *env) alertOf(id string) alert.Alert {
	e.t.Helper()
	var me auth.Me
	e.api("GET", "/api/v1/me", e.admin, nil, http.StatusOK, &me)
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(e.data, app.DatabaseFile), sqlite.Options{AllowUnsafeSync: true})
	require.NoError(e.t, err)
	defer st.Close()
	var a alert.Alert
	require.NoError(e.t, st.Read(ctx, func(tx store.Tx) error {
		var err error
		a, err = tx.Alerts().Get(ctx, me.OrgID, id)
		return err
	}))
	return a
}

// suricataAlert is an IDS alert as the Suricata parser hands it over.
func suricataAlert(signature, src, dst string, sev incident.Severity) alert.Input {
	raw := `{"event_type":"alert","src_ip":"` + src + `","dest_ip":"` + dst + `","alert":{"signature":"` + signature + `","gid":1,"signature_id":2024217}}`
	return alert.Input{Source: "suricata", Title: signature, Severity: sev, Fingerprint: "1:" + signature,
		Labels:      map[string]string{"host": "ids-dmz-01", "alert.category": "A Network Trojan was detected"},
		Observables: []alert.Observable{{Type: alert.ObsIPv4, Value: src, Role: "source"}, {Type: alert.ObsIPv4, Value: dst, Role: "destination"}},
		Raw:         []byte(raw)}
}

// alertSet is a morning's worth of alerts from several tools, newest last.
func alertSet() []alert.Input {
	return []alert.Input{
		{Source: "alertmanager", Title: "Disk almost full on db01", Severity: incident.SeverityLow,
			Labels: map[string]string{"alertname": "DiskAlmostFull", "instance": "db01:9100"}},
		{Source: "wazuh", Title: "Multiple authentication failures for svc-backup", Severity: incident.SeverityMedium,
			Labels: map[string]string{"agent.name": "fs01", "rule.id": "5720"}, Description: "sshd: 14 failed logins for svc-backup from 10.20.7.31"},
		suricataAlert("ET MALWARE Cobalt Strike Beacon Observed", "10.20.0.15", "203.0.113.7", incident.SeverityHigh),
		{Source: "falco", Title: "Terminal shell in container", Severity: incident.SeverityMedium,
			Labels: map[string]string{"hostname": "k8s-node-3", "k8s.ns.name": "payments"}},
		suricataAlert("ET POLICY Outbound SSH on a non-standard port", "10.20.0.15", "198.51.100.20", incident.SeverityInformational),
		{Source: "elastic", Title: "Unusual PowerShell from svc-backup on fs01", Severity: incident.SeverityHigh,
			Labels: map[string]string{"host.name": "fs01", "user.name": "svc-backup"}},
	}
}
