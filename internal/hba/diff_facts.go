package hba

import "strings"

// diffFacts answers from a partial assignment; unassigned facts are
// unknown (and split the class). A role is a member of itself.
type diffFacts struct {
	self   *[]string // memberships answered by "a role is a member of itself", reported as conditions
	assign map[string]bool
	a      Attempt
	m      *Matcher
}

func (f diffFacts) forMatcher(m *Matcher) facts { f.m = m; return f }

func (f diffFacts) get(k string) (bool, bool) {
	v, ok := f.assign[k]
	return v, ok
}

func (f diffFacts) member(role string) (bool, bool) {
	if role == f.a.User {
		if f.self != nil {
			*f.self = append(*f.self, "member:"+role)
		}
		return true, true
	}
	return f.get("member:" + role)
}

func (f diffFacts) sameHost() (bool, bool) {
	if f.m.env.Interfaces != nil {
		return attemptFacts{m: f.m, a: f.a}.sameHost()
	}
	return f.get("samehost")
}

func (f diffFacts) sameNet() (bool, bool) {
	if f.m.env.Interfaces != nil {
		return attemptFacts{m: f.m, a: f.a}.sameNet()
	}
	return f.get("samenet")
}

func (f diffFacts) hostname(p string) (bool, bool) { return f.get("host:" + strings.ToLower(p)) }

// consistentFacts reports whether some attempt satisfies the assignment:
// samehost implies samenet; host-name patterns must fit one name (or none).
func consistentFacts(m map[string]bool) bool {
	if sh, ok := m["samehost"]; ok && sh {
		if sn, ok := m["samenet"]; ok && !sn {
			return false
		}
	}
	var exact []string
	var sufTrue, sufFalse, exactFalse []string
	for k, v := range m {
		p, ok := strings.CutPrefix(k, "host:")
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(p, ".") && v:
			sufTrue = append(sufTrue, p)
		case strings.HasPrefix(p, "."):
			sufFalse = append(sufFalse, p)
		case v:
			exact = append(exact, p)
		default:
			exactFalse = append(exactFalse, p)
		}
	}
	if len(exact) > 0 {
		h := exact[0]
		for k, v := range m {
			if p, ok := strings.CutPrefix(k, "host:"); ok && hostnameMatch(p, h) != v {
				return false
			}
		}
		return true
	}
	longest := ""
	for _, s := range sufTrue {
		if len(s) > len(longest) {
			longest = s
		}
	}
	for _, s := range sufTrue {
		if !strings.HasSuffix(longest, s) {
			return false
		}
	}
	if longest != "" {
		for _, s := range sufFalse {
			if strings.HasSuffix(longest, s) {
				return false
			}
		}
	}
	_ = exactFalse // a fresh label avoids every excluded exact name
	return true
}
