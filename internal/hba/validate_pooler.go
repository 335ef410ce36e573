package hba

import "strings"

// validatePgBouncer checks what PgBouncer 1.18's hba.c accepts: it drops a
// line it cannot parse (fail-open), so each of these is a plan error.
func (r Rule) validatePgBouncer(ps *problems) {
	m := r.Method
	switch m {
	case Trust, Reject, MD5, Password, Peer, Cert, ScramSHA256:
	default:
		ps.add("method", string(m), "PgBouncer 1.18 hba supports only trust, reject, md5, password, peer, cert and scram-sha-256 (it drops the line: \"unsupported method\")")
	}
	for _, o := range r.allOptions() {
		ps.add(o.field(), o.shown(), "PgBouncer 1.18 accepts no options on an hba line (it drops the whole line: \"unsupported parameters\")")
	}
	if m == Peer && r.Type != Local {
		ps.add("method", string(m), "peer authentication is only supported on local sockets")
	}
}

// validatePgpool checks what Pgpool-II 4.3.5's pool_hba.c accepts.
func (r Rule) validatePgpool(ps *problems) {
	m := r.Method
	switch m {
	case Trust, Reject, MD5, Password, Cert, ScramSHA256, PAM, LDAP:
	default:
		ps.add("method", string(m), "Pgpool-II 4.3 pool_hba supports only trust, reject, cert, password, md5, scram-sha-256, pam and ldap")
	}
	for _, o := range r.allOptions() {
		ok := (o.Name == "pamservice" && m == PAM) || (strings.HasPrefix(o.Name, "ldap") && optionSpecs[o.Name].label == "ldap" && m == LDAP)
		if !ok {
			ps.add(o.field(), o.shown(), "the pgpool target accepts only pamservice (pam) and ldap* (ldap) options")
		}
	}
}
