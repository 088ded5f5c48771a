package formats

import (
	"strings"

	"github.com/quell-ir/quell/internal/alert"
)

// parseDefender reads Microsoft Defender alerts in the shape of the Microsoft Graph security
// API (alert v2, /security/alerts_v2): one alert, a JSON array of alerts, a Graph list
// response ({"value": [...]}) or alerts one per line.
//
//	title        title
//	severity     severity (informational, low, medium, high); unknownFutureValue leaves the
//	             default
//	source_ref   id
//	fingerprint  id: Defender already gathers the repeats of a detection into one alert,
//	             which it updates
//	resolved     status is "resolved"
//	occurred_at  firstActivityDateTime, else createdDateTime
//	labels       category, status, service and detection source, incident id, provider alert
//	             id, classification, determination, threat family, ATT&CK techniques
//	observables  from the evidence: devices (deviceDnsName, addresses, logged-on users), IP
//	             addresses, users, files and processes (name, hashes), URLs, mailboxes and
//	             analysed messages (sender, recipient, sender address)
func parseDefender(body []byte) ([]alert.Input, error) {
	items, err := splitItems(body)
	if err != nil {
		return nil, err
	}
	var out []alert.Input
	for _, it := range items {
		var err error
		o := newObject(it.raw, it.ptr, &err)
		alerts := []*object{o}
		if v := o.m["value"]; len(v) > 0 && v[0] == '[' && !o.has("title") {
			alerts = o.objects("value")
		}
		for _, a := range alerts {
			in := defenderAlert(a)
			if err != nil {
				return nil, err
			}
			out = append(out, in)
		}
		if err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, noAlerts(0, "")
	}
	return out, nil
}

func defenderAlert(a *object) alert.Input {
	title := a.str("title")
	if blank(title) {
		a.fail("title", "is required")
	}
	in := alert.Input{
		Source:      Defender,
		SourceRef:   a.str("id"),
		Fingerprint: a.str("id"),
		Title:       title,
		Description: a.str("description"),
		Severity:    severityName(a.str("severity")),
		Resolved:    a.str("status") == "resolved",
		Labels:      map[string]string{},
		Raw:         a.raw,
	}
	if t := a.time("firstActivityDateTime"); !t.IsZero() {
		in.OccurredAt = t
	} else {
		in.OccurredAt = a.time("createdDateTime")
	}
	for _, key := range []string{"category", "status", "serviceSource", "detectionSource", "incidentId",
		"providerAlertId", "classification", "determination", "threatFamilyName", "threatDisplayName",
		"actorDisplayName", "detectorId"} {
		setLabel(in.Labels, key, a.str(key))
	}
	setLabel(in.Labels, "mitreTechniques", strings.Join(a.strs("mitreTechniques"), ", "))

	var obs observables
	for _, ev := range a.objects("evidence") {
		defenderEvidence(&obs, ev)
	}
	in.Observables = obs
	return in
}

// defenderEvidence adds the observables of one evidence item, by its @odata.type.
func defenderEvidence(obs *observables, ev *object) {
	role := ""
	if roles := ev.strs("roles"); len(roles) > 0 {
		role = strings.ToLower(roles[0])
	}
	kind := ev.str("@odata.type")
	kind = kind[strings.LastIndexByte(kind, '.')+1:]
	switch kind {
	case "deviceEvidence":
		obs.add(alert.ObsHost, firstOf(ev.str("deviceDnsName"), ev.str("hostName")), role)
		for _, ip := range ev.strs("ipInterfaces") {
			obs.ip(ip, role)
		}
		for _, u := range ev.objects("loggedOnUsers") {
			obs.add(alert.ObsUser, u.str("accountName"), "")
		}
	case "ipEvidence":
		obs.ip(ev.str("ipAddress"), role)
	case "userEvidence":
		defenderAccount(obs, ev.obj("userAccount"), role)
	case "fileEvidence":
		defenderFile(obs, ev.obj("fileDetails"), role)
	case "processEvidence":
		defenderFile(obs, ev.obj("imageFile"), role)
		defenderAccount(obs, ev.obj("userAccount"), role)
	case "fileHashEvidence":
		obs.hash(ev.str("value"), role)
	case "urlEvidence":
		obs.add(alert.ObsURL, ev.str("url"), role)
	case "mailboxEvidence":
		obs.email(ev.str("primaryAddress"), role)
		defenderAccount(obs, ev.obj("userAccount"), role)
	case "analyzedMessageEvidence":
		obs.ip(ev.str("senderIp"), "sender")
		obs.email(ev.obj("p1Sender").str("emailAddress"), "sender")
		obs.email(ev.obj("p2Sender").str("emailAddress"), "sender")
		obs.email(ev.str("recipientEmailAddress"), "recipient")
	}
}

// defenderAccount adds a user account (userAccount): its account name and principal name.
func defenderAccount(obs *observables, u *object, role string) {
	obs.add(alert.ObsUser, u.str("accountName"), role)
	obs.add(alert.ObsUser, u.str("userPrincipalName"), role)
}

// defenderFile adds a file (fileDetails): its name and hashes.
func defenderFile(obs *observables, f *object, role string) {
	obs.add(alert.ObsFileName, f.str("fileName"), role)
	obs.add(alert.ObsMD5, f.str("md5"), role)
	obs.add(alert.ObsSHA1, f.str("sha1"), role)
	obs.add(alert.ObsSHA256, f.str("sha256"), role)
}
