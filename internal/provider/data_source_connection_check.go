package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

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
	"ssl":           types.BoolType,
	"version":       types.StringType,
	"cipher":        types.StringType,
	"bits":          types.Int64Type,
	"client_dn":     types.StringType,
	"client_serial": types.StringType,
	"issuer_dn":     types.StringType,
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
				MarkdownDescription: "Host name or IP address to connect to (TCP only).",
				Required:            true,
			},
			"port": schema.Int64Attribute{
				MarkdownDescription: "TCP port. Defaults to `5432`.",
				Optional:            true,
				Validators:          []validator.Int64{int64validator.Between(1, 65535)},
			},
			"database": schema.StringAttribute{
				MarkdownDescription: "Database to connect to. Defaults to the user name, as libpq does.",
				Optional:            true,
			},
			"user": schema.StringAttribute{
				MarkdownDescription: "Role to log in as.",
				Required:            true,
			},
			"password": schema.StringAttribute{
				MarkdownDescription: "Password, for password-based methods (scram-sha-256, md5, password).",
				Optional:            true,
				Sensitive:           true,
			},
			"sslmodes": schema.ListAttribute{
				MarkdownDescription: "The sslmodes to check. Defaults to all six: " + backtickList(modes) + ".",
				Optional:            true,
				ElementType:         types.StringType,
				Validators: []validator.List{
					listvalidator.SizeAtLeast(1),
					listvalidator.UniqueValues(),
					listvalidator.ValueStringsAre(stringvalidator.OneOf(modes...)),
				},
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
				MarkdownDescription: "Bound on each mode's probe, end to end. Modes run concurrently, so the whole check " +
					"takes about this long at most. Defaults to `5`.",
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(1, 300)},
			},
			"expect": schema.MapAttribute{
				MarkdownDescription: "Expected outcome per sslmode: `success` or `failure`. Any mode whose result " +
					"differs is an error naming the mode, expected and actual outcome and the reason, so the plan fails.",
				Optional:    true,
				ElementType: types.StringType,
				Validators: []validator.Map{
					mapvalidator.KeysAre(stringvalidator.OneOf(modes...)),
					mapvalidator.ValueStringsAre(stringvalidator.OneOf("success", "failure")),
				},
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
					"category": str("Failure class: `connect`, `timeout`, `ssl-refused`, `no-root-cert`, `cert-verify`, " +
						"`hostname`, `tls`, `no-password`, `server`, `protocol` (empty on success)."),
					"encrypted": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the final connection used TLS."},
					"path": str("Which attempts libpq makes: `plaintext`, `tls`, `tls-refused-then-plaintext` (prefer, " +
						"server without SSL), `tls-then-plaintext` (prefer retrying after a failed TLS login), " +
						"`plaintext-then-tls` (allow), `tls-refused`, `plaintext-then-tls-refused`, `none`."),
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
							"ssl":           schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the server sees TLS."},
							"version":       str("TLS version."),
							"cipher":        str("Cipher."),
							"bits":          schema.Int64Attribute{Computed: true, MarkdownDescription: "Key bits."},
							"client_dn":     str("Client certificate DN as the server reports it."),
							"client_serial": str("Client certificate serial (decimal)."),
							"issuer_dn":     str("Client certificate issuer DN."),
						},
					},
				}},
			},
		},
	}
}

// request builds the domain request; ok is false while any input is unknown.
func (m *connectionCheckModel) request(ctx context.Context, diags *diag.Diagnostics) (check.Request, bool) {
	for _, v := range []attr.Value{m.Host, m.Port, m.Database, m.User, m.Password, m.SSLModes, m.RootCertPEM,
		m.ClientCertPEM, m.ClientKeyPEM, m.CRLPEM, m.ServerName, m.ConnectTimeoutSeconds} {
		if v.IsUnknown() {
			return check.Request{}, false
		}
	}
	req := check.Request{
		Host:          m.Host.ValueString(),
		Port:          int(m.Port.ValueInt64()),
		Database:      m.Database.ValueString(),
		User:          m.User.ValueString(),
		Password:      m.Password.ValueString(),
		RootCertPEM:   m.RootCertPEM.ValueString(),
		ClientCertPEM: m.ClientCertPEM.ValueString(),
		ClientKeyPEM:  m.ClientKeyPEM.ValueString(),
		CRLPEM:        m.CRLPEM.ValueString(),
		ServerName:    m.ServerName.ValueString(),
	}
	if !m.ConnectTimeoutSeconds.IsNull() {
		req.ConnectTimeout = time.Duration(m.ConnectTimeoutSeconds.ValueInt64()) * time.Second
	}
	for _, s := range stringsOf(ctx, m.SSLModes, diags) {
		req.SSLModes = append(req.SSLModes, check.SSLMode(s))
	}
	return req, !diags.HasError()
}

// addProblems reports request problems on their attributes.
func addProblems(probs []check.Problem, diags *diag.Diagnostics) {
	for _, p := range probs {
		attrName := p.Field
		if attrName == "connect_timeout" {
			attrName = "connect_timeout_seconds"
		}
		diags.AddAttributeError(path.Root(attrName), "Invalid connection check input", p.String())
	}
}

func (d *connectionCheckDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var m connectionCheckModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if creq, ok := m.request(ctx, &resp.Diagnostics); ok {
		addProblems(creq.Validate(), &resp.Diagnostics)
	}
}

func (d *connectionCheckDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m connectionCheckModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	creq, _ := m.request(ctx, &resp.Diagnostics)
	if probs := creq.Validate(); len(probs) > 0 {
		addProblems(probs, &resp.Diagnostics)
		return
	}
	expectWords := map[string]string{}
	if !m.Expect.IsNull() {
		resp.Diagnostics.Append(m.Expect.ElementsAs(ctx, &expectWords, false)...)
	}
	exp, probs := check.ParseExpectation(expectWords)
	addProblems(probs, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}

	results := check.Run(ctx, creq)

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
			"ssl":           types.BoolValue(s.SSL),
			"version":       types.StringValue(s.Version),
			"cipher":        types.StringValue(s.Cipher),
			"bits":          types.Int64Value(int64(s.Bits)),
			"client_dn":     types.StringValue(s.ClientDN),
			"client_serial": types.StringValue(s.ClientSerial),
			"issuer_dn":     types.StringValue(s.IssuerDN),
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
