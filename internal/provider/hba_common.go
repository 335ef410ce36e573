package provider

// Shared schema and conversion for pg_hba rules and pg_ident maps: the
// pgtls_hba_rule resource, the rules of pgtls_hba_file and the ident maps of
// pgtls_ident_map / pgtls_ident_file use the same attributes, so a resource
// object can be passed where an inline object is expected.

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pgtls/terraform-provider-pgtls/internal/hba"
)

// hbaRuleModel is one pg_hba line as attributes.
type hbaRuleModel struct {
	Type       types.String `tfsdk:"type"`
	Databases  types.List   `tfsdk:"databases"`
	Users      types.List   `tfsdk:"users"`
	Address    types.String `tfsdk:"address"`
	Netmask    types.String `tfsdk:"netmask"`
	Method     types.String `tfsdk:"method"`
	ClientCert types.String `tfsdk:"clientcert"`
	ClientName types.String `tfsdk:"clientname"`
	Map        types.String `tfsdk:"map"`
	Options    types.Map    `tfsdk:"options"`
	Secrets    types.Map    `tfsdk:"secret_options"`
	Comment    types.String `tfsdk:"comment"`
}

func enumStrings[T ~string](vals []T) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = string(v)
	}
	return out
}

// hbaRuleAttributes returns the attributes of one rule. nested is true for
// the elements of pgtls_hba_file.rules, where requiredness is checked in code
// so that whole pgtls_hba_rule objects (with their extra computed
// attributes) can be passed.
func hbaRuleAttributes(nested bool) map[string]schema.Attribute {
	req := !nested
	return map[string]schema.Attribute{
		"type": schema.StringAttribute{
			MarkdownDescription: "Connection type: " + backtickList(enumStrings(hba.ConnTypes)) + ". `host` matches TLS " +
				"and plain TCP, `hostssl` only TLS, `hostnossl` only plain TCP.",
			Required:   req,
			Optional:   !req,
			Validators: []validator.String{stringvalidator.OneOf(enumStrings(hba.ConnTypes)...)},
		},
		"databases": schema.ListAttribute{
			MarkdownDescription: "Databases, as pg_hba.conf tokens: the keywords `all`, `sameuser`, `samerole`, " +
				"`replication` (`all` does not match replication connections), plain names, `@file`, and from " +
				"PostgreSQL 16 `/regex`. A database literally named like a keyword is written quoted, as in " +
				"pg_hba.conf: `\"\\\"all\\\"\"`. Defaults to `[\"all\"]`.",
			ElementType: types.StringType,
			Optional:    true,
		},
		"users": schema.ListAttribute{
			MarkdownDescription: "Roles, as pg_hba.conf tokens: `all`, `+group` (members of group), plain names, " +
				"`@file`, and from PostgreSQL 16 `/regex`. A role literally named `all` is written `\"\\\"all\\\"\"`. " +
				"Defaults to `[\"all\"]`.",
			ElementType: types.StringType,
			Optional:    true,
		},
		"address": schema.StringAttribute{
			MarkdownDescription: "Client address: a CIDR (`10.0.0.0/8`, `fd00::/8`), an IP with a separate `netmask`, " +
				"a host name, a `.suffix`, or `all`, `samehost`, `samenet`. Required for every type except `local`, " +
				"where it must be absent.",
			Optional: true,
		},
		"netmask": schema.StringAttribute{
			MarkdownDescription: "Netmask for an `address` given as a bare IP address.",
			Optional:            true,
		},
		"method": schema.StringAttribute{
			MarkdownDescription: "Authentication method: " + backtickList(enumStrings(hba.Methods)) + ".",
			Required:            req,
			Optional:            !req,
			Validators:          []validator.String{stringvalidator.OneOf(enumStrings(hba.Methods)...)},
		},
		"clientcert": schema.StringAttribute{
			MarkdownDescription: "`verify-ca` or `verify-full`: also require a valid client certificate (hostssl " +
				"only). With `cert` it is implied and may only be `verify-full`.",
			Optional:   true,
			Validators: []validator.String{stringvalidator.OneOf("verify-ca", "verify-full")},
		},
		"clientname": schema.StringAttribute{
			MarkdownDescription: "`CN` (default) or `DN`: which part of the client certificate `cert` and " +
				"`clientcert=verify-full` compare with the role (DN in RFC 2253 form, see `pgtls_client_cert.subject_dn`).",
			Optional:   true,
			Validators: []validator.String{stringvalidator.OneOf("CN", "DN")},
		},
		"map": schema.StringAttribute{
			MarkdownDescription: "Name of a `pg_ident.conf` map translating the authenticated identity to roles " +
				"(ident, peer, gss, sspi, cert, oauth).",
			Optional: true,
		},
		"options": schema.MapAttribute{
			MarkdownDescription: "Other method options by name (`ldapserver`, `ldapbasedn`, `radiusservers`, " +
				"`pamservice`, `include_realm`, `krb_realm`, `issuer`, `scope`, ...). Rendered in name order. Which " +
				"option is legal with which method follows PostgreSQL's hba.c. Options that hold a secret (" +
				backtickList(hba.SensitiveOptions()) + ") are refused here: give them in `secret_options`.",
			ElementType: types.StringType,
			Optional:    true,
		},
		"secret_options": schema.MapAttribute{
			MarkdownDescription: "Options whose value is a secret, by name: " + backtickList(hba.SensitiveOptions()) +
				" must be given here, and any other option may be (its value is then masked like a secret). Always " +
				"sensitive: plans, ids, `line` and `content` show `(sensitive)` in place of each value; only the " +
				"sensitive outputs (`sensitive_line`, `sensitive_content`) hold it, in clear text as PostgreSQL " +
				"requires. Rendered in name order together with `options`.",
			ElementType: types.StringType,
			Optional:    true,
			Sensitive:   true,
		},
		"comment": schema.StringAttribute{
			MarkdownDescription: "Comment rendered after the rule (`# ...`).",
			Optional:            true,
		},
	}
}

// rule converts the attributes into the domain rule. known is false while
// any input is unknown. Problems are reported against base.
func (m *hbaRuleModel) rule(ctx context.Context) (hba.Rule, []hba.Problem, bool) {
	if !fullyKnown(m.Type, m.Databases, m.Users, m.Address, m.Netmask, m.Method, m.ClientCert,
		m.ClientName, m.Map, m.Options, m.Secrets, m.Comment) {
		return hba.Rule{}, nil, false
	}
	var probs []hba.Problem
	if m.Type.IsNull() {
		probs = append(probs, hba.Problem{Field: "type", Message: "is required"})
	}
	if m.Method.IsNull() {
		probs = append(probs, hba.Problem{Field: "method", Message: "is required"})
	}
	list := func(l types.List) []string {
		if l.IsNull() {
			return []string{"all"}
		}
		var out []string
		for _, e := range l.Elements() {
			if s, ok := e.(types.String); ok {
				out = append(out, s.ValueString())
			}
		}
		return out
	}
	dbs, p := hba.ParseDatabases("databases", list(m.Databases))
	probs = append(probs, p...)
	users, p := hba.ParseUsers("users", list(m.Users))
	probs = append(probs, p...)
	r := hba.Rule{
		Type:       hba.ConnType(m.Type.ValueString()),
		Databases:  dbs,
		Users:      users,
		Address:    m.Address.ValueString(),
		Netmask:    m.Netmask.ValueString(),
		Method:     hba.Method(m.Method.ValueString()),
		ClientCert: m.ClientCert.ValueString(),
		ClientName: m.ClientName.ValueString(),
		Map:        m.Map.ValueString(),
		Comment:    m.Comment.ValueString(),
	}
	r.Options, p = hba.OptionsFromMaps(stringMap(m.Options), stringMap(m.Secrets))
	probs = append(probs, p...)
	return r, probs, true
}

// stringMap returns the known elements of a map of strings (nil when null).
func stringMap(m types.Map) map[string]string {
	if m.IsNull() || m.IsUnknown() {
		return nil
	}
	out := make(map[string]string, len(m.Elements()))
	for k, v := range m.Elements() {
		if s, ok := v.(types.String); ok && !s.IsUnknown() && !s.IsNull() {
			out[k] = s.ValueString()
		}
	}
	return out
}

var fieldIndex = regexp.MustCompile(`^([a-z_]+)(?:\[(\d+)\])?$`)

// problemPath maps a domain problem field ("databases[2]",
// "options.ldapserver", "mappings[1].system_user") below base.
func problemPath(base path.Path, field string) path.Path {
	p := base
	if field == "" {
		return p
	}
	parts := strings.Split(field, ".")
	for i := 0; i < len(parts); i++ {
		part := parts[i]
		if (part == "options" || part == "secret_options") && i+1 < len(parts) {
			return p.AtName(part).AtMapKey(strings.Join(parts[i+1:], "."))
		}
		mm := fieldIndex.FindStringSubmatch(part)
		if mm == nil {
			return p
		}
		p = p.AtName(mm[1])
		if mm[2] != "" {
			n, _ := strconv.Atoi(mm[2])
			p = p.AtListIndex(n)
		}
	}
	return p
}

// rootPath is path.Root for the first element, for problems at the top.
func rootPath(field string) path.Path {
	parts := strings.SplitN(field, ".", 2)
	mm := fieldIndex.FindStringSubmatch(parts[0])
	if mm == nil {
		return path.Empty()
	}
	p := path.Root(mm[1])
	if mm[2] != "" {
		n, _ := strconv.Atoi(mm[2])
		p = p.AtListIndex(n)
	}
	if len(parts) == 2 {
		if mm[1] == "options" || mm[1] == "secret_options" {
			return p.AtMapKey(parts[1])
		}
		return problemPath(p, parts[1])
	}
	return p
}

func addHBAProblems(base *path.Path, probs []hba.Problem, summary string, diags *diag.Diagnostics) {
	for _, pr := range probs {
		var p path.Path
		if base == nil {
			p = rootPath(pr.Field)
		} else {
			p = problemPath(*base, pr.Field)
		}
		diags.AddAttributeError(p, summary, pr.String())
	}
}

func versionAttribute() schema.Int64Attribute {
	return schema.Int64Attribute{
		MarkdownDescription: "PostgreSQL major version (13 to 18) the content is checked against. Defaults to the " +
			"provider's `postgres_version` (itself `15` by default).",
		Optional:   true,
		Validators: []validator.Int64{int64validator.Between(hba.MinVersion, hba.MaxVersion)},
	}
}

// versionOf resolves a resource's postgres_version.
func versionOf(v types.Int64, data *providerData) int {
	if v.IsNull() || v.IsUnknown() {
		return int(data.postgresVersion)
	}
	return int(v.ValueInt64())
}

// identMappingModel is one line of a pg_ident map.
type identMappingModel struct {
	SystemUser   types.String `tfsdk:"system_user"`
	DatabaseUser types.String `tfsdk:"database_user"`
	Comment      types.String `tfsdk:"comment"`
}

var identMappingAttrTypes = map[string]attr.Type{
	"system_user":   types.StringType,
	"database_user": types.StringType,
	"comment":       types.StringType,
}

func identMappingsAttribute(nested bool) schema.ListNestedAttribute {
	return schema.ListNestedAttribute{
		MarkdownDescription: "Mappings, in order (PostgreSQL uses the first that matches).",
		Required:            !nested,
		Optional:            nested,
		NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"system_user": schema.StringAttribute{
				MarkdownDescription: "Authenticated identity (certificate CN or DN, OS user, Kerberos principal). A " +
					"leading `/` makes it a regular expression; `\\\\1` in `database_user` is its first capture group.",
				Required: true,
			},
			"database_user": schema.StringAttribute{
				MarkdownDescription: "Role the identity may log in as. From PostgreSQL 16 also `all`, `+group` or `/regex`.",
				Required:            true,
			},
			"comment": schema.StringAttribute{Optional: true, MarkdownDescription: "Comment rendered after the mapping."},
		}},
	}
}

// identMap converts a map name and its mappings; known is false while any
// input is unknown.
func identMapOf(ctx context.Context, name types.String, mappings types.List, diags *diag.Diagnostics) (hba.IdentMap, bool) {
	if name.IsUnknown() || mappings.IsUnknown() {
		return hba.IdentMap{}, false
	}
	var ms []identMappingModel
	if !mappings.IsNull() {
		diags.Append(mappings.ElementsAs(ctx, &ms, false)...)
	}
	out := hba.IdentMap{Name: name.ValueString()}
	for _, m := range ms {
		if m.SystemUser.IsUnknown() || m.DatabaseUser.IsUnknown() || m.Comment.IsUnknown() {
			return hba.IdentMap{}, false
		}
		out.Mappings = append(out.Mappings, hba.IdentMapping{
			SystemUser:   m.SystemUser.ValueString(),
			DatabaseUser: m.DatabaseUser.ValueString(),
			Comment:      m.Comment.ValueString(),
		})
	}
	return out, true
}

// identMapModel is a map as an object (pgtls_ident_map resource or inline).
type identMapModel struct {
	Name     types.String `tfsdk:"name"`
	Mappings types.List   `tfsdk:"mappings"`
}

func identMapsAttribute(desc string) schema.ListNestedAttribute {
	return schema.ListNestedAttribute{
		MarkdownDescription: desc,
		Optional:            true,
		NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"name":     schema.StringAttribute{Optional: true, MarkdownDescription: "Map name (`map=` in pg_hba.conf)."},
			"mappings": identMappingsAttribute(true),
		}},
	}
}

// identMapsOf converts a list of map objects.
func identMapsOf(ctx context.Context, l types.List, diags *diag.Diagnostics) ([]hba.IdentMap, bool) {
	if l.IsUnknown() {
		return nil, false
	}
	if l.IsNull() {
		return nil, true
	}
	var ms []identMapModel
	diags.Append(l.ElementsAs(ctx, &ms, false)...)
	var out []hba.IdentMap
	for _, m := range ms {
		im, ok := identMapOf(ctx, m.Name, m.Mappings, diags)
		if !ok {
			return nil, false
		}
		out = append(out, im)
	}
	return out, true
}
