package syslog

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/alert"
)

func TestParseRulesErrorsGiveTheLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		want []string // substrings of the error
	}{
		// For syntax errors the YAML parser names the line of the construct it was in, which may be
		// the one before the bad character.
		{"yaml syntax", "rules:\n  - name: a\n    title: t\n\tlabels: {}\n", []string{"yaml: line ", "tab character"}},
		{"duplicate key", "rules:\n  - name: a\n    title: t\n    title: u\n", []string{"line 4", `"title" already defined`}},
		{"yaml type", "rules:\n  - name: a\n    drop: maybe\n", []string{"line 3", "maybe"}},
		{"unknown top-level field", "rules: []\nrulez: []\n", []string{"line 2", "rulez"}},
		{"unknown rule field", "rules:\n  - name: a\n    title: t\n    severty: high\n", []string{"line 4", `"severty"`}},
		{"unknown match field", "rules:\n  - name: a\n    match:\n      hostname: x\n    title: t\n",
			[]string{"line 4", `"match.hostname"`}},
		{"bad message regex", "rules:\n  - name: a\n    match:\n      program: sshd\n      message: 'Failed (password'\n    title: t\n",
			[]string{"line 5", `rule "a"`, "match.message", "missing closing )"}},
		{"bad host regex", "rules:\n  - match:\n      host_regex: '*'\n    title: t\n",
			[]string{"line 3", `rule "rule 1"`, "match.host_regex"}},
		{"unknown facility", "rules:\n  - name: a\n    match:\n      facility: [auth, bogus]\n    title: t\n",
			[]string{"line 4", `unknown facility "bogus"`}},
		{"bad severity condition", "rules:\n  - name: a\n    match:\n      severity: '<=loud'\n    title: t\n",
			[]string{"line 4", `unknown syslog severity "loud"`}},
		{"empty severity range", "rules:\n  - name: a\n    match:\n      severity: '<emerg'\n    title: t\n",
			[]string{"line 4", "matches no severity"}},
		{"missing title", "rules:\n  - name: ok\n    title: t\n  - name: b\n    match: {program: x}\n",
			[]string{"line 4", `rule "b"`, "title: is required"}},
		{"unknown placeholder", "rules:\n  - name: a\n    match:\n      message: '(?P<user>\\S+)'\n    title: '{user} on {hots}'\n",
			[]string{"line 5", "unknown placeholder {hots}"}},
		{"unclosed placeholder", "rules:\n  - name: a\n    title: 'x {host'\n", []string{"line 3", "unclosed placeholder"}},
		{"bad alert severity", "rules:\n  - name: a\n    title: t\n    severity: sever\n", []string{"line 4", `unknown alert severity "sever"`}},
		{"bad observable type", "rules:\n  - name: a\n    title: t\n    observables:\n      - {type: phone, value: '{host}'}\n",
			[]string{"line 5", `unknown observable type "phone"`}},
		{"bad label template", "rules:\n  - name: a\n    title: t\n    labels:\n      who: '{nobody}'\n",
			[]string{"line 4", "who: unknown placeholder {nobody}"}},
		{"empty glob", "rules:\n  - name: a\n    match:\n      program: ''\n    title: t\n", []string{"line 4", "empty pattern"}},
		{"rule not a mapping", "rules:\n  - just a string\n", []string{"line 2", "must be a mapping"}},
		{"empty document", "", []string{"empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseRules([]byte(tt.yaml))
			require.Error(t, err)
			for _, w := range tt.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestParseRulesReadsEveryField(t *testing.T) {
	t.Parallel()
	rs, err := ParseRules([]byte(`
rules:
  - name: noisy
    match: {program: CRON}
    drop: true
  - name: web
    match:
      host: ["web-*", "www?"]
      host_regex: '(?i)^w'
      program: nginx
      program_regex: 'nginx'
      facility: [daemon, local7]
      severity: ["<=err", debug]
      message: 'denied (?P<what>\w+)'
    title: "{what} denied on {host}"
    description: "{message} ({facility}.{severity})"
    severity: high
    fingerprint: "web:{host}:{what}"
    labels: {team: web, what: "{what}"}
    observables:
      - {type: host, value: "{host}", role: target}
`))
	require.NoError(t, err)
	require.Len(t, rs.Rules, 2)
	require.True(t, rs.Rules[0].Drop)
	w := rs.Rules[1]
	require.Equal(t, StringList{"web-*", "www?"}, w.Match.Host)
	require.Equal(t, StringList{"nginx"}, w.Match.Program, "a single string is a list of one")
	require.Equal(t, StringList{"<=err", "debug"}, w.Match.Severity)
	require.Equal(t, "high", w.Severity)
	require.Equal(t, map[string]string{"team": "web", "what": "{what}"}, w.Labels)
	require.Equal(t, []ObservableRule{{Type: "host", Value: "{host}", Role: "target"}}, w.Observables)
	require.NoError(t, rs.Validate())

	rules, err := compileRules(rs)
	require.NoError(t, err)
	msg := func(raw string) Message {
		m, err := ParseMessage([]byte(raw), time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), time.UTC)
		require.NoError(t, err)
		return m
	}
	m := msg("<187>Apr 30 10:00:00 web-01 nginx[7]: access denied login for 198.51.100.7")
	in, ok := decide(rules, &m, []byte("raw"), "192.0.2.1")
	require.True(t, ok)
	require.Equal(t, "login denied on web-01", in.Title)
	require.Equal(t, "access denied login for 198.51.100.7 (local7.err)", in.Description)
	require.Equal(t, alert.Severity("high"), in.Severity)
	require.Equal(t, "web:web-01:login", in.Fingerprint)
	require.Equal(t, "web", in.Labels["team"])
	require.Equal(t, "login", in.Labels["what"])
	require.Equal(t, "192.0.2.1", in.Labels["peer"])
	require.Contains(t, in.Observables, alert.Observable{Type: alert.ObsHost, Value: "web-01", Role: "target"})

	// warning (4) is neither ≤ err nor debug.
	m = msg("<188>Apr 30 10:00:00 web-01 nginx[7]: access denied login")
	_, ok = decide(rules, &m, nil, "192.0.2.1")
	require.False(t, ok)
	// The host glob is case-insensitive and anchored.
	m = msg("<187>Apr 30 10:00:00 WWW1 nginx: access denied x")
	_, ok = decide(rules, &m, nil, "")
	require.True(t, ok)
	m = msg("<187>Apr 30 10:00:00 www10 nginx: access denied x")
	_, ok = decide(rules, &m, nil, "")
	require.False(t, ok)
	// The drop rule wins because it comes first.
	m = msg("<187>Apr 30 10:00:00 web-01 CRON[1]: access denied x")
	_, ok = decide(rules, &m, nil, "")
	require.False(t, ok)
}

func TestTemplates(t *testing.T) {
	t.Parallel()
	known := func(n string) bool { return n == "a" || n == "b_2" }
	values := map[string]string{"a": "A", "b_2": "{a}"}
	tests := []struct {
		src, want, err string
	}{
		{"plain", "plain", ""},
		{"{a}-{b_2}", "A-{a}", ""}, // a value is never read as a template
		{"{{a}} }", "{a} }", ""},
		{"", "", ""},
		{"{c}", "", "unknown placeholder {c}"},
		{"{a", "", "unclosed placeholder"},
		{"{ a }", "", "bad placeholder"},
		{"{1a}", "", "bad placeholder"},
		{"{}", "", "bad placeholder"},
	}
	for _, tt := range tests {
		tpl, err := parseTemplate(tt.src, known)
		if tt.err != "" {
			require.ErrorContains(t, err, tt.err, tt.src)
			continue
		}
		require.NoError(t, err, tt.src)
		require.Equal(t, tt.want, tpl.render(func(n string) string { return values[n] }, 0), tt.src)
	}
	tpl, err := parseTemplate("[{a}]", known)
	require.NoError(t, err)
	require.Equal(t, "[é]", tpl.render(func(string) string { return "éé" }, 3), "cut on a character boundary")
}

// The default rules, on messages as the programs write them.
func TestDefaultRules(t *testing.T) {
	t.Parallel()
	rules, err := compileRules(DefaultRules())
	require.NoError(t, err)
	now := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)
	tests := []struct {
		raw      string
		rule     string // "" means dropped
		title    string
		severity string
		labels   map[string]string
		user     string // a user observable expected
	}{
		{"<38>Nov 27 15:28:57 bastion sshd[812]: Failed password for invalid user admin from 203.0.113.9 port 51234 ssh2",
			"sshd-auth-failure", "SSH authentication failure for admin on bastion from 203.0.113.9", "medium",
			map[string]string{"program": "sshd", "procid": "812", "facility": "auth", "syslog_severity": "info", "auth_method": "password"}, "admin"},
		{"<38>1 2026-11-27T15:28:57Z bastion sshd 812 - - Failed publickey for bob from 2001:db8::5 port 22 ssh2: RSA SHA256:abc",
			"sshd-auth-failure", "SSH authentication failure for bob on bastion from 2001:db8::5", "medium", nil, "bob"},
		{"<38>Nov 27 15:28:57 bastion sshd[812]: Invalid user oracle from 203.0.113.9 port 4242",
			"sshd-invalid-user", "SSH login attempt for unknown user oracle on bastion from 203.0.113.9", "low", nil, "oracle"},
		{"<38>Nov 27 15:28:57 bastion sshd[812]: error: maximum authentication attempts exceeded for root from 203.0.113.9 port 22 ssh2 [preauth]",
			"sshd-max-auth-attempts", "SSH maximum authentication attempts exceeded for root on bastion from 203.0.113.9", "medium", nil, "root"},
		{"<85>Nov 27 15:28:57 bastion sshd[812]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root",
			"", "", "", nil, ""},
		{"<38>Nov 27 15:28:57 bastion sshd[812]: Accepted publickey for bob from 192.0.2.4 port 22 ssh2", "", "", "", nil, ""},
		{"<85>Nov 27 15:28:57 db1 sudo:      bob : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/bash",
			"sudo-failure", "sudo failure on db1: bob (3 incorrect password attempts)", "high",
			map[string]string{"target_user": "root", "command": "/bin/bash"}, "bob"},
		{"<85>Nov 27 15:28:57 db1 sudo: mallory : user NOT in sudoers ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/usr/bin/id",
			"sudo-failure", "sudo failure on db1: mallory (user NOT in sudoers)", "high", nil, "mallory"},
		{"<85>Nov 27 15:28:57 db1 sudo: pam_unix(sudo:auth): authentication failure; logname=bob uid=1000 euid=0 tty=/dev/pts/0 ruser=bob rhost=  user=bob",
			"", "", "", nil, ""},
		{"<86>Nov 27 15:28:57 db1 su[77]: FAILED SU (to root) bob on pts/0",
			"su-failure", "su to root failed for bob on db1", "medium", nil, "bob"},
		{"<85>Nov 27 15:28:57 kiosk login[9]: pam_unix(login:auth): authentication failure; logname=LOGIN uid=0 euid=0 tty=tty1 ruser= rhost=  user=carol",
			"pam-auth-failure", "Authentication failure (login) for carol on kiosk", "low", nil, "carol"},
		{"<86>Nov 27 15:28:57 db1 useradd[5]: new user: name=mallory, UID=1001, GID=1001, home=/home/mallory, shell=/bin/bash, from=/dev/pts/0",
			"account-created", "Account mallory created on db1", "low", nil, "mallory"},
		{"<86>Nov 27 15:28:57 db1 usermod[6]: add 'mallory' to group 'sudo'",
			"privileged-group-change", "mallory added to privileged group sudo on db1", "medium", nil, "mallory"},
		{"<6>Nov 27 15:28:57 web1 kernel: [1234.5678] nginx[4242]: segfault at 0 ip 00007f0000000000 sp 00007ffd00000000 error 4 in libc.so.6",
			"kernel-process-crash", "nginx crashed (segfault at) on web1", "medium", map[string]string{"process": "nginx"}, ""},
		{"<6>Nov 27 15:28:57 web1 kernel: traps: php-fpm[99] general protection fault ip:55 sp:7f error:0",
			"kernel-process-crash", "php-fpm crashed (general protection fault) on web1", "medium", nil, ""},
		{`<5>Nov 27 15:28:57 web1 kernel: audit: type=1400 audit(1700000000.123:456): avc:  denied  { read } for  pid=1234 comm="httpd" name="shadow" dev="dm-0" ino=123 scontext=system_u:system_r:httpd_t:s0 tcontext=system_u:object_r:shadow_t:s0 tclass=file permissive=0`,
			"selinux-denial", "SELinux denied read on file to httpd on web1", "medium",
			map[string]string{"tcontext": "system_u:object_r:shadow_t:s0"}, ""},
		{`<5>Nov 27 15:28:57 web1 kernel: audit: type=1400 audit(1700000000.1:2): apparmor="DENIED" operation="open" class="file" profile="/usr/sbin/cupsd" name="/etc/shadow" pid=1 comm="cupsd" requested_mask="r"`,
			"apparmor-denial", "AppArmor denied open of /etc/shadow to /usr/sbin/cupsd on web1", "medium", map[string]string{"comm": "cupsd"}, ""},
		{`<14>Nov 27 15:28:57 web1 audispd: type=ANOM_PROMISCUOUS msg=audit(1700000000.1:3): dev=eth0 prom=256 old_prom=0`,
			"audit-anomaly", "Audit anomaly ANOM_PROMISCUOUS on web1", "high", nil, ""},
		{`<14>Nov 27 15:28:57 web1 audispd: type=USER_AUTH msg=audit(1700000000.1:4): pid=1 uid=0 msg='op=PAM:authentication grantors=? acct="dave" exe="/usr/sbin/sshd" res=failed'`,
			"audit-failure", "Audit USER_AUTH failure for dave on web1", "medium", nil, "dave"},
		{"<2>Nov 27 15:28:57 nas1 smartd[3]: Device: /dev/sda, FAILED SMART self-check. BACK UP DATA NOW!",
			"critical-message", "crit syslog message on nas1: Device: /dev/sda, FAILED SMART self-check. BACK UP DATA NOW!", "critical", nil, ""},
		{"<11>Nov 27 15:28:57 nas1 app: an ordinary error", "", "", "", nil, ""},
		{"<78>Nov 27 15:28:57 nas1 CRON[1]: (root) CMD (run-parts /etc/cron.hourly)", "", "", "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.raw[:min(len(tt.raw), 60)], func(t *testing.T) {
			m, err := ParseMessage([]byte(tt.raw), now, time.UTC)
			require.NoError(t, err)
			in, ok := decide(rules, &m, []byte(tt.raw), "192.0.2.1")
			if tt.rule == "" {
				require.False(t, ok, "want dropped, got %q", in.Title)
				return
			}
			require.True(t, ok, "want rule %s", tt.rule)
			require.Equal(t, tt.rule, in.Labels["rule"])
			require.Equal(t, tt.title, in.Title)
			require.Equal(t, tt.severity, string(in.Severity))
			require.Equal(t, Source, in.Source)
			require.Equal(t, []byte(tt.raw), in.Raw)
			require.NotEmpty(t, in.Fingerprint)
			for k, v := range tt.labels {
				require.Equal(t, v, in.Labels[k], k)
			}
			require.Contains(t, in.Observables, alert.Observable{Type: alert.ObsHost, Value: strings.ToLower(m.Hostname)})
			if tt.user != "" {
				require.Contains(t, in.Observables, alert.Observable{Type: alert.ObsUser, Value: tt.user,
					Role: map[bool]string{true: "actor", false: "target"}[strings.HasPrefix(tt.rule, "su")]})
			}
			// The alert normalises: the addresses in the text become observables there.
			a, err := alert.Normalise(in, now, 0)
			require.NoError(t, err)
			require.Equal(t, m.Timestamp.UTC(), a.OccurredAt)
		})
	}
}

// A message that names no host is matched, labelled and observed under the sender's address.
func TestRulesUseThePeerWhenTheMessageHasNoHost(t *testing.T) {
	t.Parallel()
	rs, err := ParseRules([]byte("rules:\n  - match: {host: '10.0.0.*'}\n    title: 'from {host}'\n"))
	require.NoError(t, err)
	rules, err := compileRules(rs)
	require.NoError(t, err)
	m, _ := ParseMessage([]byte("no syslog header at all"), time.Now(), time.UTC)
	in, ok := decide(rules, &m, nil, "10.0.0.7")
	require.True(t, ok)
	require.Equal(t, "from 10.0.0.7", in.Title)
	require.Equal(t, "10.0.0.7", in.Labels["host"])
	require.Equal(t, "unknown", in.Labels["syslog_format"])
	require.Equal(t, alert.Severity("low"), in.Severity, "user.notice maps to low")
	require.Contains(t, in.Observables, alert.Observable{Type: alert.ObsIPv4, Value: "10.0.0.7"})
}
