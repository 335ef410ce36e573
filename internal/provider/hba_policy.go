package provider

// Policy at plan time: the connection-attempt attributes shared by the
// pgtls_hba_match data source, the hba_match function and `expect`
// assertions; expectation checks; and the access review (the access diff
// between the prior and the planned file, as plan diagnostics and the
// `access_changes` attribute). The logic is hba.Matcher / hba.DiffAccess;
// this file only maps attributes.

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	dschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pgtls/terraform-provider-pgtls/internal/hba"
)

// attemptModel is one connection attempt.
type attemptModel struct {
	User           types.String `tfsdk:"user"`
	Database       types.String `tfsdk:"database"`
	Address        types.String `tfsdk:"address"`
	Local          types.Bool   `tfsdk:"local"`
	TLS            types.Bool   `tfsdk:"tls"`
	GSS            types.Bool   `tfsdk:"gss"`
	Replication    types.Bool   `tfsdk:"replication"`
	MemberOf       types.List   `tfsdk:"member_of"`
	ClientCertCN   types.String `tfsdk:"client_cert_cn"`
	ClientCertDN   types.String `tfsdk:"client_cert_dn"`
	ClientHostname types.String `tfsdk:"client_hostname"`
	SystemUser     types.String `tfsdk:"system_user"`
}

var attemptAttrTypes = map[string]attr.Type{
	"user": types.StringType, "database": types.StringType, "address": types.StringType,
	"local": types.BoolType, "tls": types.BoolType, "gss": types.BoolType, "replication": types.BoolType,
	"member_of": types.ListType{ElemType: types.StringType}, "client_cert_cn": types.StringType,
	"client_cert_dn": types.StringType, "client_hostname": types.StringType, "system_user": types.StringType,
}

// attemptDescriptions documents the attempt attributes (one source for the
// data source, the expectations and the function).
var attemptDescriptions = map[string]string{
	"user":     "Role the client logs in as (truncated to 63 bytes, as the server does).",
	"database": "Database the client asks for. Required unless `replication` is true.",
	"address": "Client IP address as the server sees it (for example `10.1.2.3` or `fd00::5`); required unless " +
		"`local`. An IPv4-mapped IPv6 address (`::ffff:10.1.2.3`) is IPv6 to PostgreSQL and matches only IPv6 lines; " +
		"a client connecting over IPv4 is seen with its IPv4 address.",
	"local":       "A Unix-socket connection (`local` lines) instead of TCP. Defaults to `false`.",
	"tls":         "The TCP connection uses TLS (`hostssl` lines match, `hostnossl` lines do not). Defaults to `false`.",
	"gss":         "The TCP connection uses GSSAPI encryption (`hostgssenc`). Defaults to `false`.",
	"replication": "A physical replication connection (`replication=true`): only the `replication` database keyword matches it.",
	"member_of": "Roles `user` is a member of, directly or through other roles. Needed when a `+role` or `samerole` line " +
		"is reached; when unset such a line makes the result an error naming it (never a guess). `[]` means none.",
	"client_cert_cn": "Common name of the client certificate the server verified (TLS only). Set it (or " +
		"`client_cert_dn`) when the client presents a certificate.",
	"client_cert_dn": "Subject of the client certificate in RFC 2253 form as PostgreSQL formats it for " +
		"`clientname=DN` (`pgtls_client_cert.subject_dn`).",
	"client_hostname": "The client address's reverse-DNS name, resolving back to the address (PostgreSQL checks both). " +
		"Needed when a host-name line is reached; `\"\"` means the address has no such name. pgtls never queries DNS at plan time.",
	"system_user": "Identity a `peer` (OS user) or `ident` lookup reports, to check `map=` for those methods.",
}

func attemptAttributesDS() map[string]dschema.Attribute {
	out := map[string]dschema.Attribute{}
	for name, t := range attemptAttrTypes {
		desc := attemptDescriptions[name]
		switch t {
		case types.BoolType:
			out[name] = dschema.BoolAttribute{Optional: true, MarkdownDescription: desc}
		case types.StringType:
			a := dschema.StringAttribute{Optional: true, MarkdownDescription: desc}
			if name == "user" {
				a.Optional, a.Required = false, true
			}
			out[name] = a
		default:
			out[name] = dschema.ListAttribute{Optional: true, ElementType: types.StringType, MarkdownDescription: desc}
		}
	}
	return out
}

func attemptAttributesRS() map[string]rschema.Attribute {
	out := map[string]rschema.Attribute{}
	for name, t := range attemptAttrTypes {
		desc := attemptDescriptions[name]
		switch t {
		case types.BoolType:
			out[name] = rschema.BoolAttribute{Optional: true, MarkdownDescription: desc}
		case types.StringType:
			a := rschema.StringAttribute{Optional: true, MarkdownDescription: desc}
			if name == "user" {
				a.Optional, a.Required = false, true
			}
			out[name] = a
		default:
			out[name] = rschema.ListAttribute{Optional: true, ElementType: types.StringType, MarkdownDescription: desc}
		}
	}
	return out
}

// attemptProblem is a problem with an attempt attribute.
type attemptProblem struct {
	field, msg string
}

// attempt converts the model; known is false while a value is unknown.
func (m attemptModel) attempt() (hba.Attempt, []attemptProblem, bool) {
	for _, v := range []attr.Value{m.User, m.Database, m.Address, m.Local, m.TLS, m.GSS, m.Replication, m.MemberOf,
		m.ClientCertCN, m.ClientCertDN, m.ClientHostname, m.SystemUser} {
		if v.IsUnknown() {
			return hba.Attempt{}, nil, false
		}
	}
	var probs []attemptProblem
	a := hba.Attempt{User: m.User.ValueString(), Database: m.Database.ValueString(), Local: m.Local.ValueBool(),
		Replication: m.Replication.ValueBool(), SystemUser: m.SystemUser.ValueString()}
	if !m.MemberOf.IsNull() {
		a.MembershipKnown = true
		for _, e := range m.MemberOf.Elements() {
			s, ok := e.(types.String)
			if !ok || s.IsUnknown() {
				return hba.Attempt{}, nil, false
			}
			a.MemberOf = append(a.MemberOf, s.ValueString())
		}
	}
	switch {
	case a.Local && !m.Address.IsNull():
		probs = append(probs, attemptProblem{"address", "a local (Unix-socket) attempt has no address"})
	case a.Local && (m.TLS.ValueBool() || m.GSS.ValueBool()):
		probs = append(probs, attemptProblem{"tls", "a local (Unix-socket) attempt uses no TLS or GSS encryption"})
	case !a.Local && m.Address.IsNull():
		probs = append(probs, attemptProblem{"address", "a TCP attempt needs the client address (or set local = true)"})
	case !a.Local:
		ip, err := netip.ParseAddr(m.Address.ValueString())
		if err != nil || ip.Zone() != "" {
			probs = append(probs, attemptProblem{"address", fmt.Sprintf("%q is not an IP address", m.Address.ValueString())})
		}
		a.Address = ip
		a.Encryption = hba.EncryptionNone
		if m.TLS.ValueBool() && m.GSS.ValueBool() {
			probs = append(probs, attemptProblem{"gss", "an attempt uses TLS or GSS encryption, not both"})
		}
		if m.TLS.ValueBool() {
			a.Encryption = hba.EncryptionSSL
		}
		if m.GSS.ValueBool() {
			a.Encryption = hba.EncryptionGSS
		}
	}
	if !m.ClientCertCN.IsNull() || !m.ClientCertDN.IsNull() {
		if !m.TLS.ValueBool() {
			probs = append(probs, attemptProblem{"client_cert_cn", "a client certificate needs tls = true"})
		}
		a.ClientCert = &hba.ClientCertificate{CN: m.ClientCertCN.ValueString(), DN: m.ClientCertDN.ValueString()}
	}
	if !m.ClientHostname.IsNull() {
		n := m.ClientHostname.ValueString()
		a.Hostname = &hba.ReverseDNS{Name: n, Confirmed: n != ""}
	}
	if a.Database == "" && !a.Replication {
		probs = append(probs, attemptProblem{"database", "database is required unless replication is true"})
	}
	if a.User == "" {
		probs = append(probs, attemptProblem{"user", "user must not be empty"})
	}
	return a, probs, true
}

// environmentOf builds the simulation environment.
func environmentOf(interfaces []netip.Prefix, interfacesKnown bool, files map[string]string, idents []hba.IdentMap, identsKnown bool) hba.Environment {
	env := hba.Environment{Files: files, IdentMaps: idents, IdentMapsKnown: identsKnown}
	if interfacesKnown {
		env.Interfaces = append([]netip.Prefix{}, interfaces...)
	}
	return env
}

// serverAddressesDescription documents server_addresses.
const serverAddressesDescription = "The server's own addresses with their prefix length, as its network interfaces have " +
	"them (for example `[\"10.0.0.5/24\", \"127.0.0.1/8\", \"::1/128\"]`), for `samehost` and `samenet` lines. " +
	"When unset, attempts that reach such a line are an error naming it, and the access diff treats \"the client is " +
	"the server's own address / on its networks\" as a condition."

// interfacePrefixes parses server_addresses (address/prefix, host bits kept).
func interfacePrefixes(ctx context.Context, l types.List, p path.Path, diags *diag.Diagnostics) ([]netip.Prefix, bool) {
	if l.IsNull() {
		return nil, false
	}
	var out []netip.Prefix
	for i, s := range stringsOf(ctx, l, diags) {
		pr, err := netip.ParsePrefix(s)
		if err != nil {
			if ip, err2 := netip.ParseAddr(s); err2 == nil {
				pr = netip.PrefixFrom(ip, ip.BitLen())
			} else {
				diags.AddAttributeError(p.AtListIndex(i), "Invalid server address", fmt.Sprintf("%q: want an address with its prefix length, like 10.0.0.5/24", s))
				continue
			}
		}
		out = append(out, pr)
	}
	return out, true
}

// --- Expectations ---

type expectModel struct {
	attemptModel
	Name   types.String `tfsdk:"name"`
	Result types.String `tfsdk:"result"`
}

const expectDescription = "Declared outcomes the file must produce, each a connection attempt and the `result` " +
	"PostgreSQL must reach for it (simulated exactly as hba.c decides; see the `pgtls_hba_match` data source). " +
	"A failing expectation fails the plan with the line that decided it. `result` is `reject` (refused without " +
	"asking for credentials: a reject line, no matching line, or a certificate or identity check the attempt " +
	"fails), `allow` (the server goes on to authenticate), or a method name (`cert`, `scram-sha-256`, ...: it " +
	"authenticates with that method)."

func expectAttributeRS() rschema.ListNestedAttribute {
	attrs := attemptAttributesRS()
	attrs["name"] = rschema.StringAttribute{Optional: true, MarkdownDescription: "A label shown in failures."}
	attrs["result"] = rschema.StringAttribute{Required: true, MarkdownDescription: "`reject`, `allow` or a method name.",
		Validators: []validator.String{stringvalidator.OneOf(hba.ExpectationResults()...)}}
	return rschema.ListNestedAttribute{Optional: true, MarkdownDescription: expectDescription,
		NestedObject: rschema.NestedAttributeObject{Attributes: attrs}}
}

func expectAttributeDS() dschema.ListNestedAttribute {
	attrs := attemptAttributesDS()
	attrs["name"] = dschema.StringAttribute{Optional: true, MarkdownDescription: "A label shown in failures."}
	attrs["result"] = dschema.StringAttribute{Required: true, MarkdownDescription: "`reject`, `allow` or a method name.",
		Validators: []validator.String{stringvalidator.OneOf(hba.ExpectationResults()...)}}
	return dschema.ListNestedAttribute{Optional: true, MarkdownDescription: expectDescription,
		NestedObject: dschema.NestedAttributeObject{Attributes: attrs}}
}

// checkExpectations evaluates the expect list against m; failures are
// attribute errors at expect[i]. Unknown expectations are left for later.
func checkExpectations(ctx context.Context, m *hba.Matcher, l types.List, diags *diag.Diagnostics) {
	if l.IsNull() || l.IsUnknown() {
		return
	}
	for i, e := range l.Elements() {
		obj, ok := e.(types.Object)
		if !ok || obj.IsUnknown() {
			return
		}
		var em expectModel
		if d := obj.As(ctx, &em, basetypes.ObjectAsOptions{}); d.HasError() {
			diags.Append(d...)
			return
		}
		if em.Result.IsUnknown() || em.Name.IsUnknown() {
			return
		}
		a, probs, known := em.attempt()
		if !known {
			return
		}
		p := path.Root("expect").AtListIndex(i)
		label := fmt.Sprintf("expect[%d]", i)
		if n := em.Name.ValueString(); n != "" {
			label = fmt.Sprintf("expect[%d] (%s)", i, n)
		}
		for _, pr := range probs {
			diags.AddAttributeError(p.AtName(pr.field), "Invalid expectation", fmt.Sprintf("%s: %s", label, pr.msg))
		}
		if len(probs) > 0 {
			continue
		}
		out, err := m.Check(hba.Expectation{Attempt: a, Result: em.Result.ValueString()})
		if err != nil {
			diags.AddAttributeError(p, "Expectation cannot be decided", fmt.Sprintf("%s: %v", label, err))
			continue
		}
		if !out.OK {
			diags.AddAttributeError(p.AtName("result"), "pg_hba expectation failed", fmt.Sprintf("%s (%s): %s", label, describeAttempt(a), out.Message))
		}
	}
}

// describeAttempt is an attempt in words, for messages.
func describeAttempt(a hba.Attempt) string {
	var b strings.Builder
	fmt.Fprintf(&b, "user %s", a.User)
	if a.Replication {
		b.WriteString(", physical replication")
	} else {
		fmt.Fprintf(&b, ", database %s", a.Database)
	}
	if a.Local {
		b.WriteString(", Unix socket")
	} else {
		fmt.Fprintf(&b, ", from %s", a.Address)
		switch a.Encryption {
		case hba.EncryptionSSL:
			b.WriteString(" over TLS")
			if a.ClientCert != nil {
				b.WriteString(" with a client certificate")
			}
		case hba.EncryptionGSS:
			b.WriteString(" with GSS encryption")
		default:
			b.WriteString(" without TLS")
		}
	}
	return b.String()
}

// --- Access review ---

type accessReviewModel struct {
	FailOn      types.List  `tfsdk:"fail_on"`
	WarnOn      types.List  `tfsdk:"warn_on"`
	Acknowledge types.List  `tfsdk:"acknowledge"`
	MaxClasses  types.Int64 `tfsdk:"max_classes"`
}

var changeKindNames = func() []string {
	var out []string
	for _, k := range hba.ChangeKinds {
		if k != hba.ChangeUnchanged {
			out = append(out, string(k))
		}
	}
	return out
}()

const accessReviewDescription = "What the access diff does with each kind of change. The diff compares what the " +
	"previous and the planned file let in, for every class of connection attempts (connection type, role, database, " +
	"client network, and the memberships or host names a line depends on); each change is `granted`, `revoked`, " +
	"`weakened` (a weaker or a different, unrankable authentication: cert to scram-sha-256, scram-sha-256 to md5, " +
	"password or trust, a dropped `clientcert`), or `strengthened`."

func accessReviewAttributesRS() map[string]rschema.Attribute {
	return map[string]rschema.Attribute{
		"fail_on": rschema.ListAttribute{Optional: true, ElementType: types.StringType,
			MarkdownDescription: "Change kinds that fail the plan unless acknowledged. Defaults to `[\"weakened\"]`.",
			Validators:          []validator.List{listvalidator.ValueStringsAre(stringvalidator.OneOf(changeKindNames...))}},
		"warn_on": rschema.ListAttribute{Optional: true, ElementType: types.StringType,
			MarkdownDescription: "Change kinds shown as plan warnings (the reviewer reads them in the CI log). Defaults to all four.",
			Validators:          []validator.List{listvalidator.ValueStringsAre(stringvalidator.OneOf(changeKindNames...))}},
		"acknowledge": rschema.ListAttribute{Optional: true, ElementType: types.StringType,
			MarkdownDescription: "Ids (`ac-...`, from `access_changes` or the plan message) of changes that are intended: " +
				"they are shown as warnings instead of failing the plan. An id is derived from the two lines' text, so it " +
				"survives unrelated edits and line moves."},
		"max_classes": rschema.Int64Attribute{Optional: true,
			MarkdownDescription: fmt.Sprintf("Upper bound on the classes the diff examines (default %d); above it the plan fails, rather than the review being skipped.", hba.DefaultMaxClasses),
			Validators:          []validator.Int64{int64validator.Between(1000, 10000000)}},
	}
}

func accessReviewAttributesDS() map[string]dschema.Attribute {
	out := map[string]dschema.Attribute{}
	for k, a := range accessReviewAttributesRS() {
		switch x := a.(type) {
		case rschema.ListAttribute:
			out[k] = dschema.ListAttribute{Optional: true, ElementType: types.StringType, MarkdownDescription: x.MarkdownDescription, Validators: x.Validators}
		case rschema.Int64Attribute:
			out[k] = dschema.Int64Attribute{Optional: true, MarkdownDescription: x.MarkdownDescription, Validators: x.Validators}
		}
	}
	return out
}

var accessChangeAttrTypes = map[string]attr.Type{
	"id": types.StringType, "change": types.StringType, "connection": types.StringType, "replication": types.BoolType,
	"databases": types.ListType{ElemType: types.StringType}, "users": types.ListType{ElemType: types.StringType},
	"networks": types.ListType{ElemType: types.StringType}, "conditions": types.ListType{ElemType: types.StringType},
	"classes": types.Int64Type, "before_line": types.Int64Type, "before": types.StringType, "before_rule": types.StringType,
	"after_line": types.Int64Type, "after": types.StringType, "after_rule": types.StringType, "reason": types.StringType,
}

var accessChangeDescriptions = map[string]string{
	"id":          "Stable id of the change, for `access_review.acknowledge`.",
	"change":      "`granted`, `revoked`, `weakened` or `strengthened`.",
	"connection":  "`local` (Unix socket), `plain` (TCP without encryption), `ssl` (TLS) or `gss` (GSSAPI encryption).",
	"replication": "The change concerns physical replication connections.",
	"databases":   "Databases concerned: names, and classes of unnamed ones in parentheses (`(any other database)`).",
	"users":       "Roles concerned: names, and classes of unnamed ones in parentheses.",
	"networks":    "Client networks concerned (CIDRs; empty for `local`).",
	"conditions":  "Facts every concerned attempt has that no plan can know (memberships, `samehost`/`samenet`, host names).",
	"classes":     "Number of exact attempt classes in this change.",
	"before_line": "Line deciding these attempts before (0: none, the implicit reject).",
	"before":      "The outcome before, in words.",
	"before_rule": "The line before (secret option values masked).",
	"after_line":  "Line deciding these attempts after (0: none).",
	"after":       "The outcome after, in words.",
	"after_rule":  "The line after (secret option values masked).",
	"reason":      "Why the change has its kind.",
}

func accessChangesAttributeRS(desc string) rschema.MapNestedAttribute {
	attrs := map[string]rschema.Attribute{}
	for k, t := range accessChangeAttrTypes {
		d := accessChangeDescriptions[k]
		switch t {
		case types.StringType:
			attrs[k] = rschema.StringAttribute{Computed: true, MarkdownDescription: d}
		case types.Int64Type:
			attrs[k] = rschema.Int64Attribute{Computed: true, MarkdownDescription: d}
		case types.BoolType:
			attrs[k] = rschema.BoolAttribute{Computed: true, MarkdownDescription: d}
		default:
			attrs[k] = rschema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: d}
		}
	}
	return rschema.MapNestedAttribute{Computed: true, MarkdownDescription: desc, NestedObject: rschema.NestedAttributeObject{Attributes: attrs}}
}

func accessChangesAttributeDS(desc string) dschema.ListNestedAttribute {
	attrs := map[string]dschema.Attribute{}
	for k, t := range accessChangeAttrTypes {
		d := accessChangeDescriptions[k]
		switch t {
		case types.StringType:
			attrs[k] = dschema.StringAttribute{Computed: true, MarkdownDescription: d}
		case types.Int64Type:
			attrs[k] = dschema.Int64Attribute{Computed: true, MarkdownDescription: d}
		case types.BoolType:
			attrs[k] = dschema.BoolAttribute{Computed: true, MarkdownDescription: d}
		default:
			attrs[k] = dschema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: d}
		}
	}
	return dschema.ListNestedAttribute{Computed: true, MarkdownDescription: desc, NestedObject: dschema.NestedAttributeObject{Attributes: attrs}}
}

// reviewSettings are the resolved access_review settings.
type reviewSettings struct {
	failOn, warnOn map[string]bool
	ack            map[string]bool
	maxClasses     int
}

func reviewSettingsOf(ctx context.Context, o types.Object, diags *diag.Diagnostics) reviewSettings {
	s := reviewSettings{failOn: map[string]bool{"weakened": true}, warnOn: map[string]bool{}, ack: map[string]bool{}}
	for _, k := range changeKindNames {
		s.warnOn[k] = true
	}
	if o.IsUnknown() {
		return s
	}
	if o.IsNull() {
		return s
	}
	var m accessReviewModel
	diags.Append(o.As(ctx, &m, basetypes.ObjectAsOptions{})...)
	if !fullyKnown(m.FailOn, m.WarnOn, m.Acknowledge, m.MaxClasses) {
		return s
	}
	if !m.FailOn.IsNull() {
		s.failOn = map[string]bool{}
		for _, k := range stringsOf(ctx, m.FailOn, diags) {
			s.failOn[k] = true
		}
	}
	if !m.WarnOn.IsNull() {
		s.warnOn = map[string]bool{}
		for _, k := range stringsOf(ctx, m.WarnOn, diags) {
			s.warnOn[k] = true
		}
	}
	for _, k := range stringsOf(ctx, m.Acknowledge, diags) {
		s.ack[k] = true
	}
	if !m.MaxClasses.IsNull() {
		s.maxClasses = int(m.MaxClasses.ValueInt64())
	}
	return s
}

// maxReviewDiagnostics bounds the per-change diagnostics of one plan.
const maxReviewDiagnostics = 40

// reviewAccess diffs before and after, reports each change as the settings
// say (at attribute p) and returns access_changes.
func reviewAccess(ctx context.Context, before, after *hba.Matcher, s reviewSettings, p path.Path, diags *diag.Diagnostics) (types.List, *hba.AccessDiff, bool) {
	d, err := hba.DiffAccess(before, after, hba.DiffOptions{MaxClasses: s.maxClasses})
	if err == nil {
		kinds := map[string]int{}
		for _, c := range d.Changes {
			kinds[string(c.Change)]++
		}
		tflog.Debug(logCtx(ctx, "hba_access_diff"), "computed pg_hba access diff", map[string]any{
			"classes": d.Classes, "unchanged": d.Unchanged, "changes": kinds,
		})
	}
	if err != nil {
		diags.AddAttributeError(p, "Cannot compute the pg_hba access diff", err.Error()+
			" (the review is not skipped silently: raise access_review.max_classes)")
		return types.ListNull(types.ObjectType{AttrTypes: accessChangeAttrTypes}), nil, false
	}
	shown, eligible := 0, 0
	for _, c := range d.Changes {
		kind := string(c.Change)
		fails := s.failOn[kind] && !s.ack[c.ID]
		if !fails && !s.warnOn[kind] {
			continue
		}
		eligible++
		if shown >= maxReviewDiagnostics && !fails {
			continue
		}
		shown++
		summary := fmt.Sprintf("pg_hba access %s (%s)", kind, c.ID)
		detail := changeDetail(c)
		switch {
		case fails:
			diags.AddAttributeError(p, summary, detail+fmt.Sprintf("\n\n%s changes fail this plan (access_review.fail_on). If it is intended, add %q to access_review.acknowledge.", kind, c.ID))
		case s.ack[c.ID]:
			diags.AddAttributeWarning(p, summary+", acknowledged", detail)
		default:
			diags.AddAttributeWarning(p, summary, detail)
		}
	}
	if rest := eligible - shown; rest > 0 {
		diags.AddAttributeWarning(p, "pg_hba access changes not shown", fmt.Sprintf("%d more changes (see access_changes); %d classes examined, %d unchanged.", rest, d.Classes, d.Unchanged))
	}
	for id := range s.ack {
		found := false
		for _, c := range d.Changes {
			if c.ID == id {
				found = true
			}
		}
		if !found {
			diags.AddAttributeWarning(p, "Stale acknowledgement", fmt.Sprintf("%s matches no change of this plan; remove it from access_review.acknowledge.", id))
		}
	}
	return accessChangesList(d.Changes, diags), d, true
}

// changeDetail is the plan message of one change.
func changeDetail(c hba.AccessChange) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s.\n", c.Change, c.Reason)
	fmt.Fprintf(&b, "Who: %s.\n", c.Who())
	fmt.Fprintf(&b, "Before: %s", c.Before)
	if c.Before.Rule != "" {
		fmt.Fprintf(&b, "  `%s`", c.Before.Rule)
	}
	fmt.Fprintf(&b, "\nAfter:  %s", c.After)
	if c.After.Rule != "" {
		fmt.Fprintf(&b, "  `%s`", c.After.Rule)
	}
	return b.String()
}

func accessChangesList(changes []hba.AccessChange, diags *diag.Diagnostics) types.List {
	elems := make([]attr.Value, 0, len(changes))
	for _, c := range changes {
		nets := make([]string, len(c.Networks))
		for i, n := range c.Networks {
			nets[i] = n.String()
		}
		obj, d := types.ObjectValue(accessChangeAttrTypes, map[string]attr.Value{
			"id": types.StringValue(c.ID), "change": types.StringValue(string(c.Change)),
			"connection": types.StringValue(c.Connection), "replication": types.BoolValue(c.Replication),
			"databases": stringList(nonNil(c.Databases)), "users": stringList(nonNil(c.Users)),
			"networks": stringList(nets), "conditions": stringList(nonNil(c.Conditions)),
			"classes":     types.Int64Value(int64(c.Classes)),
			"before_line": types.Int64Value(int64(c.Before.Line)), "before": types.StringValue(c.Before.String()),
			"before_rule": types.StringValue(c.Before.Rule),
			"after_line":  types.Int64Value(int64(c.After.Line)), "after": types.StringValue(c.After.String()),
			"after_rule": types.StringValue(c.After.Rule),
			"reason":     types.StringValue(c.Reason),
		})
		diags.Append(d...)
		elems = append(elems, obj)
	}
	l, d := types.ListValue(types.ObjectType{AttrTypes: accessChangeAttrTypes}, elems)
	diags.Append(d...)
	return l
}

// accessChangesMap is the list keyed by change id (pgtls_hba_file shows a
// plan diff of it: a map renders added and removed changes whole).
func accessChangesMap(l types.List, diags *diag.Diagnostics) types.Map {
	elems := map[string]attr.Value{}
	for _, e := range l.Elements() {
		if o, ok := e.(types.Object); ok {
			if id, ok := o.Attributes()["id"].(types.String); ok {
				elems[id.ValueString()] = o
			}
		}
	}
	m, d := types.MapValue(types.ObjectType{AttrTypes: accessChangeAttrTypes}, elems)
	diags.Append(d...)
	return m
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// filesOf reads a map of @file contents.
func filesOf(m types.Map) map[string]string {
	if m.IsNull() || m.IsUnknown() {
		return nil
	}
	out := map[string]string{}
	keys := make([]string, 0)
	for k, v := range m.Elements() {
		if s, ok := v.(types.String); ok {
			out[k] = s.ValueString()
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return out
}
