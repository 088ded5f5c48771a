package web_test

import (
	"net/http"
	"time"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
)

// demo fills the database, through the API, with a team's ordinary bad week: incidents in
// every phase, with tasks, notes, a timeline and assets. The screenshots are taken on it. It
// returns the key of the busiest incident and the responder's password.
func (e *env) demo() (key, coraPassword string) {
	e.t.Helper()
	coraPassword = e.addUser("cora", access.RoleResponder)
	e.addUser("lee", access.RoleLead)
	e.addUser("sam", access.RoleResponder)
	e.addUser("vera", access.RoleViewer)

	assets := map[string]string{}
	for _, a := range []casework.NewAsset{
		{Kind: asset.KindHost, Name: "fs01", Criticality: 4, Owner: "infrastructure", DataClassification: asset.ClassConfidential,
			Identifiers: []asset.Identifier{{Type: asset.IDHostname, Value: "fs01.corp.example"}, {Type: asset.IDIP, Value: "10.20.0.15"}}},
		{Kind: asset.KindDataStore, Name: "finance-share", Criticality: 4, Owner: "finance", DataClassification: asset.ClassRestricted, PersonalData: true},
		{Kind: asset.KindHost, Name: "mail-gw-01", Criticality: 3, Owner: "messaging", Identifiers: []asset.Identifier{{Type: asset.IDIP, Value: "10.0.4.12"}}},
		{Kind: asset.KindService, Name: "vpn-gateway", Criticality: 3, Owner: "network"},
		{Kind: asset.KindAccount, Name: "svc-backup", Criticality: 3, Owner: "infrastructure", Identifiers: []asset.Identifier{{Type: asset.IDUsername, Value: "svc-backup"}}},
	} {
		var out asset.Asset
		e.api("POST", "/api/v1/assets", e.admin, a, http.StatusCreated, &out)
		assets[a.Name] = out.ID
	}

	type step struct {
		to     incident.Phase
		reason string
	}
	open := func(inc casework.NewIncident, commander string, steps ...step) string {
		var d casework.IncidentDetail
		e.api("POST", "/api/v1/incidents", e.admin, inc, http.StatusCreated, &d)
		if commander != "" {
			e.api("PUT", "/api/v1/incidents/"+d.Key+"/roles/commander", e.admin, casework.RoleRequest{User: commander}, http.StatusOK, nil)
		}
		for _, s := range steps {
			// The playbook applied on opening adds required tasks; the demo moves on past them,
			// as an admin may (the override is recorded).
			req := casework.PhaseRequest{To: s.to, Reason: s.reason, Override: true}
			if s.to == incident.PhaseClosed {
				req.Resolution = incident.ResolutionTruePositiveNoImpact
			}
			e.api("POST", "/api/v1/incidents/"+d.Key+"/phase", e.admin, req, http.StatusOK, nil)
		}
		return d.Key
	}
	task := func(key string, t casework.NewTask) string {
		var out incident.Task
		e.api("POST", "/api/v1/incidents/"+key+"/tasks", e.admin, t, http.StatusCreated, &out)
		return out.ID
	}
	done := func(id string) {
		st := incident.TaskDone
		e.api("PATCH", "/api/v1/tasks/"+id, e.admin, casework.TaskPatch{Status: &st}, http.StatusOK, nil)
	}
	ago := func(d time.Duration) *time.Time { t := time.Now().Add(-d).Truncate(time.Minute); return &t }
	in := func(d time.Duration) *time.Time { t := time.Now().Add(d).Truncate(time.Minute); return &t }

	open(casework.NewIncident{Title: "Port scan from a partner network", Type: incident.TypeOther, Severity: incident.SeverityInformational},
		"sam", step{incident.PhaseClosed, "the partner confirmed an authorised vulnerability scan"})
	open(casework.NewIncident{Title: "Commodity malware on a lab machine", Type: incident.TypeMalware, Severity: incident.SeverityLow},
		"sam", step{incident.PhaseContainment, "quarantined by EDR"}, step{incident.PhaseClosed, "reimaged"})
	open(casework.NewIncident{Title: "Laptop with customer data lost on a train", Type: incident.TypeDataBreach, Severity: incident.SeverityMedium,
		Tags: []string{"gdpr"}}, "lee", step{incident.PhaseReview, "disk was encrypted; the device was wiped remotely"})
	ddos := open(casework.NewIncident{Title: "DDoS against the customer portal", Type: incident.TypeDenialOfService, Severity: incident.SeverityHigh},
		"sam", step{incident.PhaseContainment, "traffic scrubbing requested"}, step{incident.PhaseRecovery, "attack subsided"})
	task(ddos, casework.NewTask{Phase: incident.PhaseRecovery, Title: "Lift the emergency rate limits", Assignee: "sam", DueAt: in(4 * time.Hour)})
	open(casework.NewIncident{Title: "Suspicious VPN logins from a new country", Type: incident.TypeAccountCompromise, Severity: incident.SeverityMedium,
		Tags: []string{"vpn"}}, "")
	open(casework.NewIncident{Title: "Source code copied to a personal drive", Type: incident.TypeInsider, Severity: incident.SeverityHigh,
		Restricted: true}, "lee", step{incident.PhaseInvestigation, "HR and legal informed"})
	phish := open(casework.NewIncident{Title: "Credential phishing against finance", Type: incident.TypePhishing, Severity: incident.SeverityHigh,
		Tags: []string{"bec", "finance"}}, "lee", step{incident.PhaseContainment, "14 recipients, 2 clicked"})
	task(phish, casework.NewTask{Phase: incident.PhaseContainment, Title: "Reset the passwords of the two people who clicked",
		Assignee: "cora", Required: true, DueAt: ago(35 * time.Minute)})
	e.api("PUT", "/api/v1/incidents/"+phish+"/assets/"+assets["mail-gw-01"], e.admin, casework.LinkRequest{Status: asset.LinkContained}, http.StatusOK, nil)

	key = open(casework.NewIncident{Title: "Ransomware on the finance file server", Type: incident.TypeRansomware, Severity: incident.SeverityCritical,
		TLP: incident.TLPAmberStrict, Tags: []string{"fs01", "encryption"},
		Summary:    "Files on the finance share are being renamed to *.locked and a ransom note appeared in every folder. EDR flagged mass renames by svc-backup.",
		OccurredAt: ago(5 * time.Hour), DetectedAt: ago(3 * time.Hour)}, "cora")
	e.api("PUT", "/api/v1/incidents/"+key+"/roles/technical_lead", e.admin, casework.RoleRequest{User: "sam"}, http.StatusOK, nil)
	e.api("PUT", "/api/v1/incidents/"+key+"/roles/communications_lead", e.admin, casework.RoleRequest{User: "lee"}, http.StatusOK, nil)
	done(task(key, casework.NewTask{Phase: incident.PhaseIdentification, Title: "Confirm the encryption on fs01", Required: true, Assignee: "sam"}))
	done(task(key, casework.NewTask{Phase: incident.PhaseIdentification, Title: "Collect the ransom note", Assignee: "cora"}))
	e.api("POST", "/api/v1/incidents/"+key+"/phase", e.admin, casework.PhaseRequest{To: incident.PhaseContainment,
		Reason: "encryption confirmed on fs01; spreading through the finance share", Override: true}, http.StatusOK, nil)
	task(key, casework.NewTask{Phase: incident.PhaseContainment, Title: "Isolate fs01 from the network", Required: true, Assignee: "sam",
		Status: incident.TaskInProgress, DueAt: in(30 * time.Minute)})
	done(task(key, casework.NewTask{Phase: incident.PhaseContainment, Title: "Disable the svc-backup account", Required: true, Assignee: "cora"}))
	task(key, casework.NewTask{Phase: incident.PhaseContainment, Title: "Snapshot the VM for forensics", Assignee: "cora", DueAt: in(90 * time.Minute)})
	task(key, casework.NewTask{Phase: incident.PhaseInvestigation, Title: "Find the initial access vector"})
	e.api("POST", "/api/v1/incidents/"+key+"/timeline", e.admin, casework.NewEntry{EventAt: ago(5 * time.Hour), EventZone: "Europe/Berlin",
		Kind: incident.KindAlert, Text: "EDR: mass file renames by svc-backup on fs01", Technique: "T1486", Flagged: true}, http.StatusCreated, nil)
	e.api("POST", "/api/v1/incidents/"+key+"/timeline", e.admin, casework.NewEntry{EventAt: ago(4 * time.Hour),
		Kind: incident.KindCommunication, Text: "Service desk: finance cannot open their spreadsheets"}, http.StatusCreated, nil)
	e.api("POST", "/api/v1/incidents/"+key+"/timeline", e.admin, casework.NewEntry{Kind: incident.KindAction,
		Text: "Finance share set to read-only"}, http.StatusCreated, nil)
	e.api("POST", "/api/v1/incidents/"+key+"/notes", e.admin, casework.NewNote{Body: "## What we know\n\n" +
		"- The note asks for payment to a Tor address; no exfiltration claim yet.\n" +
		"- `svc-backup` logged in from `10.20.7.31` at 03:12, outside its usual window.\n" +
		"- Backups of the share from last night are **intact** (checked by sam).\n"}, http.StatusCreated, nil)
	e.api("PUT", "/api/v1/incidents/"+key+"/assets/"+assets["fs01"], e.admin, casework.LinkRequest{Status: asset.LinkCompromised,
		Note: "encrypted files on D:"}, http.StatusOK, nil)
	e.api("PUT", "/api/v1/incidents/"+key+"/assets/"+assets["finance-share"], e.admin, casework.LinkRequest{Status: asset.LinkSuspected}, http.StatusOK, nil)
	e.api("PUT", "/api/v1/incidents/"+key+"/assets/"+assets["svc-backup"], e.admin, casework.LinkRequest{Status: asset.LinkContained}, http.StatusOK, nil)
	return key, coraPassword
}
