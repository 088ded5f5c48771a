package playbook

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/incident"
)

func matchPlaybook(t *testing.T, id, appliesTo string) Playbook {
	t.Helper()
	src := "id: " + id + "\nname: N\nversion: 1\n" + appliesTo +
		"roles: [commander]\nphases: {identification: {steps: [{id: s, title: S, role: commander}]}}\n"
	p, err := Load(id+".yaml", []byte(src))
	require.NoError(t, err)
	return p
}

func TestMatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, appliesTo string
		facts           IncidentFacts
		want            bool
	}{
		{"manual only", "", IncidentFacts{Type: incident.TypeMalware}, false},
		{"empty applies_to", "applies_to: {}\n", IncidentFacts{Type: incident.TypeMalware}, false},
		{"type", "applies_to: {types: [malware, ransomware]}\n", IncidentFacts{Type: incident.TypeRansomware}, true},
		{"other type", "applies_to: {types: [malware]}\n", IncidentFacts{Type: incident.TypePhishing}, false},
		{"type and when", "applies_to: {types: [data_breach], when: personal_data}\n",
			IncidentFacts{Type: incident.TypeDataBreach, PersonalData: true}, true},
		{"type but not when", "applies_to: {types: [data_breach], when: personal_data}\n",
			IncidentFacts{Type: incident.TypeDataBreach}, false},
		{"when but not type", "applies_to: {types: [data_breach], when: personal_data}\n",
			IncidentFacts{Type: incident.TypeMalware, PersonalData: true}, false},
		{"tags are lower case", "applies_to: {when: '\"vip\" in tags'}\n", IncidentFacts{Tags: []string{"VIP"}}, true},
		{"severity and criticality", "applies_to: {when: 'severity_rank >= 3 and criticality == 4 and priority == \"P1\"'}\n",
			IncidentFacts{Severity: incident.SeverityHigh, MaxCriticality: 4, Priority: incident.P1}, true},
		{"tlp and restricted", "applies_to: {when: 'tlp == \"red\" and restricted'}\n",
			IncidentFacts{TLP: incident.TLPRed, Restricted: true}, true},
		{"custom field", "applies_to: {when: 'custom[\"region\"] == \"eu\"'}\n",
			IncidentFacts{CustomFields: map[string]string{"region": "eu"}}, true},
		{"missing custom field", "applies_to: {when: 'custom[\"region\"] == \"eu\"'}\n", IncidentFacts{}, false},
		{"type in when", "applies_to: {when: 'type == \"insider\" and severity == \"low\"'}\n",
			IncidentFacts{Type: incident.TypeInsider, Severity: incident.SeverityLow}, true},
		{"run-time error counts as false", "applies_to: {when: 'len(1..100000000) > 0'}\n", IncidentFacts{}, false},
	}
	for _, tt := range tests {
		p := matchPlaybook(t, "m", tt.appliesTo)
		require.Equal(t, tt.want, p.Matches(tt.facts), tt.name)
	}

	// A playbook built in code, with no compiled expression, compiles it when asked.
	p := Playbook{ID: "code", AppliesTo: AppliesTo{When: "restricted"}}
	require.True(t, p.Matches(IncidentFacts{Restricted: true}))
	require.False(t, Playbook{AppliesTo: AppliesTo{When: "nonsense +"}}.Matches(IncidentFacts{}))
}

func TestSelectPrefersTheMostSpecific(t *testing.T) {
	t.Parallel()
	lib := []Playbook{
		matchPlaybook(t, "broad", "applies_to: {types: [malware, ransomware, other]}\n"),
		matchPlaybook(t, "narrow", "applies_to: {types: [malware]}\n"),
		matchPlaybook(t, "tagged", "applies_to: {when: '\"edr\" in tags'}\n"),
		matchPlaybook(t, "tagged-malware", "applies_to: {types: [malware, other], when: '\"edr\" in tags'}\n"),
		matchPlaybook(t, "b-twin", "applies_to: {types: [phishing]}\n"),
		matchPlaybook(t, "a-twin", "applies_to: {types: [phishing]}\n"),
		matchPlaybook(t, "manual", ""),
	}
	tests := []struct {
		facts IncidentFacts
		want  string
	}{
		{IncidentFacts{Type: incident.TypeMalware}, "narrow"},
		{IncidentFacts{Type: incident.TypeRansomware}, "broad"},
		{IncidentFacts{Type: incident.TypeMalware, Tags: []string{"edr"}}, "tagged-malware"},
		{IncidentFacts{Type: incident.TypeInsider, Tags: []string{"edr"}}, "tagged"},
		{IncidentFacts{Type: incident.TypePhishing}, "a-twin"},
		{IncidentFacts{Type: incident.TypeInsider}, ""},
	}
	for _, tt := range tests {
		p, ok := Select(lib, tt.facts)
		require.Equal(t, tt.want != "", ok)
		require.Equal(t, tt.want, p.ID, "%+v", tt.facts)
	}
	_, ok := Select(nil, IncidentFacts{Type: incident.TypeMalware})
	require.False(t, ok)
}

func TestFacts(t *testing.T) {
	t.Parallel()
	detected := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	inc := &incident.Incident{Type: incident.TypeMalware, Severity: incident.SeverityHigh, Priority: incident.P2,
		TLP: incident.TLPAmber, Restricted: true, Tags: []string{"edr"}, CustomFields: map[string]string{"site": "lyon"},
		Phase: incident.PhaseContainment, MaxCriticality: 3, Milestones: incident.Milestones{DetectedAt: &detected}}
	f := Facts(inc)
	require.Equal(t, IncidentFacts{Type: incident.TypeMalware, Severity: incident.SeverityHigh, Priority: incident.P2,
		TLP: incident.TLPAmber, Restricted: true, Tags: []string{"edr"}, CustomFields: map[string]string{"site": "lyon"},
		MaxCriticality: 3, Phase: incident.PhaseContainment, DetectedAt: detected}, f)
	require.Equal(t, Env{Type: "malware", Severity: "high", SeverityRank: 3, Priority: "P2", TLP: "amber", Tags: []string{"edr"},
		Restricted: true, Custom: map[string]string{"site": "lyon"}, Criticality: 3}, f.Env())
	require.Equal(t, map[string]string{}, IncidentFacts{}.Env().Custom, "expressions can index custom fields of any incident")
}
