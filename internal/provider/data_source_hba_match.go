package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pgtls/terraform-provider-pgtls/internal/hba"
)

type hbaMatchDataSource struct{ data *providerData }

var _ datasource.DataSourceWithConfigure = (*hbaMatchDataSource)(nil)

// NewHBAMatchDataSource is the pgtls_hba_match data source.
func NewHBAMatchDataSource() datasource.DataSource { return &hbaMatchDataSource{} }

type hbaMatchModel struct {
	attemptModel
	Content         types.String `tfsdk:"content"`
	IdentContent    types.String `tfsdk:"ident_content"`
	PostgresVersion types.Int64  `tfsdk:"postgres_version"`
	Files           types.Map    `tfsdk:"files"`
	ServerAddresses types.List   `tfsdk:"server_addresses"`
	Expect          types.String `tfsdk:"expect"`

	Result         types.String `tfsdk:"result"`
	Method         types.String `tfsdk:"method"`
	LineNumber     types.Int64  `tfsdk:"line_number"`
	ImplicitReject types.Bool   `tfsdk:"implicit_reject"`
	Rule           types.String `tfsdk:"rule"`
	Reason         types.String `tfsdk:"reason"`
	ClientCert     types.String `tfsdk:"clientcert"`
	CertPasses     types.Bool   `tfsdk:"cert_passes"`
}

func (d *hbaMatchDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_hba_match"
}

// hbaMatchInputDescriptions are shared with the function.
var hbaMatchInputDescriptions = map[string]string{
	"content": "The pg_hba.conf text, as PostgreSQL reads it (for example `pgtls_hba_file.main.content`, or a " +
		"hand-written file through `file()`). Include directives are not followed. Sensitive, because a pg_hba.conf " +
		"may hold secrets; the outputs show lines with secret option values masked.",
	"ident_content":    "The pg_ident.conf text, for `map=` checks (cert, peer, ident). When unset, such checks are reported as unknown.",
	"postgres_version": "PostgreSQL major version (13 to 18) reading the files. Defaults to the provider's `postgres_version`.",
	"files":            "Contents of the files `@name` references read, by the name as written after `@`.",
	"server_addresses": serverAddressesDescription,
}

func (d *hbaMatchDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	str := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	attrs := attemptAttributesDS()
	attrs["content"] = schema.StringAttribute{Required: true, Sensitive: true, MarkdownDescription: hbaMatchInputDescriptions["content"]}
	attrs["ident_content"] = schema.StringAttribute{Optional: true, MarkdownDescription: hbaMatchInputDescriptions["ident_content"]}
	attrs["postgres_version"] = schema.Int64Attribute{Optional: true, MarkdownDescription: hbaMatchInputDescriptions["postgres_version"],
		Validators: []validator.Int64{int64validator.Between(hba.MinVersion, hba.MaxVersion)}}
	attrs["files"] = schema.MapAttribute{Optional: true, ElementType: types.StringType, MarkdownDescription: hbaMatchInputDescriptions["files"]}
	attrs["server_addresses"] = schema.ListAttribute{Optional: true, ElementType: types.StringType, MarkdownDescription: hbaMatchInputDescriptions["server_addresses"]}
	attrs["expect"] = schema.StringAttribute{Optional: true,
		MarkdownDescription: "Fail (an error; a warning inside a `check` block) unless the result is this: `reject`, `allow` " +
			"or a method name, with the meaning of `pgtls_hba_file.expect`.",
		Validators: []validator.String{stringvalidator.OneOf(hba.ExpectationResults()...)}}
	attrs["result"] = str("`reject` (refused without asking for credentials: a reject line, no matching line, or a " +
		"certificate or identity check this attempt fails) or `allow` (the server goes on to authenticate with `method`; " +
		"with `trust`, or `cert` with a certificate that passes, that is final).")
	attrs["method"] = str("Effective method of the deciding line (`ident` on a local line is `peer`); empty for the implicit reject.")
	attrs["line_number"] = schema.Int64Attribute{Computed: true, MarkdownDescription: "Line that decided; 0 when no line matches."}
	attrs["implicit_reject"] = schema.BoolAttribute{Computed: true, MarkdownDescription: "No line matches (\"no pg_hba.conf entry\")."}
	attrs["rule"] = str("The deciding line, normalized, secret option values masked.")
	attrs["reason"] = str("One sentence: which line decided and why.")
	attrs["clientcert"] = str("Effective `clientcert` of the deciding line (`cert` implies `verify-full`).")
	attrs["cert_passes"] = schema.BoolAttribute{Computed: true,
		MarkdownDescription: "For a line that requires a client certificate: whether this attempt's certificate passes " +
			"(present, and for `verify-full` its CN/DN matching the role or mapped by `map=`). Null when the line requires none, " +
			"or when the verdict needs `ident_content`."}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Simulates PostgreSQL's `pg_hba.conf` decision for one connection attempt, exactly as hba.c " +
			"takes it: the first line whose connection type, client address, database and role match decides (no " +
			"fall-through), `all` does not match replication connections, `+role` and `samerole` follow role " +
			"membership, `/regex` names are regular expressions on PostgreSQL 16+, `@file` names are read from `files`, " +
			"host-name lines compare the client's reverse-DNS name (an input: nothing is resolved at plan time). It " +
			"returns the deciding line, its effective method and, for certificate lines, whether the certificate " +
			"passes. Proven against real PostgreSQL 15 and 18 servers on thousands of logins. Use it in `check` " +
			"blocks and `tofu test`/`terraform test` to assert who can connect.",
		Attributes: attrs,
	}
}

func (d *hbaMatchDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, _ *datasource.ConfigureResponse) {
	d.data = configuredData(req.ProviderData)
}

func (d *hbaMatchDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m hbaMatchModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	version := versionOf(m.PostgresVersion, d.data)
	a, probs, _ := m.attempt()
	for _, p := range probs {
		resp.Diagnostics.AddAttributeError(path.Root(p.field), "Invalid attempt", p.msg)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	matcher, ok := matcherFor(ctx, m.Content.ValueString(), version, m.IdentContent, m.Files, m.ServerAddresses, &resp.Diagnostics)
	if !ok {
		return
	}
	dec, err := matcher.Match(a)
	if err != nil {
		resp.Diagnostics.AddError("Cannot decide the attempt", err.Error())
		return
	}
	setMatchResult(&m, dec)
	logDecision(ctx, "hba_match", dec)
	if !m.Expect.IsNull() {
		out, err := matcher.Check(hba.Expectation{Attempt: a, Result: m.Expect.ValueString()})
		if err == nil && !out.OK {
			resp.Diagnostics.AddAttributeError(path.Root("expect"), "pg_hba expectation failed",
				fmt.Sprintf("%s: %s", describeAttempt(a), out.Message))
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// matcherFor parses content (and ident_content) for version v.
func matcherFor(ctx context.Context, content string, v int, identContent types.String, files types.Map, servers types.List, diags *diag.Diagnostics) (*hba.Matcher, bool) {
	var idents []hba.IdentMap
	if !identContent.IsNull() {
		pi, err := hba.ParseIdent(identContent.ValueString(), v)
		if err != nil {
			diags.AddAttributeError(path.Root("ident_content"), "Cannot parse pg_ident.conf", err.Error())
			return nil, false
		}
		if len(pi.Problems) > 0 {
			diags.AddAttributeError(path.Root("ident_content"), "Invalid pg_ident.conf", pi.Problems[0].String())
			return nil, false
		}
		idents = pi.Maps
	}
	ifaces, known := interfacePrefixes(ctx, servers, path.Root("server_addresses"), diags)
	if diags.HasError() {
		return nil, false
	}
	env := environmentOf(ifaces, known, filesOf(files), idents, !identContent.IsNull())
	m, err := hba.NewMatcherContent(content, v, env)
	if err != nil {
		diags.AddError("Cannot simulate this pg_hba.conf", err.Error()) // not at content: its configuration line may hold a secret
		return nil, false
	}
	return m, true
}

func setMatchResult(m *hbaMatchModel, d hba.Decision) {
	m.Result = types.StringValue(string(d.Result))
	m.Method = types.StringValue(string(d.Method))
	m.LineNumber = types.Int64Value(int64(d.Line))
	m.ImplicitReject = types.BoolValue(d.ImplicitReject)
	m.Rule = types.StringValue("")
	if d.Index >= 0 {
		m.Rule = types.StringValue(hba.CompactLine(d.Rule.String()))
	}
	m.Reason = types.StringValue(d.Reason)
	m.ClientCert = types.StringValue(d.ClientCert)
	m.CertPasses = types.BoolNull()
	if d.Cert != nil && d.Cert.Known {
		m.CertPasses = types.BoolValue(d.Cert.Passes)
	}
}

// logDecision logs a simulated pg_hba decision.
func logDecision(ctx context.Context, component string, d hba.Decision) {
	tflog.Debug(logCtx(ctx, component), "simulated pg_hba decision", map[string]any{
		"result": string(d.Result), "line": d.Line, "method": string(d.Method), "implicit_reject": d.ImplicitReject, "reason": d.Reason,
	})
}
