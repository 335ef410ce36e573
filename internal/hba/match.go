package hba

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// This file simulates PostgreSQL's pg_hba.conf decision (hba.c check_hba and
// the parts of auth.c ClientAuthentication that decide from the matched
// line alone): given the file as a server of major version v reads it, an
// environment (the server's interface addresses, @file contents, pg_ident
// maps) and one connection attempt, which line matches first, with which
// effective method and options, or the implicit reject; and, for lines that
// check a client certificate or an identity map, whether this attempt's
// certificate or system user passes.
//
// Facts followed (PostgreSQL 13 to 18 hba.c):
//   - Lines are tried in file order; the first line whose connection type,
//     address, database and role all match decides, even if authentication
//     then fails (no fall-through). No line: "implicit reject".
//   - Connection type: local matches Unix-socket connections only; host
//     every TCP connection; hostssl TLS ones; hostnossl non-TLS ones (also
//     GSS-encrypted ones); hostgssenc GSS-encrypted ones; hostnogssenc
//     non-GSS-encrypted ones (also TLS ones).
//   - Address: all; samehost (the client address equals one of the server's
//     interface addresses); samenet (the client address is in the subnet of
//     one of them); an address with a CIDR or separate netmask, compared
//     byte by byte under the mask and only within the same address family
//     (an IPv4-mapped IPv6 client address such as ::ffff:10.1.2.3 is IPv6 to
//     hba.c: it matches ::ffff:0:0/96 but never 10.0.0.0/8); a host name or
//     .suffix, compared case-insensitively with the client's reverse-DNS
//     name, which must also resolve forward to the client address.
//   - Database: a physical replication connection matches only the
//     replication keyword; otherwise all matches everything, sameuser a
//     database named like the role, samerole/samegroup a database named like
//     a role the user is a member of, replication nothing, a /regex (16+)
//     by an unanchored search, anything else by exact comparison.
//   - Role: +role matches members of role (directly or through other
//     roles, regardless of INHERIT; a role is a member of itself; a
//     superuser is not implicitly a member of anything; a role that does not
//     exist is a member of nothing), all matches everyone, /regex (16+) by
//     an unanchored search, anything else exactly.
//   - @file references are replaced by the names in the file (tokens keep
//     their quoting, so an unquoted all inside is the keyword); the contents
//     are an input (Environment.Files): a reference whose contents are not
//     given makes the decision undetermined, never guessed.
//   - A line with clientcert (cert implies clientcert=verify-full) refuses a
//     connection without a certificate the server verified before anything
//     else ("connection requires a valid client certificate"); cert compares
//     the certificate's CN (or its RFC 2253 DN with clientname=DN) with the
//     role, or maps it through map=; clientcert=verify-full on another
//     method compares it with the role after that method succeeded.
//   - Host names: the simulation performs no DNS lookup (plans must not
//     depend on the network); the reverse name of the client address and
//     whether it resolves back to it are attempt inputs, and a host-name
//     line reached without them makes the decision undetermined.

// Encryption is the transport encryption of a TCP connection attempt.
type Encryption string

const (
	EncryptionNone Encryption = "none" // plaintext TCP
	EncryptionSSL  Encryption = "ssl"  // TLS
	EncryptionGSS  Encryption = "gss"  // GSSAPI encryption
)

// ClientCertificate is the client certificate of a TLS attempt.
type ClientCertificate struct {
	// CN is the subject's common name as PostgreSQL reads it (the first CN).
	CN string
	// DN is the subject in RFC 2253 form, as PostgreSQL formats it for
	// clientname=DN (for example "CN=alice,OU=dev,O=Example").
	DN string
	// Unverified marks a certificate the server's ssl_ca_file does not
	// verify. PostgreSQL (checked on 15 and 18) then fails the TLS handshake
	// ("could not accept SSL connection: certificate verify failed") before
	// pg_hba.conf is consulted, whatever the lines say. (A server without
	// ssl_ca_file asks for no certificate: describe that attempt without one.)
	Unverified bool
}

// ReverseDNS is what the server's resolver says about the client address.
type ReverseDNS struct {
	// Name is the client address's reverse-DNS name; empty when it has none.
	Name string
	// Confirmed reports whether Name resolves forward to the client address
	// (PostgreSQL requires it).
	Confirmed bool
}

// Attempt is one connection attempt as the server sees it.
type Attempt struct {
	Local       bool       // Unix-domain socket (type local); Address and Encryption are unused
	Address     netip.Addr // client address of a TCP attempt, as the server sees it
	Encryption  Encryption // TCP: none (default), ssl or gss
	Database    string
	User        string
	Replication bool // physical replication connection (replication=true); logical (replication=database) is an ordinary one

	// MemberOf lists the roles User is a member of, directly or through
	// other roles. MembershipKnown false means unknown: a +role or samerole
	// line reached then makes the decision undetermined.
	MemberOf        []string
	MembershipKnown bool
	// RoleMissing says User does not exist (then it is a member of nothing,
	// not even itself).
	RoleMissing bool

	ClientCert *ClientCertificate // TLS client certificate; nil = none
	SystemUser string             // identity a peer (OS user) or ident lookup reports; empty = unknown
	Hostname   *ReverseDNS        // nil = unknown
}

// Interface is one server network address with its netmask (what
// getifaddrs() reports), for samehost and samenet.
type Interface = netip.Prefix

// Environment is what the decision depends on besides the file and the attempt.
type Environment struct {
	// Interfaces are the server's addresses with their netmasks. Nil means
	// unknown: a samehost or samenet line reached then makes the decision
	// undetermined.
	Interfaces []Interface
	// Files holds the contents of @file references, by the name as written
	// after @. A reference not in Files is unresolved.
	Files map[string]string
	// IdentMaps are the pg_ident.conf maps; IdentMapsKnown false means
	// unknown (then map= checks are undetermined).
	IdentMaps      []IdentMap
	IdentMapsKnown bool
}

// Result is the outcome class of a decision.
type Result string

const (
	// ResultReject: the server refuses the attempt without asking for
	// credentials (a reject line, no matching line, or a certificate or
	// identity check this attempt fails).
	ResultReject Result = "reject"
	// ResultAllow: the server goes on with Method; with trust, or cert
	// and a certificate that passes, that is final, otherwise the
	// credentials Method asks for decide.
	ResultAllow Result = "allow"
)

// CertCheck is the verdict on a line's client-certificate requirement.
type CertCheck struct {
	Mode     string // verify-ca or verify-full (cert implies verify-full)
	Compared string // CN or DN: what verify-full compares with the role ("" for verify-ca)
	Map      string // map= the comparison goes through ("" = the role itself)
	Passes   bool
	Known    bool   // false when the verdict needs an input the attempt or environment lacks (ident maps)
	Reason   string // why it fails or why it is unknown
}

// Decision is what PostgreSQL does with an attempt.
type Decision struct {
	// Index is the position of the matching line in the matcher's rules,
	// -1 for the implicit reject; Line its line in the file.
	Index int
	Line  int
	Rule  Rule // the matching rule (zero for the implicit reject)

	ImplicitReject bool
	// TLSRefused: the TLS handshake fails before any line is consulted (an
	// unverified client certificate); Index is -1.
	TLSRefused bool
	// Effective values of the matching line: Method with ident on a local
	// line read as peer; ClientCert verify-full for cert; ClientName
	// defaulting to CN when a certificate name is compared.
	Method     Method
	ClientCert string
	ClientName string
	Map        string

	Result Result
	Cert   *CertCheck // non-nil when the line requires a client certificate
	// Identity is the verdict of a peer/ident map check when SystemUser was given.
	Identity *CertCheck
	Reason   string // one sentence: which line decided and why
}

// ErrUndetermined wraps the reason a decision cannot be made from the inputs.
var ErrUndetermined = errors.New("undetermined")

// UndeterminedError says which line needs which missing input.
type UndeterminedError struct {
	Line int
	Why  string
	atom string // the fact needed: member:ROLE, samehost, samenet, host:PATTERN ("" = not a fact the diff can branch on)
}

func (e *UndeterminedError) Error() string {
	return fmt.Sprintf("line %d: %s", e.Line, e.Why)
}

func (e *UndeterminedError) Unwrap() error { return ErrUndetermined }

// Matcher evaluates attempts against one parsed file.
type Matcher struct {
	Version int
	rules   []*matchRule
	env     Environment
	idents  map[string][]identLine
	identEr error
}

type matchRule struct {
	index int
	line  int
	rule  Rule
	dbs   []nameTest
	users []nameTest
	addr  addrTest
	desc  string // "line N (the line)" for reasons
	// effective values
	method     Method
	clientCert string
	clientName string
}

// nameTest is one database or role token as the server reads it.
type nameTest struct {
	keyword string     // all, sameuser, samerole, replication (samegroup normalized)
	member  string     // +role (roles only)
	regex   *areRegexp // /regex (16+)
	literal string
	isLit   bool
	file    string // unresolved @file (its name)
	err     error  // an expression the simulation cannot evaluate
	shown   string
}

type addrKindT int

const (
	addrAll addrKindT = iota
	addrSameHost
	addrSameNet
	addrMask
	addrName
)

type addrTest struct {
	kind     addrKindT
	ip, mask netip.Addr   // addrMask: address and netmask of one family
	prefix   netip.Prefix // addrMask with a contiguous mask: the CIDR (masked); invalid otherwise
	host     string       // addrName: host name or .suffix
}

// NewMatcher prepares rules (as Parse returns them for version v) for
// matching. Rules with problems should not be passed: PostgreSQL refuses a
// file with any invalid line. An error means a line cannot be simulated.
func NewMatcher(rules []ParsedRule, v int, env Environment) (*Matcher, error) {
	if v < MinVersion || v > MaxVersion {
		return nil, fmt.Errorf("postgres_version %d: must be between %d and %d", v, MinVersion, MaxVersion)
	}
	m := &Matcher{Version: v, env: env}
	for i, pr := range rules {
		mr := matchRule{index: i, line: pr.Line, rule: pr.Rule}
		var err error
		if mr.dbs, err = m.nameTests(pr.Rule.Databases, false, 0); err != nil {
			return nil, fmt.Errorf("line %d: %w", pr.Line, err)
		}
		if mr.users, err = m.nameTests(pr.Rule.Users, true, 0); err != nil {
			return nil, fmt.Errorf("line %d: %w", pr.Line, err)
		}
		if pr.Rule.Type != Local {
			if mr.addr, err = m.compileAddr(pr.Rule); err != nil {
				return nil, fmt.Errorf("line %d: %w", pr.Line, err)
			}
		}
		mr.method, mr.clientCert, mr.clientName = effectiveAuth(pr.Rule, v)
		mr.desc = fmt.Sprintf("line %d (%s)", pr.Line, compactLine(pr.Rule.String()))
		m.rules = append(m.rules, &mr)
	}
	if env.IdentMapsKnown {
		m.idents, m.identEr = compileIdentMaps(env.IdentMaps, v)
	}
	return m, nil
}

// MatchContent parses content as PostgreSQL v reads it and decides a. A file
// PostgreSQL would refuse is an error (the server keeps its old rules or
// does not start).
func MatchContent(content string, v int, env Environment, a Attempt) (Decision, error) {
	m, err := NewMatcherContent(content, v, env)
	if err != nil {
		return Decision{}, err
	}
	return m.Match(a)
}

// NewMatcherContent parses content and returns its matcher; a file with
// problems is an error naming the first one.
func NewMatcherContent(content string, v int, env Environment) (*Matcher, error) {
	pf, err := Parse(content, v)
	if err != nil {
		return nil, err
	}
	if len(pf.Problems) > 0 {
		return nil, fmt.Errorf("PostgreSQL %d would refuse this file (%d problem(s)), first: %s", v, len(pf.Problems), pf.Problems[0])
	}
	if len(pf.Directives) > 0 {
		return nil, fmt.Errorf("line %d: %s directives are not followed by the simulation; inline the included rules", pf.Directives[0].Line, pf.Directives[0].Kind)
	}
	return NewMatcher(pf.Rules, v, env)
}

// Len returns the number of rules.
func (m *Matcher) Len() int { return len(m.rules) }

// Environment returns the environment the matcher was built with.
func (m *Matcher) Environment() Environment { return m.env }

// effectiveAuth returns the method, clientcert and clientname PostgreSQL
// applies for a line.
func effectiveAuth(r Rule, v int) (Method, string, string) {
	// Method and clientcert as PostgreSQL reads them (Rule.Effective: local
	// ident is peer, cert implies verify-full, 13's 1/0/no-verify).
	e := r.Effective(v)
	cc, _ := e.Value("clientcert")
	cn := r.ClientName
	if cn == "" && cc == "verify-full" {
		cn = "CN"
	}
	return e.Method, cc, cn
}

func (m *Matcher) nameTests(names []Name, users bool, depth int) ([]nameTest, error) {
	var out []nameTest
	for _, n := range names {
		t := nameTest{shown: n.String()}
		switch n.Kind {
		case Keyword:
			switch {
			case n.Value == "all":
				t.keyword = "all"
			case users:
				t.literal, t.isLit = n.Value, true // only all is a keyword for roles
			case n.Value == "samegroup":
				t.keyword = "samerole"
			default:
				t.keyword = n.Value
			}
		case Group:
			if users {
				t.member = n.Value
			} else {
				t.literal, t.isLit = "+"+n.Value, true
			}
		case Regex:
			if m.Version >= 16 {
				t.regex, t.err = compileARE(n.Value)
			} else {
				t.literal, t.isLit = "/"+n.Value, true
			}
		case File:
			content, ok := m.env.Files[n.Value]
			if !ok {
				t.file = n.Value
				break
			}
			if depth >= 10 {
				return nil, fmt.Errorf("@%s: files nested more than 10 deep", n.Value)
			}
			inner, err := m.nameTests(m.fileNames(content, users), users, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, inner...)
			continue
		default:
			if m.Version >= 16 && strings.HasPrefix(n.Value, "/") {
				t.regex, t.err = compileARE(n.Value[1:])
			} else {
				t.literal, t.isLit = n.Value, true
			}
		}
		out = append(out, t)
	}
	return out, nil
}

// fileNames tokenizes the contents of an @file: every token of every line,
// with its quoting, read as a name of the column.
func (m *Matcher) fileNames(content string, users bool) []Name {
	var out []Name
	lines := strings.Split(content, "\n")
	var cur strings.Builder
	for i, l := range lines {
		l = strings.TrimRight(l, "\r")
		if m.Version >= 14 && strings.HasSuffix(l, `\`) && i < len(lines)-1 {
			cur.WriteString(l[:len(l)-1])
			continue
		}
		cur.WriteString(l)
		fields, _, _ := tokenizeLine(cur.String())
		cur.Reset()
		for _, f := range fields {
			for _, tok := range f {
				if users {
					out = append(out, userName(tok, m.Version, false))
				} else {
					out = append(out, databaseName(tok, m.Version, false))
				}
			}
		}
	}
	return out
}

func (m *Matcher) compileAddr(r Rule) (addrTest, error) {
	// Rule.address is the one reading of the address column (quoted
	// keywords are host names, @file, inet_aton forms, netmasks).
	ai := r.address()
	if len(ai.problems) > 0 {
		return addrTest{}, fmt.Errorf("%s", ai.problems[0].Message)
	}
	switch ai.kind {
	case addrKeyword:
		switch ai.value {
		case "samehost":
			return addrTest{kind: addrSameHost}, nil
		case "samenet":
			return addrTest{kind: addrSameNet}, nil
		}
		return addrTest{kind: addrAll}, nil
	case addrFile:
		// PostgreSQL reads the address from the file (which must hold
		// exactly one) when a client connects. With the file's contents
		// in Files it is compiled like a written address; without them
		// whether a client matches is a fact the simulation cannot know.
		name := ai.value[1:]
		content, ok := m.env.Files[name]
		if !ok {
			return addrTest{kind: addrName, host: ai.value}, nil
		}
		fields := strings.Fields(content)
		if len(fields) != 1 {
			return addrTest{}, fmt.Errorf("address @%s: the file holds %d tokens; PostgreSQL needs exactly one address there", name, len(fields))
		}
		sub := r
		sub.Address = fields[0]
		if ai := sub.address(); ai.kind == addrFile {
			return addrTest{}, fmt.Errorf("address @%s: the file names another file (%s)", name, fields[0])
		}
		return m.compileAddr(sub)
	case addrPrefix:
		return addrTest{kind: addrMask, ip: ai.ip, mask: ai.mask, prefix: ai.pfx}, nil
	case addrUnknown:
		switch {
		case ai.ip.IsValid() && ai.ip.Zone() != "":
			return addrTest{}, fmt.Errorf("address %q: zones are not supported", ai.value)
		case ai.ip.IsValid() && ai.mask.IsValid():
			// A non-contiguous netmask: PostgreSQL compares address AND mask.
			return addrTest{kind: addrMask, ip: ai.ip, mask: ai.mask}, nil
		}
		// A host name no DNS name looks like (template text): resolved
		// when a client connects, it matches nobody; kept as a name.
		return addrTest{kind: addrName, host: ai.value}, nil
	case addrHostname:
		return addrTest{kind: addrName, host: ai.value}, nil
	}
	return addrTest{}, fmt.Errorf("address %q cannot be read", r.Address)
}

// prefixMask returns the netmask of bits ones in ip's family.
func prefixMask(ip netip.Addr, bits int) netip.Addr {
	n := 4
	if ip.Is6() {
		n = 16
	}
	b := make([]byte, n)
	for i := 0; i < bits; i++ {
		b[i/8] |= 0x80 >> uint(i%8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// inRange is pg_range_sockaddr for one family: (a & mask) == (net & mask).
// Families must agree (an IPv4-mapped IPv6 address is IPv6).
func inRange(a, netAddr, mask netip.Addr) bool {
	if a.Is4() != netAddr.Is4() || mask.Is4() != netAddr.Is4() {
		return false
	}
	x, y, z := a.AsSlice(), netAddr.AsSlice(), mask.AsSlice()
	for i := range x {
		if x[i]&z[i] != y[i]&z[i] {
			return false
		}
	}
	return true
}

func (a Attempt) validate() error {
	if a.Local {
		if a.Address.IsValid() {
			return fmt.Errorf("a local (Unix-socket) attempt has no address")
		}
		if a.Encryption != "" && a.Encryption != EncryptionNone {
			return fmt.Errorf("a local (Unix-socket) attempt cannot use %s encryption", a.Encryption)
		}
	} else {
		if !a.Address.IsValid() {
			return fmt.Errorf("a TCP attempt needs the client address")
		}
		if a.Address.Zone() != "" {
			return fmt.Errorf("address %s: zones are not supported", a.Address)
		}
		switch a.Encryption {
		case "", EncryptionNone, EncryptionSSL, EncryptionGSS:
		default:
			return fmt.Errorf("encryption %q: must be none, ssl or gss", a.Encryption)
		}
	}
	if a.ClientCert != nil && a.Encryption != EncryptionSSL {
		return fmt.Errorf("a client certificate needs a TLS (ssl) attempt")
	}
	if a.User == "" {
		return fmt.Errorf("the user is empty")
	}
	if a.Database == "" && !a.Replication {
		return fmt.Errorf("the database is empty")
	}
	return nil
}

// Match decides attempt a. An *UndeterminedError (errors.Is ErrUndetermined)
// names the line that needs an input the attempt or environment lacks.
func (m *Matcher) Match(a Attempt) (Decision, error) {
	if err := a.validate(); err != nil {
		return Decision{}, err
	}
	// The server truncates the startup packet's names to NAMEDATALEN-1
	// bytes before it looks at pg_hba.conf.
	a.Database, a.User = truncateName(a.Database), truncateName(a.User)
	if a.ClientCert != nil && a.ClientCert.Unverified {
		return Decision{Index: -1, TLSRefused: true, Result: ResultReject,
			Reason: "the TLS handshake fails before pg_hba.conf is consulted: the server does not verify the client certificate (\"could not accept SSL connection: certificate verify failed\")"}, nil
	}
	return m.matchIn(m.rules, a, attemptFacts{m: m, a: a})
}

// facts answers the questions a line may ask that the attempt's names and
// address do not: memberships, samehost/samenet, host names. known false
// makes the decision undetermined (the diff assigns these one by one).
type facts interface {
	member(role string) (val, known bool)
	sameHost() (val, known bool)
	sameNet() (val, known bool)
	hostname(pattern string) (val, known bool)
}

type attemptFacts struct {
	m *Matcher
	a Attempt
}

func (f attemptFacts) member(role string) (bool, bool) {
	if f.a.RoleMissing {
		return false, true
	}
	if role == f.a.User {
		return true, true
	}
	if !f.a.MembershipKnown {
		return false, false
	}
	for _, g := range f.a.MemberOf {
		if g == role {
			return true, true
		}
	}
	return false, true
}

func (f attemptFacts) onInterfaces(host bool) (bool, bool) {
	if f.m.env.Interfaces == nil {
		return false, false
	}
	for _, ifa := range f.m.env.Interfaces {
		mask := prefixMask(ifa.Addr(), ifa.Bits())
		if host {
			mask = prefixMask(ifa.Addr(), ifa.Addr().BitLen())
		}
		if inRange(f.a.Address, ifa.Addr(), mask) {
			return true, true
		}
	}
	return false, true
}

func (f attemptFacts) sameHost() (bool, bool) { return f.onInterfaces(true) }
func (f attemptFacts) sameNet() (bool, bool)  { return f.onInterfaces(false) }

func (f attemptFacts) hostname(pattern string) (bool, bool) {
	if f.a.Hostname == nil {
		return false, false
	}
	if f.a.Hostname.Name == "" || !f.a.Hostname.Confirmed {
		return false, true
	}
	return hostnameMatch(pattern, f.a.Hostname.Name), true
}

// matchIn decides a against rules (in order) with facts f.
func (m *Matcher) matchIn(rules []*matchRule, a Attempt, f facts) (Decision, error) {
	i, err := m.firstMatch(rules, a, f)
	if err != nil {
		return Decision{}, err
	}
	if i >= 0 {
		return m.decide(rules[i], a), nil
	}
	return Decision{Index: -1, ImplicitReject: true, Result: ResultReject,
		Reason: fmt.Sprintf("no line matches (implicit reject: \"no pg_hba.conf entry for host %s\")", describeClient(a))}, nil
}

// firstMatch returns the position in rules of the first line matching a,
// or -1.
func (m *Matcher) firstMatch(rules []*matchRule, a Attempt, f facts) (int, error) {
	db := a.Database
	if a.Replication && db == "" {
		db = "replication"
	}
	for i, r := range rules {
		if !m.typeMatches(r, a) {
			continue
		}
		if r.rule.Type != Local {
			ok, err := m.addrMatches(r, a, f)
			if err != nil {
				return 0, err
			}
			if !ok {
				continue
			}
		}
		ok, err := m.dbMatches(r, a, db, f)
		if err != nil {
			return 0, err
		}
		if !ok {
			continue
		}
		ok, err = m.userMatches(r, a, f)
		if err != nil {
			return 0, err
		}
		if !ok {
			continue
		}
		return i, nil
	}
	return -1, nil
}

// compactLine collapses the column padding of a rendered line (blanks
// outside double quotes) to single blanks, for messages.
func compactLine(l string) string {
	var b strings.Builder
	inQuote, blank := false, false
	for i := 0; i < len(l); i++ {
		c := l[i]
		if c == '"' {
			inQuote = !inQuote
		}
		if !inQuote && (c == ' ' || c == '\t') {
			blank = true
			continue
		}
		if blank && b.Len() > 0 {
			b.WriteByte(' ')
		}
		blank = false
		b.WriteByte(c)
	}
	return b.String()
}

// CompactLine is a rendered line with its column padding collapsed.
func CompactLine(l string) string { return compactLine(l) }

// truncateName cuts a name to 63 bytes as PostgreSQL's ProcessStartupPacket
// does (byte-wise).
func truncateName(s string) string {
	if len(s) > maxNameBytes {
		return s[:maxNameBytes]
	}
	return s
}

func describeClient(a Attempt) string {
	host := "[local]"
	if !a.Local {
		host = a.Address.String()
	}
	enc := "no encryption"
	switch a.Encryption {
	case EncryptionSSL:
		enc = "SSL encryption"
	case EncryptionGSS:
		enc = "GSS encryption"
	}
	if a.Local {
		enc = "no encryption"
	}
	what := fmt.Sprintf("database %q", a.Database)
	if a.Replication {
		what = "replication connection"
	}
	return fmt.Sprintf("%q, user %q, %s, %s", host, a.User, what, enc)
}

func (m *Matcher) typeMatches(r *matchRule, a Attempt) bool {
	if r.rule.Type == Local {
		return a.Local
	}
	if a.Local {
		return false
	}
	ssl := a.Encryption == EncryptionSSL
	gss := a.Encryption == EncryptionGSS
	switch r.rule.Type {
	case HostSSL:
		return ssl
	case HostNoSSL:
		return !ssl
	case HostGSSEnc:
		return gss
	case HostNoGSSEnc:
		return !gss
	}
	return true
}

func (m *Matcher) addrMatches(r *matchRule, a Attempt, f facts) (bool, error) {
	t := r.addr
	switch t.kind {
	case addrAll:
		return true, nil
	case addrSameHost, addrSameNet:
		val, known := f.sameNet()
		atom := "samenet"
		if t.kind == addrSameHost {
			val, known = f.sameHost()
			atom = "samehost"
		}
		if !known {
			return false, &UndeterminedError{Line: r.line, atom: atom, Why: fmt.Sprintf("%s needs the server's interface addresses", r.rule.Address)}
		}
		return val, nil
	case addrMask:
		return inRange(a.Address, t.ip, t.mask), nil
	case addrName:
		if strings.HasPrefix(t.host, "@") {
			// An address file whose contents were not given: a single
			// attempt's host name never answers it (the access diff
			// branches on it as a fact of its own).
			if _, attempt := f.(attemptFacts); attempt {
				return false, &UndeterminedError{Line: r.line, atom: "host:" + strings.ToLower(t.host), Why: fmt.Sprintf("the address is read from the file %s: pass its contents in files", t.host[1:])}
			}
		}
		val, known := f.hostname(t.host)
		if !known {
			return false, &UndeterminedError{Line: r.line, atom: "host:" + strings.ToLower(t.host), Why: fmt.Sprintf("host name %s needs the client address's reverse-DNS name (and whether it resolves back)", t.host)}
		}
		return val, nil
	}
	return false, nil
}

// hostnameMatch is hba.c hostname_match: a leading dot matches a suffix;
// both comparisons ignore ASCII case.
func hostnameMatch(pattern, actual string) bool {
	if strings.HasPrefix(pattern, ".") {
		if len(actual) < len(pattern) {
			return false
		}
		return strings.EqualFold(pattern, actual[len(actual)-len(pattern):])
	}
	return strings.EqualFold(pattern, actual)
}

// isMember is hba.c is_member: the user (when it exists) is a member of
// itself and of the roles it was granted, directly or not.
func isMember(line int, f facts, role, why, user string) (bool, error) {
	val, known := f.member(role)
	if !known {
		return false, &UndeterminedError{Line: line, atom: "member:" + role, Why: fmt.Sprintf("%s needs the roles %q is a member of", why, user)}
	}
	return val, nil
}

func unresolvedFile(line int, name string) error {
	return &UndeterminedError{Line: line, Why: fmt.Sprintf("@%s needs the contents of that file", name)}
}

func (m *Matcher) dbMatches(r *matchRule, a Attempt, db string, f facts) (bool, error) {
	for _, t := range r.dbs {
		if t.file != "" {
			return false, unresolvedFile(r.line, t.file)
		}
		if a.Replication {
			if t.keyword == "replication" {
				return true, nil
			}
			continue
		}
		switch t.keyword {
		case "all":
			return true, nil
		case "sameuser":
			if db == a.User {
				return true, nil
			}
			continue
		case "samerole":
			ok, err := isMember(r.line, f, db, "samerole", a.User)
			if err != nil || ok {
				return ok, err
			}
			continue
		case "replication":
			continue
		}
		if t.err != nil {
			return false, &UndeterminedError{Line: r.line, Why: t.err.Error()}
		}
		if t.regex != nil {
			if t.regex.match(db) {
				return true, nil
			}
			continue
		}
		if t.literal == db {
			return true, nil
		}
	}
	return false, nil
}

func (m *Matcher) userMatches(r *matchRule, a Attempt, f facts) (bool, error) {
	for _, t := range r.users {
		if t.file != "" {
			return false, unresolvedFile(r.line, t.file)
		}
		switch {
		case t.member != "":
			ok, err := isMember(r.line, f, t.member, "+"+t.member, a.User)
			if err != nil || ok {
				return ok, err
			}
		case t.keyword == "all":
			return true, nil
		case t.err != nil:
			return false, &UndeterminedError{Line: r.line, Why: t.err.Error()}
		case t.regex != nil:
			if t.regex.match(a.User) {
				return true, nil
			}
		case t.literal == a.User:
			return true, nil
		}
	}
	return false, nil
}

// decide applies auth.c's order to the matched line: the client
// certificate requirement first, then reject, then the method (cert and
// peer/ident identities checked here when the attempt says who it is),
// then clientcert=verify-full's name comparison.
func (m *Matcher) decide(r *matchRule, a Attempt) Decision {
	d := Decision{Index: r.index, Line: r.line, Rule: r.rule, Method: r.method, ClientCert: r.clientCert,
		ClientName: r.clientName, Map: r.rule.Map, Result: ResultAllow}
	lineDesc := r.desc
	if r.clientCert != "" {
		c := &CertCheck{Mode: r.clientCert, Known: true}
		d.Cert = c
		if r.clientCert == "verify-full" {
			c.Compared = r.clientName
		}
		if r.method == Cert {
			c.Map = r.rule.Map
		}
		if a.ClientCert == nil {
			c.Reason = "no client certificate: \"connection requires a valid client certificate\""
		} else {
			c.Passes = true
		}
		if !c.Passes {
			d.Result = ResultReject
			d.Reason = fmt.Sprintf("%s requires a client certificate; %s", lineDesc, c.Reason)
			return d
		}
	}
	if r.method == Reject {
		d.Result = ResultReject
		d.Reason = fmt.Sprintf("%s rejects the connection", lineDesc)
		return d
	}
	if d.Cert != nil && d.Cert.Mode == "verify-full" {
		name := a.ClientCert.CN
		if r.clientName == "DN" {
			name = a.ClientCert.DN
		}
		c := d.Cert
		switch {
		case name == "":
			c.Passes, c.Reason = false, fmt.Sprintf("the certificate has no %s", r.clientName)
		case c.Map != "":
			ok, known, why := m.usermapCheck(c.Map, a, name)
			c.Passes, c.Known, c.Reason = ok, known, why
		default:
			c.Passes = name == a.User
			if !c.Passes {
				c.Reason = fmt.Sprintf("certificate %s %q does not match role %q", r.clientName, name, a.User)
			}
		}
		if c.Known && !c.Passes {
			d.Result = ResultReject
			d.Reason = fmt.Sprintf("%s: %s", lineDesc, c.Reason)
			return d
		}
		if !c.Known {
			d.Reason = fmt.Sprintf("%s: %s", lineDesc, c.Reason)
			return d
		}
	}
	if (r.method == Peer || r.method == Ident) && a.SystemUser != "" {
		ok, known, why := m.usermapCheck(r.rule.Map, a, a.SystemUser)
		d.Identity = &CertCheck{Map: r.rule.Map, Passes: ok, Known: known, Reason: why}
		if known && !ok {
			d.Result = ResultReject
			d.Reason = fmt.Sprintf("%s: %s authentication fails: %s", lineDesc, r.method, why)
			return d
		}
	}
	switch r.method {
	case Trust:
		d.Reason = fmt.Sprintf("%s admits without credentials", lineDesc)
	case Cert:
		d.Reason = fmt.Sprintf("%s admits with the client certificate", lineDesc)
	default:
		d.Reason = fmt.Sprintf("%s decides: %s authentication", lineDesc, r.method)
	}
	return d
}
