package pooler

import (
	"github.com/pgtls/terraform-provider-pgtls/internal/cipherlist"
	"net/netip"
	"strconv"
	"strings"
)

type pgpoolKind int

const (
	pgpoolBool pgpoolKind = iota
	pgpoolInt
	pgpoolDouble
	pgpoolString
	pgpoolEnum
)

type pgpoolParam struct {
	kind       pgpoolKind
	array      bool // written with a node index: backend_hostname0
	noIndex    bool // an array parameter that also takes a bare name
	min, max   int64
	minF, maxF float64
	options    []string
	hidden     bool // Pgpool-II hides the value (passwords)
	restart    bool // read at start only
	list       bool
	unit       string
}

// pgpoolMaxBackends is MAX_NUM_BACKENDS.
const pgpoolMaxBackends = 128

// PgpoolBackend is one backend_*N group.
type PgpoolBackend struct {
	Host            string // IP, DNS name or absolute Unix socket directory
	Port            int64
	Weight          *float64
	Flag            string // ALLOW_TO_FAILOVER, DISALLOW_TO_FAILOVER, ALWAYS_PRIMARY, joined with |
	DataDirectory   string
	ApplicationName string
}

// PgpoolConf is the TLS, authentication, listen and backend part of
// pgpool.conf for Pgpool-II 4.3, plus any other parameter by name.
type PgpoolConf struct {
	Header string

	ListenAddresses *string // nil: Pgpool-II's default (localhost); "*" or one address/host name; "" for none
	Port            *int64

	SSL                    bool
	SSLKey                 string
	SSLCert                string
	SSLCACert              string
	SSLCACertDir           string
	SSLCRLFile             string
	SSLCiphers             string
	SSLPreferServerCiphers *bool
	SSLECDHCurve           string
	SSLDHParamsFile        string
	SSLPassphraseCommand   string // secret

	EnablePoolHBA              bool
	PoolPasswd                 *string // nil: Pgpool-II's default (pool_passwd beside pgpool.conf); "" disables it
	AllowClearTextFrontendAuth *bool

	BackendClusteringMode string
	Backends              []PgpoolBackend

	// Settings are other pgpool.conf parameters (values as the user would
	// write them inside quotes); SecretSettings the ones holding secrets
	// (passwords, wd_authkey).
	Settings       map[string]string
	SecretSettings map[string]string
}

// typedPgpoolSettings have a PgpoolConf field.
var typedPgpoolSettings = setOf("listen_addresses", "port", "ssl", "ssl_key", "ssl_cert", "ssl_ca_cert",
	"ssl_ca_cert_dir", "ssl_crl_file", "ssl_ciphers", "ssl_prefer_server_ciphers", "ssl_ecdh_curve",
	"ssl_dh_params_file", "ssl_passphrase_command", "enable_pool_hba", "pool_passwd",
	"allow_clear_text_frontend_auth", "backend_clustering_mode", "backend_hostname", "backend_port",
	"backend_weight", "backend_flag", "backend_data_directory", "backend_application_name")

// IsPgpoolSecretSetting reports whether a pgpool.conf parameter holds a
// secret: the ones Pgpool-II itself hides, and the watchdog key.
func IsPgpoolSecretSetting(name string) bool {
	base, _, ok := pgpoolParamName(name)
	if !ok {
		return false
	}
	return pgpool43Params[base].hidden || base == "wd_authkey" || base == "ssl_passphrase_command"
}

// pgpoolParamName resolves a parameter name as Pgpool-II's find_option
// does: exact for scalars, base name + node index for array parameters.
func pgpoolParamName(name string) (base string, index int, ok bool) {
	if _, ok := pgpool43Params[name]; ok {
		return name, -1, true
	}
	i := len(name)
	for i > 0 && name[i-1] >= '0' && name[i-1] <= '9' {
		i--
	}
	if i == len(name) || i == 0 {
		return "", 0, false
	}
	p, known := pgpool43Params[name[:i]]
	if !known || !p.array {
		return "", 0, false
	}
	n, err := strconv.Atoi(name[i:])
	if err != nil || strconv.Itoa(n) != name[i:] {
		return "", 0, false
	}
	return name[:i], n, true
}

// PgpoolECDHCurves are the curves usable for ssl_ecdh_curve: Pgpool-II 4.3 looks the name
// up with OBJ_sn2nid and EC_KEY_new_by_curve_name, so only short names of
// EC curves work (not X25519/X448).
var PgpoolECDHCurves = []string{"prime256v1", "secp384r1", "secp521r1", "secp256k1", "brainpoolP256r1", "brainpoolP384r1", "brainpoolP512r1"}

// Validate checks the configuration against Pgpool-II 4.3.
func (c *PgpoolConf) Validate() Problems {
	var col collector
	if msg := checkComment(c.Header); msg != "" {
		col.errorf(At("header"), "", "%s", msg)
	}
	if a := c.ListenAddresses; a != nil && *a != "" && *a != "*" {
		if _, err := netip.ParseAddr(*a); err != nil && !dnsNameOK(*a) {
			msg := "must be \"*\", one IP address or host name, or empty (Pgpool-II 4.3 listens on one address: it passes the whole value to getaddrinfo)"
			col.errorf(At("listen_addresses"), *a, "%s", msg)
		}
	}
	if c.Port != nil && (*c.Port < 1024 || *c.Port > 65535) {
		col.errorf(At("port"), strconv.FormatInt(*c.Port, 10), "must be 1024 to 65535 (Pgpool-II 4.3 refuses other values)")
	}
	c.validateSSL(&col)
	if c.PoolPasswd != nil && *c.PoolPasswd != "" {
		if msg := checkAbsPath(*c.PoolPasswd); msg != "" {
			col.errorf(At("pool_passwd"), *c.PoolPasswd, "%s", msg)
		} else if msg := checkPgpoolString(*c.PoolPasswd); msg != "" {
			col.errorf(At("pool_passwd"), *c.PoolPasswd, "%s", msg)
		}
	}
	if !c.EnablePoolHBA {
		col.warnf(At("enable_pool_hba"), "false", "without pool_hba.conf Pgpool-II applies no access rules of its own: every client reaches PostgreSQL's authentication")
	}
	if c.AllowClearTextFrontendAuth != nil && *c.AllowClearTextFrontendAuth {
		col.warnf(At("allow_clear_text_frontend_auth"), "true", "makes Pgpool-II ask clients for their password in clear text when pool_passwd has none for them (only safe over TLS)")
	}
	if m := c.BackendClusteringMode; m != "" && !contains(pgpool43Params["backend_clustering_mode"].options, m) {
		col.errorf(At("backend_clustering_mode"), m, "must be one of %s", strings.Join(pgpool43Params["backend_clustering_mode"].options, ", "))
	}
	if len(c.Backends) == 0 {
		col.errorf(At("backends"), "", "needs at least one PostgreSQL backend")
	}
	if len(c.Backends) > pgpoolMaxBackends {
		col.errorf(At("backends"), "", "has %d backends; Pgpool-II 4.3 supports at most %d", len(c.Backends), pgpoolMaxBackends)
	}
	for i, b := range c.Backends {
		p := At("backends").Index(i)
		if b.Host == "" {
			col.errorf(p.Name("host"), "", "is required")
		} else if msg := checkPgpoolString(b.Host); msg != "" {
			col.errorf(p.Name("host"), b.Host, "%s", msg)
		} else if msg := checkPgpoolHost(b.Host); msg != "" {
			col.errorf(p.Name("host"), b.Host, "%s", msg)
		}
		if b.Port < 1024 || b.Port > 65535 {
			col.errorf(p.Name("port"), strconv.FormatInt(b.Port, 10), "must be 1024 to 65535 (Pgpool-II 4.3 refuses backend ports below 1024)")
		}
		if b.Weight != nil && (*b.Weight < 0 || *b.Weight > 1e8) {
			col.errorf(p.Name("weight"), strconv.FormatFloat(*b.Weight, 'g', -1, 64), "must be 0 to 100000000")
		}
		if b.Flag != "" {
			seen := map[string]bool{}
			for _, f := range strings.Split(b.Flag, "|") {
				if !contains([]string{"ALLOW_TO_FAILOVER", "DISALLOW_TO_FAILOVER", "ALWAYS_PRIMARY"}, f) || seen[f] {
					col.errorf(p.Name("flag"), b.Flag, "must be ALLOW_TO_FAILOVER, DISALLOW_TO_FAILOVER and/or ALWAYS_PRIMARY, joined with |")
					break
				}
				seen[f] = true
			}
			if seen["ALLOW_TO_FAILOVER"] && seen["DISALLOW_TO_FAILOVER"] {
				col.errorf(p.Name("flag"), b.Flag, "ALLOW_TO_FAILOVER and DISALLOW_TO_FAILOVER contradict each other")
			}
		}
		if b.DataDirectory != "" {
			if msg := checkAbsPath(b.DataDirectory); msg != "" {
				col.errorf(p.Name("data_directory"), b.DataDirectory, "%s", msg)
			} else if msg := checkPgpoolString(b.DataDirectory); msg != "" {
				col.errorf(p.Name("data_directory"), b.DataDirectory, "%s", msg)
			}
		}
		if b.ApplicationName != "" {
			if msg := checkPgpoolString(b.ApplicationName); msg != "" {
				col.errorf(p.Name("application_name"), b.ApplicationName, "%s", msg)
			}
		}
	}
	c.validatePgpoolSettings(&col, "settings", c.Settings, false)
	c.validatePgpoolSettings(&col, "secret_settings", c.SecretSettings, true)
	return col.ps
}

func checkPgpoolHost(h string) string {
	if h[0] == '/' {
		return ""
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return ""
	}
	if !dnsNameOK(h) {
		return "is not an IP address, a DNS name or an absolute Unix socket directory"
	}
	return ""
}

func (c *PgpoolConf) validateSSL(col *collector) {
	paths := []struct{ name, val string }{
		{"ssl_key", c.SSLKey}, {"ssl_cert", c.SSLCert}, {"ssl_ca_cert", c.SSLCACert}, {"ssl_ca_cert_dir", c.SSLCACertDir},
		{"ssl_crl_file", c.SSLCRLFile}, {"ssl_dh_params_file", c.SSLDHParamsFile},
	}
	for _, f := range paths {
		if f.val == "" {
			continue
		}
		if msg := checkAbsPath(f.val); msg != "" {
			col.errorf(At(f.name), f.val, "%s", msg)
		} else if msg := checkPgpoolString(f.val); msg != "" {
			col.errorf(At(f.name), f.val, "%s", msg)
		}
	}
	if !c.SSL {
		for _, f := range append(paths, struct{ name, val string }{"ssl_ciphers", c.SSLCiphers}, struct{ name, val string }{"ssl_ecdh_curve", c.SSLECDHCurve}) {
			if f.val != "" {
				col.errorf(At(f.name), f.val, "is ignored while ssl is off; turn ssl on or remove it")
			}
		}
		if c.SSLPassphraseCommand != "" {
			col.errorf(At("ssl_passphrase_command"), secretShown, "is ignored while ssl is off")
		}
		if c.SSLPreferServerCiphers != nil {
			col.errorf(At("ssl_prefer_server_ciphers"), strconv.FormatBool(*c.SSLPreferServerCiphers), "is ignored while ssl is off")
		}
		return
	}
	// Pgpool-II 4.3 ignores a failed TLS setup (SSL_ServerSide_init's
	// result is not checked) and then serves WITHOUT TLS. Everything that
	// makes that setup fail and can be known here is an error.
	const offNote = " (Pgpool-II 4.3 then starts without TLS and answers every SSLRequest with N)"
	if c.SSLCert == "" || c.SSLKey == "" {
		col.errorf(At("ssl_cert"), c.SSLCert, "ssl_cert and ssl_key are both required with ssl on"+offNote)
	}
	if c.SSLCiphers != "" {
		if msg, warns := cipherlist.Check(c.SSLCiphers); msg != "" {
			col.errorf(At("ssl_ciphers"), c.SSLCiphers, "%s%s", msg, offNote)
		} else {
			for _, w := range warns {
				col.warnf(At("ssl_ciphers"), c.SSLCiphers, "%s", w)
			}
		}
	} else {
		col.warnf(At("ssl_ciphers"), "", "Pgpool-II 4.3's default 'HIGH:MEDIUM:+3DES:!aNULL' includes MEDIUM-strength suites; consider setting ssl_ciphers (for example 'HIGH:!aNULL')")
	}
	if e := c.SSLECDHCurve; e != "" && !contains(PgpoolECDHCurves, e) {
		col.errorf(At("ssl_ecdh_curve"), e, "must be one of %s%s", strings.Join(PgpoolECDHCurves, ", "), offNote)
	}
	if c.SSLCRLFile != "" && c.SSLCACert == "" {
		col.errorf(At("ssl_crl_file"), c.SSLCRLFile, "is used only to check client certificates, which Pgpool-II 4.3 asks for only when ssl_ca_cert is set; it would be ignored")
	}
	if c.SSLCACertDir != "" && c.SSLCACert == "" {
		col.warnf(At("ssl_ca_cert_dir"), c.SSLCACertDir, "without ssl_ca_cert, Pgpool-II 4.3 uses ssl_ca_cert_dir only to verify PostgreSQL's certificate, never client certificates (cert authentication needs ssl_ca_cert)")
	}
	if c.SSLPassphraseCommand != "" {
		if msg := checkPgpoolString(c.SSLPassphraseCommand); msg != "" {
			col.errorf(At("ssl_passphrase_command"), secretShown, "%s", msg)
		}
	}
	if c.SSLCACert == "" && c.SSLCACertDir == "" {
		col.warnf(At("ssl_ca_cert"), "", "without ssl_ca_cert Pgpool-II neither asks clients for certificates (cert authentication fails) nor verifies PostgreSQL's certificate")
	}
}

// checkPgpoolString reports why s cannot be a quoted pgpool.conf value.
// Pgpool-II's lexer (pool_config.l) takes '...' with \-escapes and keeps
// the backslashes: a single quote can never be part of a value.
func checkPgpoolString(s string) string {
	if strings.ContainsRune(s, '\'') {
		return "contains a single quote, which pgpool.conf cannot hold (Pgpool-II keeps the backslash of \\' and '' is a syntax error)"
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 && s[i] != '\t' || s[i] == 0x7f {
			return "contains a control character (line break, NUL, ...), which pgpool.conf cannot hold"
		}
	}
	return ""
}

func (c *PgpoolConf) validatePgpoolSettings(col *collector, attr string, m map[string]string, secret bool) {
	for _, name := range sortedKeys(m) {
		val := m[name]
		shown := val
		if secret {
			shown = secretShown
		}
		p := At(attr).Key(name)
		base, idx, ok := pgpoolParamName(name)
		if !ok {
			col.errorf(p, "", "is not a Pgpool-II 4.3 parameter: Pgpool-II would log \"unrecognized configuration parameter\" and ignore it")
			continue
		}
		param := pgpool43Params[base]
		switch {
		case typedPgpoolSettings[base]:
			col.errorf(p, "", "has its own attribute; set it there")
			continue
		case param.array && idx < 0 && !param.noIndex:
			col.errorf(p, "", "needs a node index (for example %s0)", base)
			continue
		case param.array && idx >= pgpoolMaxBackends:
			col.errorf(p, "", "index %d is out of range (0 to %d)", idx, pgpoolMaxBackends-1)
			continue
		case IsPgpoolSecretSetting(name) && !secret:
			col.errorf(p, "", "holds a secret: set it in secret_settings")
			continue
		case !IsPgpoolSecretSetting(name) && secret:
			col.errorf(p, "", "holds no secret: set it in settings")
			continue
		}
		if msg := checkPgpoolString(val); msg != "" {
			col.errorf(p, shown, "%s", msg)
			continue
		}
		switch param.kind {
		case pgpoolBool:
			if !pgpoolBoolOK(val) {
				col.errorf(p, shown, "must be a boolean (on, off, true, false, yes, no, 1, 0)")
			}
		case pgpoolInt:
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n < param.min || n > param.max {
				col.errorf(p, shown, "must be a whole number from %d to %d%s", param.min, param.max, unitNote(param.unit))
			}
		case pgpoolDouble:
			f, err := strconv.ParseFloat(val, 64)
			if err != nil || f < param.minF || f > param.maxF {
				col.errorf(p, shown, "must be a number from %g to %g", param.minF, param.maxF)
			}
		case pgpoolEnum:
			okEnum := false
			for _, o := range param.options {
				if strings.EqualFold(o, val) {
					okEnum = true
				}
			}
			if !okEnum {
				col.errorf(p, shown, "must be one of %s", strings.Join(param.options, ", "))
			}
		}
	}
}

func unitNote(u string) string {
	if u == "" {
		return ""
	}
	return " (in " + u + ")"
}

// pgpoolBoolOK is Pgpool-II's parse_bool_with_len: true/false/yes/no and
// unique prefixes, on/off (at least "on"/"of"), 1 and 0.
func pgpoolBoolOK(v string) bool {
	l := strings.ToLower(v)
	if l == "" {
		return false
	}
	for _, w := range []string{"true", "false", "yes", "no"} {
		if strings.HasPrefix(w, l) {
			return true
		}
	}
	if len(l) >= 2 && (strings.HasPrefix("on", l) || strings.HasPrefix("off", l)) {
		return true
	}
	return l == "1" || l == "0"
}
