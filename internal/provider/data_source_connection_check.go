package provider

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pgtls/terraform-provider-pgtls/internal/check"
)

type connectionCheckDataSource struct{}

var _ datasource.DataSourceWithValidateConfig = (*connectionCheckDataSource)(nil)

// NewConnectionCheckDataSource is the pgtls_connection_check data source.
func NewConnectionCheckDataSource() datasource.DataSource { return &connectionCheckDataSource{} }

type connectionCheckModel struct {
	Host                  types.String `tfsdk:"host"`
	Port                  types.Int64  `tfsdk:"port"`
	Database              types.String `tfsdk:"database"`
	User                  types.String `tfsdk:"user"`
	Password              types.String `tfsdk:"password"`
	SSLModes              types.List   `tfsdk:"sslmodes"`
	RootCertPEM           types.String `tfsdk:"root_cert_pem"`
	ClientCertPEM         types.String `tfsdk:"client_cert_pem"`
	ClientKeyPEM          types.String `tfsdk:"client_key_pem"`
	CRLPEM                types.String `tfsdk:"crl_pem"`
	ServerName            types.String `tfsdk:"server_name"`
	ConnectTimeoutSeconds types.Int64  `tfsdk:"connect_timeout_seconds"`
	Expect                types.Map    `tfsdk:"expect"`
	Results               types.Map    `tfsdk:"results"`
	ExpectationsMet       types.Bool   `tfsdk:"expectations_met"`
}

var serverCertAttrTypes = map[string]attr.Type{
	"subject":            types.StringType,
	"issuer":             types.StringType,
	"dns_names":          types.ListType{ElemType: types.StringType},
	"ip_addresses":       types.ListType{ElemType: types.StringType},
	"not_after":          types.StringType,
	"fingerprint_sha256": types.StringType,
}

var sslStatAttrTypes = map[string]attr.Type{
	"ssl":               types.BoolType,
	"version":           types.StringType,
	"cipher":            types.StringType,
	"bits":              types.Int64Type,
	"client_dn_oneline": types.StringType,
	"client_serial":     types.StringType,
	"issuer_dn_oneline": types.StringType,
}

var checkResultAttrTypes = map[string]attr.Type{
	"success":                 types.BoolType,
	"error":                   types.StringType,
	"sqlstate":                types.StringType,
	"category":                types.StringType,
	"encrypted":               types.BoolType,
	"path":                    types.StringType,
	"tls_version":             types.StringType,
	"cipher":                  types.StringType,
	"server_certificate":      types.ObjectType{AttrTypes: serverCertAttrTypes},
	"client_certificate_sent": types.BoolType,
	"authenticated_user":      types.StringType,
	"server_version":          types.StringType,
	"pg_stat_ssl":             types.ObjectType{AttrTypes: sslStatAttrTypes},
}

func (d *connectionCheckDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_connection_check"
}

func (d *connectionCheckDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	modes := make([]string, len(check.AllModes))
	for i, m := range check.AllModes {
		modes[i] = string(m)
	}
	str := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Connects to a live PostgreSQL server (or PgBouncer / Pgpool-II) once per `sslmode` and " +
			"reports, mode by mode, whether the login succeeds, over which path (TLS or plaintext), with which " +
			"certificate and as which role. TLS behaviour follows libpq (what `psql` does), not pgx's defaults: a " +
			"given root certificate is verified in every TLS mode, `verify-full` uses libpq's host-name rules " +
			"(including its CN fallback), and nothing is read from `~/.postgresql` or `PG*` variables. " +
			"With `expect`, any mode whose outcome differs fails the plan with one error per mode.",
		Attributes: map[string]schema.Attribute{
			"host": schema.StringAttribute{
				MarkdownDescription: "Host name or IP address to connect to (TCP only; at most 253 characters).",
				Required:            true,
			},
			"port": schema.Int64Attribute{
				MarkdownDescription: "TCP port, 1 to 65535. Defaults to `5432`.",
				Optional:            true,
			},
			"database": schema.StringAttribute{
				MarkdownDescription: "Database to connect to, at most 63 bytes (PostgreSQL cuts longer names). Defaults to the user name, as libpq does.",
				Optional:            true,
			},
			"user": schema.StringAttribute{
				MarkdownDescription: "Role to log in as, at most 63 bytes: PostgreSQL cuts a longer name in the startup packet to its first " +
					"63 bytes (NAMEDATALEN-1), so a longer one is refused at plan time.",
				Required: true,
			},
			"password": schema.StringAttribute{
				MarkdownDescription: "Password, for password-based methods (scram-sha-256, md5, password).",
				Optional:            true,
				Sensitive:           true,
			},
			"sslmodes": schema.ListAttribute{
				MarkdownDescription: "The sslmodes to check, each once, spelled as libpq does (lower case). Defaults to all six: " + backtickList(modes) + ".",
				Optional:            true,
				ElementType:         types.StringType,
				// The domain owns the sslmode rules (names, duplicates);
				// only the Terraform form "[]" is refused here: omit the
				// attribute to check all six.
				Validators: []validator.List{listvalidator.SizeAtLeast(1)},
			},
			"root_cert_pem": schema.StringAttribute{
				MarkdownDescription: "Trust anchor(s) (PEM), libpq's `sslrootcert`. When set, the server chain is " +
					"verified in every mode that uses TLS, as libpq does. `verify-ca` and `verify-full` fail without it.",
				Optional: true,
			},
			"client_cert_pem": schema.StringAttribute{
				MarkdownDescription: "Client certificate (PEM, optionally followed by its chain), libpq's `sslcert`. " +
					"Sent only when the server asks for one.",
				Optional: true,
			},
			"client_key_pem": schema.StringAttribute{
				MarkdownDescription: "Private key of `client_cert_pem` (unencrypted PEM), libpq's `sslkey`.",
				Optional:            true,
				Sensitive:           true,
			},
			"crl_pem": schema.StringAttribute{
				MarkdownDescription: "Certificate revocation list(s) (PEM) checked against the server's chain, libpq's `sslcrl`.",
				Optional:            true,
			},
			"server_name": schema.StringAttribute{
				MarkdownDescription: "Name `verify-full` checks the server certificate against (and sent as SNI) while " +
					"`host` is dialed, like libpq's `host=<server_name> hostaddr=<host>`. Defaults to `host`.",
				Optional: true,
			},
			"connect_timeout_seconds": schema.Int64Attribute{
				MarkdownDescription: "Bound on each mode's probe, end to end, 1 to 300 seconds. Modes run concurrently, so the whole check " +
					"takes about this long at most. Defaults to `5`.",
				Optional: true,
			},
			"expect": schema.MapAttribute{
				MarkdownDescription: "Expected outcome per sslmode: `success` or `failure`. Every key must be one of the " +
					"checked `sslmodes`. Any mode whose result " +
					"differs is an error naming the mode, expected and actual outcome and the reason, so the plan fails.",
				Optional:    true,
				ElementType: types.StringType,
			},
			"expectations_met": schema.BoolAttribute{
				Computed:            true,
				MarkdownDescription: "Whether every mode in `expect` behaved as expected (`true` when `expect` is empty).",
			},
			"results": schema.MapNestedAttribute{
				Computed:            true,
				MarkdownDescription: "One result per checked sslmode, keyed by the mode.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"success":  schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the login succeeded and a query ran."},
					"error":    str("Why it failed, in one line (empty on success)."),
					"sqlstate": str("SQLSTATE of the server error that failed the login, if any (`28000` for pg_hba/cert rejections)."),
					"category": str("Failure class: `connect`, `timeout`, `ssl-refused` (require and above only), `no-root-cert`, `cert-verify`, " +
						"`hostname`, `tls`, `no-password`, `channel-binding`, `server`, `protocol` (also a connection the server " +
						"closed without a message, which libpq reports as closed unexpectedly) (empty on success)."),
					"encrypted": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the final connection used TLS."},
					"path": str("Which attempts libpq makes: `plaintext`, `tls`, `tls-refused-then-plaintext` (prefer, " +
						"server without SSL: the login goes on unencrypted on the same connection), `tls-then-plaintext` " +
						"(prefer retrying after a failed TLS login), `plaintext-then-tls` (allow retrying with TLS after a " +
						"rejected plaintext login), `tls-refused` (require and above, server without SSL), " +
						"`plaintext-then-tls-refused` (allow: the retry asked for SSL, the server refused it and the login " +
						"went on unencrypted again), `none`."),
					"tls_version": str("Negotiated TLS version, for example `TLSv1.3`."),
					"cipher":      str("Negotiated cipher suite."),
					"server_certificate": schema.SingleNestedAttribute{
						Computed:            true,
						MarkdownDescription: "The certificate the server presented (also when it was rejected).",
						Attributes: map[string]schema.Attribute{
							"subject":            str("Subject DN (RFC 2253)."),
							"issuer":             str("Issuer DN (RFC 2253)."),
							"dns_names":          schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "DNS SANs."},
							"ip_addresses":       schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "IP SANs."},
							"not_after":          str("End of validity (RFC 3339)."),
							"fingerprint_sha256": str("SHA-256 fingerprint of the DER certificate, lowercase hex."),
						},
					},
					"client_certificate_sent": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the server asked for a client certificate and one was sent."},
					"authenticated_user":      str("`current_user` of the session."),
					"server_version":          str("The server's `server_version`."),
					"pg_stat_ssl": schema.SingleNestedAttribute{
						Computed: true,
						MarkdownDescription: "The session's own `pg_stat_ssl` row, as the server saw the connection. Null " +
							"when the server has none (PgBouncer, Pgpool-II) or the login failed.",
						Attributes: map[string]schema.Attribute{
							"ssl":     schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the server sees TLS."},
							"version": str("TLS version."),
							"cipher":  str("Cipher."),
							"bits":    schema.Int64Attribute{Computed: true, MarkdownDescription: "Key bits."},
							"client_dn_oneline": str("`pg_stat_ssl.client_dn`: the client certificate's subject in the form PostgreSQL " +
								"shows there, OpenSSL's one-line style (`/C=DE/O=Ex\\, Inc/CN=app`: attributes in certificate order, " +
								"short names, values escaped as in RFC 2253), cut to 63 bytes (NAMEDATALEN-1, even inside an escape). This is not the RFC 2253 DN " +
								"(`CN=app,O=Ex\\, Inc,C=DE`) that `clientname=DN` compares and `pgtls_client_cert.subject_dn` holds: " +
								"do not compare the two. Empty when no client certificate was sent."),
							"client_serial": str("Client certificate serial (decimal)."),
							"issuer_dn_oneline": str("`pg_stat_ssl.issuer_dn`: the client certificate's issuer, in the same one-line " +
								"style as `client_dn_oneline` (not RFC 2253), cut to 63 bytes."),
						},
					},
				}},
			},
		},
	}
}

// checkInput is the domain request built from the configuration. Unknown
// attributes are left at their zero value and listed in unknown: problems
// on them (or that a zero value would cause) wait until they are known.
type checkInput struct {
	req     check.Request
	unknown map[string]bool // attribute names whose value is not known yet
	expect  map[string]string
}

func (m *connectionCheckModel) input() checkInput {
	in := checkInput{unknown: map[string]bool{}, expect: map[string]string{}}
	str := func(name string, v types.String) string {
		if v.IsUnknown() {
			in.unknown[name] = true
		}
		return v.ValueString()
	}
	in.req = check.Request{
		Host:          str("host", m.Host),
		Database:      str("database", m.Database),
		User:          str("user", m.User),
		Password:      str("password", m.Password),
		RootCertPEM:   str("root_cert_pem", m.RootCertPEM),
		ClientCertPEM: str("client_cert_pem", m.ClientCertPEM),
		ClientKeyPEM:  str("client_key_pem", m.ClientKeyPEM),
		CRLPEM:        str("crl_pem", m.CRLPEM),
		ServerName:    str("server_name", m.ServerName),
	}
	// Null means the domain default (0); an explicit value goes through
	// as is, clamped so the conversion cannot overflow (the domain rule
	// still refuses it, and the diagnostic shows the configured number).
	switch {
	case m.Port.IsUnknown():
		in.unknown["port"] = true
	case !m.Port.IsNull():
		in.req.Port = int(clamp(m.Port.ValueInt64(), -1, 65536))
	}
	switch {
	case m.ConnectTimeoutSeconds.IsUnknown():
		in.unknown["connect_timeout_seconds"] = true
	case !m.ConnectTimeoutSeconds.IsNull():
		maxSec := int64(check.MaxConnectTimeout / time.Second)
		in.req.ConnectTimeout = time.Duration(clamp(m.ConnectTimeoutSeconds.ValueInt64(), -1, maxSec+1)) * time.Second
	}
	if m.SSLModes.IsUnknown() {
		in.unknown["sslmodes"] = true
	} else {
		for _, e := range m.SSLModes.Elements() {
			sv, ok := e.(types.String)
			if !ok || sv.IsUnknown() {
				in.unknown["sslmodes"] = true
				in.req.SSLModes = nil
				break
			}
			in.req.SSLModes = append(in.req.SSLModes, check.SSLMode(sv.ValueString()))
		}
	}
	if m.Expect.IsUnknown() {
		in.unknown["expect"] = true
	} else {
		for k, e := range m.Expect.Elements() {
			sv, ok := e.(types.String)
			if !ok || sv.IsUnknown() {
				in.unknown["expect"] = true
				continue
			}
			in.expect[k] = sv.ValueString()
		}
	}
	return in
}

func clamp(v, lo, hi int64) int64 { return min(max(v, lo), hi) }

// validate reports every problem of the known inputs, once each, on its
// attribute (list element, map key), naming the value and the rule. The
// rules are the domain's (check.Request.Validate, check.ParseExpectation);
// only the Terraform forms the domain cannot see (an explicit 0 where the
// domain reads 0 as "default") are mapped here, through the same rules.
func (in checkInput) validate(m *connectionCheckModel, diags *diag.Diagnostics) check.Expectation {
	var probs []check.Problem
	if !m.Port.IsNull() && !m.Port.IsUnknown() && m.Port.ValueInt64() == 0 {
		probs = append(probs, check.Problem{Field: "port", Value: "0", Message: check.ValidatePort(0).Error()})
	}
	if !m.ConnectTimeoutSeconds.IsNull() && !m.ConnectTimeoutSeconds.IsUnknown() && m.ConnectTimeoutSeconds.ValueInt64() == 0 {
		probs = append(probs, check.Problem{Field: "connect_timeout", Value: "0", Message: check.ValidateConnectTimeout(0).Error()})
	}
	probs = append(probs, in.req.Validate()...)
	modes := in.req.SSLModes
	if in.unknown["sslmodes"] {
		modes = nil // every mode may still be listed
	}
	exp, eprobs := check.ParseExpectation(in.expect, modes)
	probs = append(probs, eprobs...)
	for _, p := range probs {
		name := attrOfField(p.Field)
		if in.unknown[name] {
			continue
		}
		diags.AddAttributeError(checkProblemPath(name, p.Key), "Invalid connection check input", checkProblemDetail(m, name, p))
	}
	return exp
}

func attrOfField(field string) string {
	if field == "connect_timeout" {
		return "connect_timeout_seconds"
	}
	return field
}

func checkProblemPath(name, key string) path.Path {
	p := path.Root(name)
	switch {
	case key == "":
		return p
	case name == "expect":
		return p.AtMapKey(key)
	}
	if i, err := strconv.Atoi(key); err == nil {
		return p.AtListIndex(i)
	}
	return p
}

// checkProblemDetail is "<attribute> <value>: <rule>". Numbers show the
// configured value (the domain saw a clamped or converted one).
func checkProblemDetail(m *connectionCheckModel, name string, p check.Problem) string {
	p.Field = name
	switch name {
	case "port":
		return fmt.Sprintf("port = %d: %s", m.Port.ValueInt64(), p.Message)
	case "connect_timeout_seconds":
		return fmt.Sprintf("connect_timeout_seconds = %d: %s", m.ConnectTimeoutSeconds.ValueInt64(), p.Message)
	}
	return p.String()
}

func (d *connectionCheckDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var m connectionCheckModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	m.input().validate(&m, &resp.Diagnostics)
}

func (d *connectionCheckDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m connectionCheckModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	in := m.input()
	exp := in.validate(&m, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}

	results := check.Run(ctx, in.req)
	logCheckResults(logCtx(ctx, "connection_check", in.req.Password, in.req.ClientKeyPEM), results)

	elems := map[string]attr.Value{}
	for _, r := range results {
		obj, diags := resultObject(r)
		resp.Diagnostics.Append(diags...)
		elems[string(r.Mode)] = obj
	}
	resMap, diags := types.MapValue(types.ObjectType{AttrTypes: checkResultAttrTypes}, elems)
	resp.Diagnostics.Append(diags...)
	m.Results = resMap

	mismatches := check.Compare(results, exp)
	m.ExpectationsMet = types.BoolValue(len(mismatches) == 0)
	for _, mm := range mismatches {
		resp.Diagnostics.AddAttributeError(path.Root("expect").AtMapKey(string(mm.Mode)),
			fmt.Sprintf("Connection check failed for sslmode %s", mm.Mode), mm.String())
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func resultObject(r check.Result) (types.Object, diag.Diagnostics) {
	var diags diag.Diagnostics
	serverCert := types.ObjectNull(serverCertAttrTypes)
	if c := r.ServerCertificate; c != nil {
		var d diag.Diagnostics
		serverCert, d = types.ObjectValue(serverCertAttrTypes, map[string]attr.Value{
			"subject":            types.StringValue(c.Subject),
			"issuer":             types.StringValue(c.Issuer),
			"dns_names":          stringList(c.DNSNames),
			"ip_addresses":       stringList(c.IPAddresses),
			"not_after":          types.StringValue(c.NotAfter.UTC().Format(time.RFC3339)),
			"fingerprint_sha256": types.StringValue(c.FingerprintSHA256),
		})
		diags.Append(d...)
	}
	stat := types.ObjectNull(sslStatAttrTypes)
	if s := r.SSLStat; s != nil {
		var d diag.Diagnostics
		stat, d = types.ObjectValue(sslStatAttrTypes, map[string]attr.Value{
			"ssl":               types.BoolValue(s.SSL),
			"version":           types.StringValue(s.Version),
			"cipher":            types.StringValue(s.Cipher),
			"bits":              types.Int64Value(int64(s.Bits)),
			"client_dn_oneline": types.StringValue(s.ClientDNOneLine),
			"client_serial":     types.StringValue(s.ClientSerial),
			"issuer_dn_oneline": types.StringValue(s.IssuerDNOneLine),
		})
		diags.Append(d...)
	}
	obj, d := types.ObjectValue(checkResultAttrTypes, map[string]attr.Value{
		"success":                 types.BoolValue(r.Success),
		"error":                   types.StringValue(r.Error),
		"sqlstate":                types.StringValue(r.SQLState),
		"category":                types.StringValue(r.Category),
		"encrypted":               types.BoolValue(r.Encrypted),
		"path":                    types.StringValue(r.Path),
		"tls_version":             types.StringValue(r.TLSVersion),
		"cipher":                  types.StringValue(r.Cipher),
		"server_certificate":      serverCert,
		"client_certificate_sent": types.BoolValue(r.ClientCertificateSent),
		"authenticated_user":      types.StringValue(r.AuthenticatedUser),
		"server_version":          types.StringValue(r.ServerVersion),
		"pg_stat_ssl":             stat,
	})
	diags.Append(d...)
	return obj, diags
}

// logCheckResults logs each sslmode's probe and its connection attempts:
// what an operator needs to see why a mode failed (address tried, TLS or
// not, outcome, timings). Passwords and keys are masked by logCtx.
func logCheckResults(ctx context.Context, results []check.Result) {
	for _, r := range results {
		tflog.Info(ctx, "connection check probe", map[string]any{
			"sslmode":     string(r.Mode),
			"success":     r.Success,
			"path":        r.Path,
			"tls_version": r.TLSVersion,
			"category":    r.Category,
			"error":       r.Error,
			"role":        r.AuthenticatedUser,
			"attempts":    len(r.Attempts),
			"duration_ms": r.Duration.Milliseconds(),
		})
		for i, a := range r.Attempts {
			tflog.Debug(ctx, "connection check attempt", map[string]any{
				"sslmode":     string(r.Mode),
				"attempt":     i + 1,
				"tls":         a.TLS,
				"address":     a.Address,
				"outcome":     a.Outcome,
				"duration_ms": a.Duration.Milliseconds(),
			})
		}
	}
}
