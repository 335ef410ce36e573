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

	"github.com/pgtls/terraform-provider-pgtls/internal/hba"
)

type hbaParseDataSource struct{ data *providerData }

var _ datasource.DataSourceWithConfigure = (*hbaParseDataSource)(nil)

// NewHBAParseDataSource is the pgtls_hba_parse data source.
func NewHBAParseDataSource() datasource.DataSource { return &hbaParseDataSource{} }

type hbaParseModel struct {
	Content         types.String `tfsdk:"content"`
	IdentContent    types.String `tfsdk:"ident_content"`
	PostgresVersion types.Int64  `tfsdk:"postgres_version"`
	Rules           types.List   `tfsdk:"rules"`
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
}

var problemAttrTypes = map[string]attr.Type{
	"line_number": types.Int64Type,
	"field":       types.StringType,
	"message":     types.StringType,
}

func (d *hbaParseDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_hba_parse"
}

func (d *hbaParseDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	str := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Parses an existing, hand-written `pg_hba.conf` the way PostgreSQL reads it (quoting, " +
			"comments, line continuations) into rules, problems and lint findings, so a team can lint what it runs " +
			"today before moving it into `pgtls_hba_file`. The `rules` elements can be passed to " +
			"`pgtls_hba_file.rules` as they are.",
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
				Computed:            true,
				MarkdownDescription: "Every line that parses as a rule, in file order. Rules PostgreSQL would refuse are also listed in `problems` (same `line_number`).",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"line_number": schema.Int64Attribute{Computed: true, MarkdownDescription: "Line the rule starts on."},
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
					"secret_options": schema.MapAttribute{Computed: true, Sensitive: true, ElementType: types.StringType,
						MarkdownDescription: "Options holding a secret (" + backtickList(hba.SensitiveOptions()) + "). Always sensitive."},
					"comment": str("Trailing comment."),
				}},
			},
			"problems": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "Lines PostgreSQL would refuse, with its wording where it has one.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"line_number": schema.Int64Attribute{Computed: true, MarkdownDescription: "Line number."},
					"field":       str("Field of the rule at fault."),
					"message":     str("What is wrong."),
				}},
			},
			"findings": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "Lint findings on the parsed rules (`rule_index` indexes `rules`).",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"code":             str("Finding code."),
					"severity":         str("`error`, `warning` or `info`."),
					"rule_index":       schema.Int64Attribute{Computed: true, MarkdownDescription: "Index in `rules`."},
					"other_rule_index": schema.Int64Attribute{Computed: true, MarkdownDescription: "Related rule or -1."},
					"message":          str("What is wrong."),
				}},
			},
		},
	}
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
	var idents []hba.IdentMap
	identsKnown := !m.IdentContent.IsNull()
	var probs []hba.Problem
	if identsKnown {
		pi, err := hba.ParseIdent(m.IdentContent.ValueString(), version)
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("ident_content"), "Cannot parse pg_ident.conf", err.Error())
			return
		}
		idents = pi.Maps
		probs = append(probs, pi.Problems...)
	}
	probs = append(pf.Problems, probs...)

	rules := make([]hba.Rule, len(pf.Rules))
	elems := make([]attr.Value, len(pf.Rules))
	for i, pr := range pf.Rules {
		rules[i] = pr.Rule
		elems[i] = parsedRuleObject(pr, &resp.Diagnostics)
	}
	var diags diag.Diagnostics
	m.Rules, diags = types.ListValue(types.ObjectType{AttrTypes: parsedRuleAttrTypes}, elems)
	resp.Diagnostics.Append(diags...)

	pelems := make([]attr.Value, len(probs))
	for i, p := range probs {
		pelems[i], diags = types.ObjectValue(problemAttrTypes, map[string]attr.Value{
			"line_number": types.Int64Value(int64(p.Line)),
			"field":       types.StringValue(p.Field),
			"message":     types.StringValue(p.String()),
		})
		resp.Diagnostics.Append(diags...)
	}
	m.Problems, diags = types.ListValue(types.ObjectType{AttrTypes: problemAttrTypes}, pelems)
	resp.Diagnostics.Append(diags...)

	m.Findings = findingsList(hba.Lint(rules, idents, hba.LintOptions{
		Target: hba.TargetPostgreSQL, Version: version, IdentMapsUnknown: !identsKnown,
	}), &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func parsedRuleObject(pr hba.ParsedRule, diags *diag.Diagnostics) attr.Value {
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
	})
	diags.Append(d...)
	return obj
}
