package provider

// The secret sentinel tests (issue 7 §1, closed as a class). Three parts:
//
//  1. TestSecretAttributesDeclared (no CLI): every attribute of every
//     resource and data source whose name suggests a secret is Sensitive or
//     declared non-secret on purpose below, and every Sensitive input has an
//     entry in secretInputs.
//  2. secretInputs: the registry of every input that can hold a secret, with
//     a configuration that feeds a secret into it. A new renderer adds its
//     entries here (the test above fails until it does). Secret
//     authentication options come from hba.SensitiveOptions(), the single
//     registry in the domain package.
//  3. TestAccSecretSentinels: for each entry, fed through a `sensitive`
//     variable and as a plain literal, under the CLI of TF_ACC_TERRAFORM_PATH
//     (Terraform 1.5.7 and OpenTofu via make testacc-*): init, plan, apply,
//     show, state show, a second plan (must be empty), with TRACE logs of
//     the CLI and the provider. The secret must appear in no human output,
//     no log line, no id, and in the JSON plan and state only at paths
//     Terraform marks sensitive; and it must reach state at a sensitive path
//     (proof the input was used).

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/pgtls/terraform-provider-pgtls/internal/hba"
	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// secretNameRE matches attribute names that suggest a secret.
var secretNameRE = regexp.MustCompile(`(?i)(password|passwd|secret|passphrase|private_key|key_pem|_key$|token|credential|bindpasswd|pkcs8)`)

// declaredNonSecret lists attributes whose name matches secretNameRE but
// that hold no secret, with the reason. Key: "type.attribute.path".
var declaredNonSecret = map[string]string{
	"pgtls_root_ca.public_key_pem":                                 "a public key",
	"pgtls_intermediate_ca.public_key_pem":                         "a public key",
	"pgtls_server_cert.public_key_pem":                             "a public key",
	"pgtls_client_cert.public_key_pem":                             "a public key",
	"pgtls_libpq_bundle.files.secret":                              "a flag saying whether the file holds a key (the key itself is never in files)",
	"pgtls_postgresql_conf.password_encryption":                    "the hash method name (scram-sha-256 or md5)",
	"pgtls_postgresql_conf.ssl_passphrase_command_supports_reload": "a boolean",
	"pgtls_pgpool_conf.pool_passwd":                                "the path of pool_passwd, not its content",
	"pgtls_pgpool_conf.ssl_key":                                    "the path of the key file, not the key",
}

// secretInput is one input that can hold a secret.
type secretInput struct {
	name string // type.attribute.path[key]
	typ  string // the resource or data source type fed (for coverage)
	// config returns HCL feeding expr (an HCL expression whose value is the
	// secret) into the input. env gives live servers where needed.
	config func(t *testing.T, expr string, env *secretEnv) string
	// secret returns the value and the needles whose presence means a leak.
	secret func(t *testing.T) (string, []string)
	// extraTypes are the other types the configuration exercises.
	extraTypes []string
	// setup, when set, starts what the configuration needs (live servers)
	// knowing the secret's value, before config is called.
	setup func(t *testing.T, value string, env *secretEnv)
}

// validSecretOptionRule is, per registered secret option, a rule that
// PostgreSQL accepts with that option: method and the other options as HCL.
var validSecretOptionRule = map[string]struct{ method, options string }{
	"ldapbindpasswd": {"ldap", `{ ldapserver = "ldap.example.com", ldapbasedn = "dc=example,dc=com", ldapbinddn = "cn=pg,dc=example,dc=com" }`},
	"radiussecrets":  {"radius", `{ radiusservers = "radius.example.com" }`},
}

func randomSentinel(t *testing.T) (string, []string) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	s := "pgtlsSentinel" + hex.EncodeToString(b)
	return s, []string{s}
}

// keySentinel is a private key PEM; any 40-character run of its base64 body
// is a leak.
func keySentinel(t *testing.T) (string, []string) {
	_, key := sentinelCA(t)
	return key, pemNeedles(key)
}

func pemNeedles(p string) []string {
	var body strings.Builder
	for _, l := range strings.Split(p, "\n") {
		if !strings.HasPrefix(l, "-----") {
			body.WriteString(l)
		}
	}
	b := body.String()
	var out []string
	for i := 0; i+40 <= len(b); i += 40 {
		out = append(out, b[i:i+40])
	}
	return out
}

var sentinelCAOnce struct {
	sync.Once
	cert, key string
	err       error
}

// sentinelCA is a self-signed ECDSA CA valid for 30 years, made once per
// test binary; its key is the sentinel of the key inputs.
func sentinelCA(t *testing.T) (certPEM, keyPEM string) {
	s := &sentinelCAOnce
	s.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			s.err = err
			return
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "pgtls sentinel CA"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(30 * 365 * 24 * time.Hour),
			KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
			BasicConstraintsValid: true, IsCA: true,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			s.err = err
			return
		}
		p8, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			s.err = err
			return
		}
		s.cert = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
		s.key = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}))
	})
	if s.err != nil {
		t.Fatal(s.err)
	}
	return s.cert, s.key
}

// secretEnv holds live servers some inputs need.
type secretEnv struct {
	pg     *testserver.Postgres
	pgpool *testserver.Pgpool
}

// postgresWithPassword starts PostgreSQL 15 with TLS where role app logs in
// with password pw (scram-sha-256).
func (e *secretEnv) postgresWithPassword(t *testing.T, pw string) *testserver.Postgres {
	testserver.RequirePostgres(t)
	p := testserver.StartPostgres(t, testserver.PostgresConfig{SSL: true,
		HBA: "host all all 127.0.0.1/32 scram-sha-256\n", Roles: []string{"app"}})
	p.Exec(t, "ALTER ROLE app PASSWORD "+testserver.QuoteLiteral(pw))
	e.pg = p
	return p
}

// hclString quotes s as an HCL string literal.
func hclString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`, "${", "$${", "%{", "%%{")
	return `"` + r.Replace(s) + `"`
}

// secretInputs returns the registry. Each entry's config uses every other
// resource and data source it needs; together they cover every type the
// provider has (checked by TestAccSecretSentinels).
func secretInputs() []secretInput {
	var out []secretInput
	for _, name := range hba.SensitiveOptions() {
		name := name
		rule := func(t *testing.T) (string, string) {
			v, ok := validSecretOptionRule[name]
			if !ok {
				t.Fatalf("secret option %s has no entry in validSecretOptionRule: add a rule PostgreSQL accepts with it", name)
			}
			return v.method, v.options
		}
		out = append(out, secretInput{
			name: "pgtls_hba_rule.secret_options[" + name + "]", typ: "pgtls_hba_rule", secret: randomSentinel,
			config: func(t *testing.T, expr string, _ *secretEnv) string {
				m, o := rule(t)
				return fmt.Sprintf(`
resource "pgtls_hba_rule" "r" {
  type           = "hostssl"
  users          = ["x"]
  address        = "10.0.0.0/8"
  method         = %q
  options        = %s
  secret_options = { %s = %s }
}
`, m, o, name, expr)
			},
		}, secretInput{
			name: "pgtls_hba_file.rules[*].secret_options[" + name + "]", typ: "pgtls_hba_file", secret: randomSentinel,
			extraTypes: []string{"pgtls_hba_rule", "pgtls_ident_map", "pgtls_ident_file"},
			config: func(t *testing.T, expr string, _ *secretEnv) string {
				m, o := rule(t)
				return fmt.Sprintf(`
resource "pgtls_hba_rule" "r" {
  type           = "hostssl"
  users          = ["x"]
  address        = "10.1.0.0/16"
  method         = %[1]q
  options        = %[2]s
  secret_options = { %[3]s = %[4]s }
}

resource "pgtls_ident_map" "m" {
  name     = "certs"
  mappings = [{ system_user = "app.example.com", database_user = "app" }]
}

resource "pgtls_hba_file" "f" {
  rules = [
    pgtls_hba_rule.r,
    {
      type           = "hostssl"
      users          = ["y"]
      address        = "10.2.0.0/16"
      method         = %[1]q
      options        = %[2]s
      secret_options = { %[3]s = %[4]s }
    },
    { type = "hostssl", address = "10.3.0.0/16", method = "cert", map = pgtls_ident_map.m.name },
  ]
  ident_maps = [pgtls_ident_map.m]
}

resource "pgtls_ident_file" "i" {
  maps = [pgtls_ident_map.m]
}
`, m, o, name, expr)
			},
		}, secretInput{
			name: "pgtls_hba_match.content(" + name + ")", typ: "pgtls_hba_match", secret: randomSentinel,
			config: func(t *testing.T, expr string, _ *secretEnv) string {
				return fmt.Sprintf(`
data "pgtls_hba_match" "m" {
  content  = "hostssl all all 10.0.0.0/8 radius radiusservers=r.example.com radiussecrets=\"${%[1]s}\"\nhostssl all all 10.1.0.0/16 ldap ldapserver=l.example.com ldapbasedn=\"dc=x\" ldapbindpasswd=\"${%[1]s}\"\n"
  postgres_version = 16
  user     = "app"
  database = "app"
  address  = "10.0.0.5"
  tls      = true
}
`, expr)
			},
		}, secretInput{
			name: "pgtls_hba_access_diff.after_content(" + name + ")", typ: "pgtls_hba_access_diff", secret: randomSentinel,
			config: func(t *testing.T, expr string, _ *secretEnv) string {
				return fmt.Sprintf(`
data "pgtls_hba_access_diff" "d" {
  before_content = "hostssl all all 10.0.0.0/8 cert\n"
  after_content  = "hostssl all all 10.0.0.0/8 radius radiusservers=r.example.com radiussecrets=\"${%[1]s}\"\nhostssl all all 10.1.0.0/16 ldap ldapserver=l.example.com ldapbasedn=\"dc=x\" ldapbindpasswd=\"${%[1]s}\"\n"
  postgres_version = 16
  access_review  = { fail_on = [] }
}
`, expr)
			},
		}, secretInput{
			name: "pgtls_hba_access_diff.before_content(" + name + ")", typ: "pgtls_hba_access_diff", secret: randomSentinel,
			config: func(t *testing.T, expr string, _ *secretEnv) string {
				return fmt.Sprintf(`
data "pgtls_hba_access_diff" "d" {
  before_content = "hostssl all all 10.0.0.0/8 radius radiusservers=r.example.com radiussecrets=\"${%[1]s}\"\nhostssl all all 10.1.0.0/16 ldap ldapserver=l.example.com ldapbasedn=\"dc=x\" ldapbindpasswd=\"${%[1]s}\"\n"
  after_content  = "hostssl all all 10.0.0.0/8 cert\n"
  postgres_version = 16
}
`, expr)
			},
		}, secretInput{
			name: "pgtls_hba_parse.previous_content(" + name + ")", typ: "pgtls_hba_parse", secret: randomSentinel,
			config: func(t *testing.T, expr string, _ *secretEnv) string {
				return fmt.Sprintf(`
data "pgtls_hba_parse" "p" {
  previous_content = "hostssl all all 10.0.0.0/8 radius radiusservers=r.example.com radiussecrets=\"${%[1]s}\"\nhostssl all all 10.1.0.0/16 ldap ldapserver=l.example.com ldapbasedn=\"dc=x\" ldapbindpasswd=\"${%[1]s}\"\n"
  content          = "hostssl all all 10.0.0.0/8 cert\nhostssl all all 10.1.0.0/16 scram-sha-256\n"
  postgres_version = 16
  access_review    = { fail_on = [] }
}
`, expr)
			},
		}, secretInput{
			name: "pgtls_hba_parse.content(" + name + ")", typ: "pgtls_hba_parse", secret: randomSentinel,
			config: func(t *testing.T, expr string, _ *secretEnv) string {
				return fmt.Sprintf(`
data "pgtls_hba_parse" "p" {
  content = "hostssl all all 10.0.0.0/8 radius radiusservers=r.example.com radiussecrets=\"${%[1]s}\"\nhostssl all all 10.1.0.0/16 ldap ldapserver=l.example.com ldapbasedn=\"dc=x\" ldapbindpasswd=\"${%[1]s}\"\n"
  postgres_version = 16
}
`, expr)
			},
		})
	}
	out = append(out, secretInput{
		name: "pgtls_connection_check.password", typ: "pgtls_connection_check", secret: randomSentinel,
		config: func(t *testing.T, expr string, env *secretEnv) string {
			return fmt.Sprintf(`
data "pgtls_connection_check" "c" {
  host     = "127.0.0.1"
  port     = %d
  user     = "app"
  database = "postgres"
  password = %s
  sslmodes = ["require", "disable"]
  expect   = { require = "success", disable = "success" }
}
`, env.pg.Port, expr)
		},
	}, secretInput{
		name: "pgtls_connection_check.client_key_pem", typ: "pgtls_connection_check", secret: keySentinel,
		config: func(t *testing.T, expr string, env *secretEnv) string {
			cert, _ := sentinelCA(t)
			return fmt.Sprintf(`
data "pgtls_connection_check" "c" {
  host            = "127.0.0.1"
  port            = %d
  user            = "app"
  database        = "postgres"
  password        = "not-the-secret"
  client_cert_pem = %s
  client_key_pem  = %s
  sslmodes        = ["require"]
}
`, env.pg.Port, hclString(cert), expr)
		},
	})
	out = append(out, fileSetSecretInputs()...)
	caCert := func(t *testing.T) string { c, _ := sentinelCA(t); return hclString(c) }
	out = append(out, secretInput{
		name: "pgtls_intermediate_ca.ca_private_key_pem", typ: "pgtls_intermediate_ca", secret: keySentinel,
		extraTypes: []string{"pgtls_root_ca", "pgtls_certificate"},
		config: func(t *testing.T, expr string, _ *secretEnv) string {
			return fmt.Sprintf(`
resource "pgtls_intermediate_ca" "i" {
  ca_cert_pem        = %s
  ca_private_key_pem = %s
  subject            = { common_name = "sentinel intermediate" }
}

resource "pgtls_root_ca" "other" {
  subject = { common_name = "unrelated root" }
}

data "pgtls_certificate" "c" {
  pem = pgtls_intermediate_ca.i.cert_pem
}
`, caCert(t), expr)
		},
	}, secretInput{
		name: "pgtls_server_cert.ca_private_key_pem", typ: "pgtls_server_cert", secret: keySentinel,
		config: func(t *testing.T, expr string, _ *secretEnv) string {
			return fmt.Sprintf(`
resource "pgtls_server_cert" "s" {
  ca_cert_pem        = %s
  ca_private_key_pem = %s
  dns_names          = ["db.example.com"]
}
`, caCert(t), expr)
		},
	}, secretInput{
		name: "pgtls_client_cert.ca_private_key_pem", typ: "pgtls_client_cert", secret: keySentinel,
		config: func(t *testing.T, expr string, _ *secretEnv) string {
			return fmt.Sprintf(`
resource "pgtls_client_cert" "c" {
  ca_cert_pem        = %s
  ca_private_key_pem = %s
  user               = "app"
}
`, caCert(t), expr)
		},
	})
	// Issue 11: revocation.
	out = append(out, secretInput{
		name: "pgtls_crl.ca_private_key_pem", typ: "pgtls_crl", secret: keySentinel,
		// The bundle takes the whole CRL resource (its sensitive key
		// attribute included) and must drop the key.
		extraTypes: []string{"pgtls_crl_bundle"},
		config: func(t *testing.T, expr string, _ *secretEnv) string {
			return fmt.Sprintf(`
resource "pgtls_crl" "c" {
  ca_cert_pem        = %[1]s
  ca_private_key_pem = %[2]s
  revoked            = [{ serial_number = "4242", reason = "key_compromise" }]
}

resource "pgtls_crl_bundle" "b" {
  crls         = [pgtls_crl.c]
  ca_certs_pem = %[1]s
}
`, caCert(t), expr)
		},
	})
	// Issue 9: configuration renderers.
	out = append(out, secretInput{
		name: "pgtls_scram_verifier.password", typ: "pgtls_scram_verifier", secret: randomSentinel,
		config: func(t *testing.T, expr string, _ *secretEnv) string {
			return fmt.Sprintf(`
resource "pgtls_scram_verifier" "v" {
  password = %s
}
`, expr)
		},
	}, secretInput{
		name: "pgtls_postgresql_conf.ssl_passphrase_command", typ: "pgtls_postgresql_conf", secret: randomSentinel,
		config: func(t *testing.T, expr string, _ *secretEnv) string {
			return fmt.Sprintf(`
resource "pgtls_postgresql_conf" "c" {
  ssl_key_file           = "/etc/postgresql/server.key"
  ssl_passphrase_command = %s
}
`, expr)
		},
	}, secretInput{
		name: "pgtls_libpq_bundle.private_key_pem", typ: "pgtls_libpq_bundle", secret: keySentinel,
		config: func(t *testing.T, expr string, _ *secretEnv) string {
			return fmt.Sprintf(`
resource "pgtls_libpq_bundle" "b" {
  hosts           = ["db.example.com"]
  user            = "app"
  cert_pem        = %[1]s
  private_key_pem = %[2]s
  root_cert_pem   = %[1]s
}
`, caCert(t), expr)
		},
	})
	out = append(out, poolerSecretInputs()...)
	return out
}

// protoSchemas returns the protocol schemas of every resource and data
// source.
func protoSchemas(t *testing.T) (resources, dataSources map[string]*tfprotov6.Schema) {
	t.Helper()
	srv := providerserver.NewProtocol6(New("test")())()
	resp, err := srv.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			t.Fatalf("schema: %s: %s", d.Summary, d.Detail)
		}
	}
	return resp.ResourceSchemas, resp.DataSourceSchemas
}

type schemaAttr struct {
	path                string
	sensitive, settable bool
	ownSensitive        bool // Sensitive itself, not only inside a sensitive attribute
	// mapNested: a map of nested objects, whose JSON holds the map's keys
	// between this path and the nested attributes' names.
	mapNested bool
}

func walkAttrs(prefix string, attrs []*tfprotov6.SchemaAttribute, sensitiveParent bool, out *[]schemaAttr) {
	for _, a := range attrs {
		p := prefix + a.Name
		*out = append(*out, schemaAttr{path: p, sensitive: a.Sensitive || sensitiveParent, ownSensitive: a.Sensitive, settable: a.Required || a.Optional,
			mapNested: a.NestedType != nil && a.NestedType.Nesting == tfprotov6.SchemaObjectNestingModeMap})
		if a.NestedType != nil {
			walkAttrs(p+".", a.NestedType.Attributes, a.Sensitive || sensitiveParent, out)
		}
	}
}

func allSchemaAttrs(t *testing.T) map[string][]schemaAttr {
	res, ds := protoSchemas(t)
	out := map[string][]schemaAttr{}
	for typ, s := range res {
		var as []schemaAttr
		walkAttrs("", s.Block.Attributes, false, &as)
		out[typ] = as
	}
	for typ, s := range ds {
		var as []schemaAttr
		walkAttrs("", s.Block.Attributes, false, &as)
		out["data."+typ] = as
	}
	return out
}

// registryAttr maps a registry entry name to the schema attribute it feeds.
func registryAttr(name string) string {
	name = strings.ReplaceAll(name, "[*]", "")
	if i := strings.IndexAny(name, "[("); i >= 0 {
		name = name[:i]
	}
	return name
}

// registeredUnder: key or an attribute inside it is registered.
func registeredUnder(registered map[string]bool, key string) bool {
	for r := range registered {
		if r == key || strings.HasPrefix(r, key+".") {
			return true
		}
	}
	return false
}

// TestSecretAttributesDeclared: secret-looking names are Sensitive or
// declared non-secret, and every Sensitive input is in the sentinel
// registry.
func TestSecretAttributesDeclared(t *testing.T) {
	registered := map[string]bool{}
	for _, in := range secretInputs() {
		registered[registryAttr(in.name)] = true
	}
	var missing []string
	for typ, attrs := range allSchemaAttrs(t) {
		typ = strings.TrimPrefix(typ, "data.")
		for _, a := range attrs {
			key := typ + "." + a.path
			leaf := a.path[strings.LastIndex(a.path, ".")+1:]
			if secretNameRE.MatchString(leaf) && !a.sensitive {
				if _, ok := declaredNonSecret[key]; !ok {
					missing = append(missing, key+": name suggests a secret but it is not Sensitive (or declare it in declaredNonSecret with the reason)")
				}
			}
			if a.ownSensitive && a.settable && !registeredUnder(registered, key) {
				missing = append(missing, key+": Sensitive input without an entry in secretInputs (add a configuration feeding a secret into it)")
			}
		}
	}
	for key := range declaredNonSecret {
		found := false
		for typ, attrs := range allSchemaAttrs(t) {
			for _, a := range attrs {
				if strings.TrimPrefix(typ, "data.")+"."+a.path == key {
					found = true
				}
			}
		}
		if !found {
			missing = append(missing, key+": declared non-secret but no such attribute (stale entry)")
		}
	}
	for reg := range registered {
		typ, attr, _ := strings.Cut(reg, ".")
		found := false
		for st, attrs := range allSchemaAttrs(t) {
			if strings.TrimPrefix(st, "data.") != typ {
				continue
			}
			for _, a := range attrs {
				if a.path == attr && a.sensitive {
					found = true
				}
			}
		}
		if !found {
			missing = append(missing, reg+": registered secret input is not a Sensitive attribute")
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("secret attributes:\n%s", strings.Join(missing, "\n"))
	}
	// The registry must grow with the domain's.
	for _, o := range hba.SensitiveOptions() {
		if _, ok := validSecretOptionRule[o]; !ok {
			t.Errorf("hba secret option %s has no sentinel configuration (validSecretOptionRule)", o)
		}
	}
}

// TestAccSecretSentinels runs every registered input through the CLI, fed
// from a sensitive variable and as a literal.
func TestAccSecretSentinels(t *testing.T) {
	requireAcc(t)
	inputs := secretInputs()
	covered := map[string]bool{}
	for _, in := range inputs {
		covered[in.typ] = true
		for _, x := range in.extraTypes {
			covered[x] = true
		}
	}
	res, ds := protoSchemas(t)
	for typ := range res {
		if !covered[typ] {
			t.Errorf("resource %s is exercised by no sentinel configuration: add it to one (extraTypes) or register its secret inputs", typ)
		}
	}
	for typ := range ds {
		if !covered[typ] {
			t.Errorf("data source %s is exercised by no sentinel configuration", typ)
		}
	}
	for _, in := range inputs {
		for _, via := range []string{"variable", "literal"} {
			t.Run(in.name+"/"+via, func(t *testing.T) {
				runSentinel(t, in, via)
			})
		}
	}
}

func runSentinel(t *testing.T, in secretInput, via string) {
	value, needles := in.secret(t)
	env := &secretEnv{}
	if in.typ == "pgtls_connection_check" {
		pw := value
		if strings.Contains(value, "PRIVATE KEY") {
			pw = "not-the-secret"
		}
		env.postgresWithPassword(t, pw)
	}
	if in.setup != nil {
		in.setup(t, value, env)
	}
	var cfg string
	if via == "variable" {
		cfg = "variable \"secret\" {\n  type      = string\n  sensitive = true\n  default   = " + hclString(value) + "\n}\n" +
			in.config(t, "var.secret", env)
	} else {
		cfg = in.config(t, hclString(value), env)
	}
	c := newCLI(t, providerFactory, cfg)
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf(format+"\n--- transcript ---\n%s", append(args, c.transcript.String())...)
	}
	c.must("init", "-no-color")
	human := []string{c.must("plan", "-no-color", "-out=tfplan")}
	planJSON := c.must("show", "-no-color", "-json", "tfplan")
	human = append(human, c.must("apply", "-no-color", "tfplan"), c.must("show", "-no-color"))
	stateJSON := c.must("show", "-no-color", "-json")
	for _, addr := range strings.Fields(c.must("state", "list")) {
		human = append(human, c.must("state", "show", "-no-color", addr))
	}
	second, err := c.run("plan", "-no-color", "-detailed-exitcode")
	human = append(human, second)
	if err != nil {
		fail("second plan is not empty (or failed): %v", err)
	}

	logs := c.logs()
	for _, want := range []string{"[TRACE]", "Calling provider defined", "tf_rpc"} {
		if !strings.Contains(logs, want) {
			t.Fatalf("TRACE logs (%d bytes) lack %q: logging was not captured, the log check would prove nothing", len(logs), want)
		}
	}
	// Issue 8 §4: every resource and data source the configuration uses
	// writes structured pgtls log lines (from logCtx, so with the masks).
	for _, typ := range append([]string{in.typ}, in.extraTypes...) {
		if !hasPgtlsLogLine(logs, typ) {
			fail("no structured pgtls log line (pgtls_component) for %s in the TRACE logs", typ)
		}
	}
	for _, n := range needles {
		for _, h := range human {
			if strings.Contains(h, n) {
				fail("secret shown in CLI output")
			}
		}
		if strings.Contains(logs, n) {
			for _, l := range strings.Split(logs, "\n") {
				if strings.Contains(l, n) {
					fail("secret in a TRACE log line: %.300s", l)
					break
				}
			}
		}
	}
	for what, doc := range map[string]string{"plan": planJSON, "state": stateJSON} {
		var v any
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			t.Fatalf("%s JSON: %v", what, err)
		}
		sc := newJSONScanner(t, needles)
		sc.scan(what, v, false, "")
		for _, l := range sc.leaks {
			fail("secret in a non-sensitive value of the %s JSON at %s", what, l)
		}
		if what == "state" && len(sc.hits) == 0 {
			fail("the secret reached no sensitive attribute of the state: the input was not used, so this test proves nothing")
		}
	}
}

// hasPgtlsLogLine reports whether logs hold a line written through logCtx
// (it carries pgtls_component) by the resource or data source typ.
func hasPgtlsLogLine(logs, typ string) bool {
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "pgtls_component") &&
			(strings.Contains(l, "tf_resource_type="+typ) || strings.Contains(l, "tf_data_source_type="+typ) ||
				strings.Contains(l, `"tf_resource_type":"`+typ+`"`) || strings.Contains(l, `"tf_data_source_type":"`+typ+`"`)) {
			return true
		}
	}
	return false
}

// jsonScanner walks a plan or state JSON document. A value is sensitive
// when Terraform's mask next to it says so (values/sensitive_values,
// before/before_sensitive, after/after_sensitive) or when the schema
// attribute it belongs to is Sensitive (Terraform 1.5's planned_values mask
// omits schema sensitivity; its human output honours it). The
// configuration and variables sections (the user's own source and input
// values, which Terraform reproduces as written) are skipped; every other
// string must not contain a needle.
type jsonScanner struct {
	needles     []string
	schemaSens  map[string]map[string]bool // "managed.TYPE" / "data.TYPE" -> sensitive attribute paths
	mapNested   map[string]map[string]bool // same keys -> paths of maps of nested objects
	leaks, hits []string
}

func newJSONScanner(t *testing.T, needles []string) *jsonScanner {
	s := &jsonScanner{needles: needles, schemaSens: map[string]map[string]bool{}, mapNested: map[string]map[string]bool{}}
	for typ, attrs := range allSchemaAttrs(t) {
		key := "managed." + typ
		if strings.HasPrefix(typ, "data.") {
			key = typ
		}
		m, mn := map[string]bool{}, map[string]bool{}
		for _, a := range attrs {
			if a.sensitive {
				m[a.path] = true
			}
			if a.mapNested {
				mn[a.path] = true
			}
		}
		s.schemaSens[key], s.mapNested[key] = m, mn
	}
	return s
}

func (s *jsonScanner) scan(path string, v any, masked bool, res string) {
	switch x := v.(type) {
	case map[string]any:
		if typ, ok := x["type"].(string); ok {
			if mode, ok := x["mode"].(string); ok {
				res = mode + "." + typ
			}
		}
		for k, val := range x {
			switch k {
			case "configuration", "variables":
				if !strings.Contains(path, ".") {
					continue
				}
			case "sensitive_values", "before_sensitive", "after_sensitive":
				continue
			}
			mask, hasMask := any(nil), false
			switch k {
			case "values":
				mask, hasMask = x["sensitive_values"]
			case "before":
				mask, hasMask = x["before_sensitive"]
			case "after":
				mask, hasMask = x["after_sensitive"]
			}
			if hasMask {
				s.masked(path+"."+k, val, mask, masked, res, nil, false)
				continue
			}
			s.scan(path+"."+k, val, masked, res)
		}
	case []any:
		for i, e := range x {
			s.scan(path+"["+strconv.Itoa(i)+"]", e, masked, res)
		}
	case string:
		for _, n := range s.needles {
			if strings.Contains(x, n) {
				if masked {
					s.hits = append(s.hits, path)
				} else {
					s.leaks = append(s.leaks, path)
				}
				return
			}
		}
	}
}

// masked walks a resource's values with the mask and the attribute path
// (attr) below the resource; inElem says v is an element of a map of nested
// objects (its keys are attribute names again).
func (s *jsonScanner) masked(path string, v, mask any, masked bool, res string, attr []string, inElem bool) {
	if b, ok := mask.(bool); ok && b {
		masked = true
	}
	if len(attr) > 0 && s.schemaSens[res][strings.Join(attr, ".")] {
		masked = true
	}
	switch x := v.(type) {
	case map[string]any:
		m, _ := mask.(map[string]any)
		// The elements of a map of nested objects are keyed by the map's
		// keys, not attribute names: their attribute path is the map's. An
		// element (an object under a map key) is recognised by its parent
		// path ending in that key, so keys are skipped once.
		elems := len(attr) > 0 && s.mapNested[res][strings.Join(attr, ".")] && !inElem
		for k, val := range x {
			if elems {
				s.masked(path+"."+k, val, m[k], masked, res, attr, true)
				continue
			}
			s.masked(path+"."+k, val, m[k], masked, res, append(append([]string{}, attr...), k), false)
		}
	case []any:
		m, _ := mask.([]any)
		for i, e := range x {
			var em any
			if i < len(m) {
				em = m[i]
			}
			s.masked(path+"["+strconv.Itoa(i)+"]", e, em, masked, res, attr, false)
		}
	default:
		s.scan(path, v, masked, res)
	}
}
