package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pgtls/terraform-provider-pgtls/internal/hba"
)

type hbaParseDataSource struct{ data *providerData }

var _ datasource.DataSourceWithConfigure = (*hbaParseDataSource)(nil)

// NewHBAParseDataSource is the pgtls_hba_parse data source.
func NewHBAParseDataSource() datasource.DataSource { return &hbaParseDataSource{} }

type hbaParseModel struct {
	hbaParsePolicyFields
	Content         types.String `tfsdk:"content"`
	IdentContent    types.String `tfsdk:"ident_content"`
	PostgresVersion types.Int64  `tfsdk:"postgres_version"`
	Rules           types.List   `tfsdk:"rules"`
	Directives      types.List   `tfsdk:"directives"`
	Problems        types.List   `tfsdk:"problems"`
	Findings        types.List   `tfsdk:"findings"`
}

var parsedRuleAttrTypes = map[string]attr.Type{
	"line_number":    types.Int64Type,
	"type":           types.StringType,
	"databases":      types.ListType{ElemType: types.StringType},
	"users":          types.ListType{ElemType: types.StringType},
	"address":        types.StringType,
	"netmask":        types.StringType,
	"method":         types.StringType,
	"clientcert":     types.StringType,
	"clientname":     types.StringType,
	"map":            types.StringType,
	"options":        types.MapType{ElemType: types.StringType},
	"secret_options": types.MapType{ElemType: types.StringType},
	"comment":        types.StringType,
	"effective":      types.ObjectType{AttrTypes: effectiveAttrTypes},
}

var effectiveAttrTypes = map[string]attr.Type{
	"method":  types.StringType,
	"options": types.MapType{ElemType: types.StringType},
}

// Files named in directives, problems and findings.
const (
	hbaFileName   = "pg_hba.conf"
	identFileName = "pg_ident.conf"
)

var parsedDirectiveAttrTypes = map[string]attr.Type{
	"file": types.StringType, "line_number": types.Int64Type, "kind": types.StringType, "path": types.StringType,
}

type parsedDirective struct {
	File       types.String `tfsdk:"file"`
	LineNumber types.Int64  `tfsdk:"line_number"`
	Kind       types.String `tfsdk:"kind"`
	Path       types.String `tfsdk:"path"`
}

var parsedProblemAttrTypes = map[string]attr.Type{
	"file": types.StringType, "line_number": types.Int64Type, "field": types.StringType, "message": types.StringType,
}

type parsedProblem struct {
	File       types.String `tfsdk:"file"`
	LineNumber types.Int64  `tfsdk:"line_number"`
	Field      types.String `tfsdk:"field"`
	Message    types.String `tfsdk:"message"`
}

var parsedFindingAttrTypes = map[string]attr.Type{
	"file": types.StringType, "line_number": types.Int64Type, "code": types.StringType, "severity": types.StringType,
	"rule_index": types.Int64Type, "other_rule_index": types.Int64Type, "message": types.StringType,
}

type parsedFinding struct {
	File           types.String `tfsdk:"file"`
	LineNumber     types.Int64  `tfsdk:"line_number"`
	Code           types.String `tfsdk:"code"`
	Severity       types.String `tfsdk:"severity"`
	RuleIndex      types.Int64  `tfsdk:"rule_index"`
	OtherRuleIndex types.Int64  `tfsdk:"other_rule_index"`
	Message        types.String `tfsdk:"message"`
}

func (d *hbaParseDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_hba_parse"
}

func (d *hbaParseDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	str := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	num := func(desc string) schema.Int64Attribute {
		return schema.Int64Attribute{Computed: true, MarkdownDescription: desc}
	}
	file := str("`" + hbaFileName + "` (from `content`) or `" + identFileName + "` (from `ident_content`).")
	resp.Schema = schema.Schema{
		MarkdownDescription: "Parses an existing, hand-written `pg_hba.conf` the way PostgreSQL reads it (quoting, " +
			"comments, line continuations, what C string handling does with a NUL byte) into rules, problems and " +
			"findings, so a team can lint what it runs today before moving it into `pgtls_hba_file`. The `rules` " +
			"elements can be passed to `pgtls_hba_file.rules` as they are. Every line PostgreSQL reads ends up in " +
			"`rules`, `problems` or `findings`: include directives, which are not followed, are listed in " +
			"`directives` and reported as `include_not_followed` findings (the adopted rules are incomplete).",
		Attributes: map[string]schema.Attribute{
			"content": schema.StringAttribute{Required: true, Sensitive: true, MarkdownDescription: "The pg_hba.conf " +
				"text. Sensitive, because a pg_hba.conf may hold secrets (" + backtickList(hba.SensitiveOptions()) + ")."},
			"ident_content": schema.StringAttribute{Optional: true, MarkdownDescription: "The matching pg_ident.conf text, so `map=` references are checked."},
			"postgres_version": schema.Int64Attribute{
				Optional:            true,
				MarkdownDescription: "PostgreSQL major version that reads the file. Defaults to the provider's `postgres_version`.",
				Validators:          []validator.Int64{int64validator.Between(hba.MinVersion, hba.MaxVersion)},
			},
			"rules": schema.ListNestedAttribute{
				Computed:  true,
				Sensitive: true,
				MarkdownDescription: "Every line that parses as a rule, in file order, with its effective values. Rules " +
					"PostgreSQL would refuse are also listed in `problems` (same `line_number`). " + sensitiveRulesNote +
					" Here: `findings`, `problems` and `directives` are not sensitive.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"line_number": num("Line the rule starts on."),
					"type":        str("Connection type."),
					"databases":   schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "Databases, as tokens (quoted literals keep their quotes)."},
					"users":       schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "Users, as tokens."},
					"address":     str("Address."),
					"netmask":     str("Netmask, when the address is a bare IP."),
					"method":      str("Authentication method."),
					"clientcert":  str("clientcert option."),
					"clientname":  str("clientname option."),
					"map":         str("map option."),
					"options":     schema.MapAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "Other options, except those holding a secret."},
					"secret_options": schema.MapAttribute{Computed: true, ElementType: types.StringType,
						MarkdownDescription: "Options holding a secret (" + backtickList(hba.SensitiveOptions()) + "), sensitive with `rules`."},
					"comment": str("Trailing comment."),
					"effective": schema.SingleNestedAttribute{
						Computed: true,
						MarkdownDescription: "What PostgreSQL makes of the rule, as `pg_hba_file_rules` shows it (the " +
							"written form above is what `pgtls_hba_file` renders): `local ... ident` is `peer`, `cert` " +
							"implies `clientcert=verify-full`, `gss`/`sspi` imply `include_realm=true`, `ldap` has an " +
							"`ldapscope`, and an `ldapurl` is split into `ldapserver`, `ldapport`, `ldapscheme`, " +
							"`ldapbasedn`, `ldapsearchattribute`, `ldapsearchfilter` and `ldapscope`. Checked against " +
							"PostgreSQL 13 to 18. An `oauth` rule without `validator` uses the server's single " +
							"`oauth_validator_libraries` entry, which only the server knows.",
						Attributes: map[string]schema.Attribute{
							"method": str("The method PostgreSQL uses."),
							"options": schema.MapAttribute{Computed: true, ElementType: types.StringType,
								MarkdownDescription: "Every option in effect, by name, as `pg_hba_file_rules.options` lists them " +
									"(booleans as `true`), except those holding a secret."},
						},
					},
				}},
			},
			"directives": schema.ListNestedAttribute{
				Computed: true,
				MarkdownDescription: "`include`, `include_if_exists` and `include_dir` lines (PostgreSQL 16+), in file order. " +
					"The files they name are not read: the rules they hold are missing from `rules`.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"file":        file,
					"line_number": num("Line of the directive."),
					"kind":        str("`include`, `include_if_exists` or `include_dir`."),
					"path":        str("The file or directory named (relative paths are relative to the including file's directory)."),
				}},
			},
			"problems": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "Lines PostgreSQL would refuse, with its wording where it has one.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"file":        file,
					"line_number": num("Line number."),
					"field":       str("Field of the rule at fault."),
					"message":     str("What is wrong."),
				}},
			},
			"findings": schema.ListNestedAttribute{
				Computed: true,
				MarkdownDescription: "Lint findings on the parsed rules (`rule_index` indexes `rules`) and on the files " +
					"(`include_not_followed`, `nul_byte`), in line order.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"file":             file,
					"line_number":      num("Line the finding is about (0 for findings about ident maps as a whole)."),
					"code":             str("Finding code: " + backtickList(hba.Codes()) + "."),
					"severity":         str("`error`, `warning` or `info`."),
					"rule_index":       num("Index in `rules`, or -1."),
					"other_rule_index": num("Related rule or -1."),
					"message":          str("What is wrong."),
				}},
			},
		},
	}
	addAttributesDS(resp.Schema.Attributes, hbaPolicyAttributesDS())
}

func (d *hbaParseDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, _ *datasource.ConfigureResponse) {
	d.data = configuredData(req.ProviderData)
}

func (d *hbaParseDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m hbaParseModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	version := versionOf(m.PostgresVersion, d.data)
	pf, err := hba.Parse(m.Content.ValueString(), version)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("content"), "Cannot parse pg_hba.conf", err.Error())
		return
	}
	var pi hba.ParsedIdentFile
	identsKnown := !m.IdentContent.IsNull()
	if identsKnown {
		pi, err = hba.ParseIdent(m.IdentContent.ValueString(), version)
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("ident_content"), "Cannot parse pg_ident.conf", err.Error())
			return
		}
	}
	m.setParsed(ctx, pf, pi, identsKnown, &resp.Diagnostics)
	tflog.Debug(logCtx(ctx, "hba_parse"), "parsed pg_hba file", map[string]any{
		"postgres_version": version, "rules": len(pf.Rules), "directives": len(pf.Directives), "problems": len(pf.Problems),
		"ident_maps": len(pi.Maps), "findings": len(m.Findings.Elements()),
	})
	parsePolicy(ctx, m.Content.ValueString(), version, m.IdentContent, &m.hbaParsePolicyFields, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// setParsed maps the parsed files to the outputs.
func (m *hbaParseModel) setParsed(ctx context.Context, pf hba.ParsedFile, pi hba.ParsedIdentFile, identsKnown bool, diags *diag.Diagnostics) {
	elems := make([]attr.Value, len(pf.Rules))
	for i, pr := range pf.Rules {
		elems[i] = parsedRuleObject(pr, pf.Version, diags)
	}
	var d diag.Diagnostics
	m.Rules, d = types.ListValue(types.ObjectType{AttrTypes: parsedRuleAttrTypes}, elems)
	diags.Append(d...)

	directives := []parsedDirective{}
	for _, x := range []struct {
		file string
		ds   []hba.Directive
	}{{hbaFileName, pf.Directives}, {identFileName, pi.Directives}} {
		for _, dr := range x.ds {
			directives = append(directives, parsedDirective{File: types.StringValue(x.file),
				LineNumber: types.Int64Value(int64(dr.Line)), Kind: types.StringValue(dr.Kind), Path: types.StringValue(dr.Path)})
		}
	}
	m.Directives, d = types.ListValueFrom(ctx, types.ObjectType{AttrTypes: parsedDirectiveAttrTypes}, directives)
	diags.Append(d...)

	problems := []parsedProblem{}
	for _, x := range []struct {
		file  string
		probs []hba.Problem
	}{{hbaFileName, pf.Problems}, {identFileName, pi.Problems}} {
		for _, p := range x.probs {
			problems = append(problems, parsedProblem{File: types.StringValue(x.file), LineNumber: types.Int64Value(int64(p.Line)),
				Field: types.StringValue(p.Field), Message: types.StringValue(p.String())})
		}
	}
	m.Problems, d = types.ListValueFrom(ctx, types.ObjectType{AttrTypes: parsedProblemAttrTypes}, problems)
	diags.Append(d...)

	findings := []parsedFinding{}
	add := func(file string, fs []hba.Finding) {
		for _, f := range fs {
			findings = append(findings, parsedFinding{File: types.StringValue(file), LineNumber: types.Int64Value(int64(f.Line)),
				Code: types.StringValue(f.Code), Severity: types.StringValue(string(f.Severity)),
				RuleIndex: types.Int64Value(int64(f.RuleIndex)), OtherRuleIndex: types.Int64Value(int64(f.OtherRuleIndex)),
				Message: types.StringValue(f.Message)})
		}
	}
	add(hbaFileName, pf.Lint(pi.Maps, hba.LintOptions{Target: hba.TargetPostgreSQL, Version: pf.Version,
		IdentMapsUnknown: !identsKnown, IdentMapsIncomplete: len(pi.Directives) > 0}))
	add(identFileName, pi.Findings)
	m.Findings, d = types.ListValueFrom(ctx, types.ObjectType{AttrTypes: parsedFindingAttrTypes}, findings)
	diags.Append(d...)
}

func parsedRuleObject(pr hba.ParsedRule, version int, diags *diag.Diagnostics) attr.Value {
	r := pr.Rule
	names := func(ns []hba.Name) types.List {
		out := make([]string, len(ns))
		for i, n := range ns {
			out[i] = n.String()
		}
		return stringList(out)
	}
	opts, secrets := map[string]attr.Value{}, map[string]attr.Value{}
	for _, o := range r.Options {
		if o.IsSecret() {
			secrets[o.Name] = types.StringValue(o.Value)
		} else {
			opts[o.Name] = types.StringValue(o.Value)
		}
	}
	optMap, d := types.MapValue(types.StringType, opts)
	diags.Append(d...)
	secretMap, d := types.MapValue(types.StringType, secrets)
	diags.Append(d...)
	eff := r.Effective(version)
	effOpts := map[string]attr.Value{}
	for _, o := range eff.Options {
		if !o.IsSecret() {
			effOpts[o.Name] = types.StringValue(o.Value)
		}
	}
	effMap, d := types.MapValue(types.StringType, effOpts)
	diags.Append(d...)
	effObj, d := types.ObjectValue(effectiveAttrTypes, map[string]attr.Value{
		"method": types.StringValue(string(eff.Method)), "options": effMap,
	})
	diags.Append(d...)
	nullIfEmpty := func(s string) types.String {
		if s == "" {
			return types.StringNull()
		}
		return types.StringValue(s)
	}
	obj, d := types.ObjectValue(parsedRuleAttrTypes, map[string]attr.Value{
		"line_number":    types.Int64Value(int64(pr.Line)),
		"type":           types.StringValue(string(r.Type)),
		"databases":      names(r.Databases),
		"users":          names(r.Users),
		"address":        nullIfEmpty(r.Address),
		"netmask":        nullIfEmpty(r.Netmask),
		"method":         types.StringValue(string(r.Method)),
		"clientcert":     nullIfEmpty(r.ClientCert),
		"clientname":     nullIfEmpty(r.ClientName),
		"map":            nullIfEmpty(r.Map),
		"options":        optMap,
		"secret_options": secretMap,
		"comment":        nullIfEmpty(r.Comment),
		"effective":      effObj,
	})
	diags.Append(d...)
	return obj
}
