package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pgtls/terraform-provider-pgtls/internal/hba"
)

type hbaFileModel struct {
	renderedFile
	hbaPolicyFields
	Rules           types.List   `tfsdk:"rules"`
	IdentMaps       types.List   `tfsdk:"ident_maps"`
	Target          types.String `tfsdk:"target"`
	PostgresVersion types.Int64  `tfsdk:"postgres_version"`
	Header          types.String `tfsdk:"header"`
	Lint            types.Object `tfsdk:"lint"`
	Findings        types.List   `tfsdk:"findings"`
}

type lintModel struct {
	FailOn types.List `tfsdk:"fail_on"`
	Ignore types.List `tfsdk:"ignore"`
}

var findingAttrTypes = map[string]attr.Type{
	"code":             types.StringType,
	"severity":         types.StringType,
	"rule_index":       types.Int64Type,
	"other_rule_index": types.Int64Type,
	"message":          types.StringType,
}

// lintCodes are the finding codes, from the domain package.
var lintCodes = hba.Codes()

// NewHBAFileResource is the pgtls_hba_file resource.
func NewHBAFileResource() resource.Resource {
	return withHBAPolicy(newRenderedResource("_hba_file", hbaFileSchema(), buildHBAFile).(*renderedResource[hbaFileModel]))
}

func findingsAttribute() schema.ListNestedAttribute {
	return schema.ListNestedAttribute{
		Computed:            true,
		MarkdownDescription: "Lint findings, known at plan time.",
		NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"code":     computedString("Stable finding code: " + backtickList(lintCodes) + "."),
			"severity": computedString("`error`, `warning` or `info`."),
			"rule_index": schema.Int64Attribute{Computed: true,
				MarkdownDescription: "0-based index of the rule in `rules` (-1 for findings about ident maps)."},
			"other_rule_index": schema.Int64Attribute{Computed: true,
				MarkdownDescription: "The related rule (for example the one that shadows this one), or -1."},
			"message": computedString("What is wrong, naming the rules involved."),
		}},
	}
}

func hbaFileSchema() schema.Schema {
	return schema.Schema{
		MarkdownDescription: "A whole `pg_hba.conf` (or PgBouncer `auth_hba_file`, or Pgpool-II `pool_hba.conf`) " +
			"rendered from rules in the given order (first match wins; never re-sorted). The content, its " +
			"checksum and the lint findings are known at plan time, so `terraform plan` shows the new file line " +
			"by line and fails on rules the target would refuse or that open a hole.",
		Attributes: mergeAttributes(renderedFileAttributes("pg_hba.conf"), hbaPolicyAttributesRS(), map[string]schema.Attribute{
			"rules": schema.ListNestedAttribute{
				MarkdownDescription: "The rules, in order: `pgtls_hba_rule` resources (`rules = [pgtls_hba_rule.a, " +
					"pgtls_hba_rule.b]`), inline objects with the same attributes, or both. " + sensitiveRulesNote,
				Required:     true,
				Sensitive:    true,
				NestedObject: schema.NestedAttributeObject{Attributes: hbaRuleAttributes(true)},
				Validators:   []validator.List{listvalidator.SizeAtLeast(1)},
			},
			"ident_maps": identMapsAttribute("The `pg_ident.conf` maps the server has (`pgtls_ident_map` resources or " +
				"inline objects): `map=` options naming no known map are a `missing_ident_map` finding. Leave unset " +
				"when pg_ident.conf is managed elsewhere."),
			"target": schema.StringAttribute{
				MarkdownDescription: "Program reading the file: `postgresql` (default), `pgbouncer` (1.18 " +
					"`auth_hba_file`: only local/host/hostssl/hostnossl, IP addresses, no options, methods trust, " +
					"reject, md5, password, peer, cert, scram-sha-256; PgBouncer silently drops lines it cannot " +
					"parse, so they are refused here) or `pgpool` (4.3 `pool_hba.conf`: no `+group`/`samerole`, no gssenc).",
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(string(hba.TargetPostgreSQL)),
				Validators: []validator.String{stringvalidator.OneOf("postgresql", "pgbouncer", "pgpool")},
			},
			"postgres_version": versionAttribute(),
			"header": schema.StringAttribute{
				MarkdownDescription: "Comment lines placed at the top of the file (each line gets a `# `).",
				Optional:            true,
			},
			"lint": schema.SingleNestedAttribute{
				MarkdownDescription: "Which findings fail the plan. By default findings of severity `error` fail it " +
					"and `warning` findings are shown as plan warnings.",
				Optional: true,
				Attributes: map[string]schema.Attribute{
					"fail_on": schema.ListAttribute{
						MarkdownDescription: "Severities that fail the plan. Defaults to `[\"error\"]`.",
						ElementType:         types.StringType,
						Optional:            true,
						Validators:          []validator.List{listvalidator.ValueStringsAre(stringvalidator.OneOf("error", "warning", "info"))},
					},
					"ignore": schema.ListAttribute{
						MarkdownDescription: "Finding codes to drop entirely.",
						ElementType:         types.StringType,
						Optional:            true,
						Validators:          []validator.List{listvalidator.ValueStringsAre(stringvalidator.OneOf(lintCodes...))},
					},
				},
			},
			"findings": findingsAttribute(),
		}),
	}
}

// buildHBAFile validates, renders and lints; ok is false while inputs are
// unknown or when the file is invalid (diagnostics say why). Every rule
// that is known is validated even while another one is unknown, so a
// refused rule fails the plan, not the apply.
func buildHBAFile(ctx context.Context, data *providerData, m *hbaFileModel, diags *diag.Diagnostics) bool {
	if m.Rules.IsUnknown() || m.Target.IsUnknown() || m.PostgresVersion.IsUnknown() {
		return false
	}
	target := hba.Target(m.Target.ValueString())
	version := versionOf(m.PostgresVersion, data)
	known := fullyKnown(m.Header, m.Lint, m.IdentMaps)
	if !m.Header.IsUnknown() {
		addHBAProblems(nil, hba.ValidateHeader(m.Header.ValueString()), "Invalid header", diags)
	}
	var rules []hba.Rule
	for i, e := range m.Rules.Elements() {
		obj, ok := e.(types.Object)
		if !ok || obj.IsUnknown() {
			known = false
			continue
		}
		rm, ok := hbaRuleModelOf(obj)
		if !ok {
			diags.AddAttributeError(path.Root("rules").AtListIndex(i), "Invalid pg_hba rule", "the rule object lacks attributes of a pg_hba rule")
			return false
		}
		rule, probs, ruleKnown := rm.rule()
		if !ruleKnown {
			known = false
			continue
		}
		if len(probs) == 0 {
			probs = rule.Validate(target, version)
		}
		base := path.Root("rules").AtListIndex(i)
		addHBAProblems(&base, probs, fmt.Sprintf("Invalid pg_hba rule %d for %s", i, target), diags)
		rules = append(rules, rule)
	}
	if !known || diags.HasError() {
		return false
	}
	idents, identsKnown := identMapsOf(ctx, m.IdentMaps, diags)
	if !identsKnown || diags.HasError() {
		return false
	}
	exact, err := hba.RenderFile(rules, m.Header.ValueString())
	if err == nil {
		var masked string
		masked, err = hba.RenderFileRedacted(rules, m.Header.ValueString())
		m.set(exact, masked)
	}
	if err != nil {
		diags.AddAttributeError(path.Root("rules"), "Cannot render pg_hba file", err.Error())
		return false
	}

	opts := hba.LintOptions{Target: target, Version: version, IdentMapsUnknown: m.IdentMaps.IsNull()}
	failOn := map[string]bool{"error": true}
	if !m.Lint.IsNull() {
		var lm lintModel
		diags.Append(m.Lint.As(ctx, &lm, basetypes.ObjectAsOptions{})...)
		opts.Ignore = stringsOf(ctx, lm.Ignore, diags)
		if !lm.FailOn.IsNull() {
			failOn = map[string]bool{}
			for _, s := range stringsOf(ctx, lm.FailOn, diags) {
				failOn[s] = true
			}
		}
	}
	findings := hba.Lint(rules, idents, opts)
	m.Findings = findingsList(findings, diags)
	reportFindings(findings, failOn, diags)
	tflog.Debug(logCtx(ctx, "hba_file"), "rendered pg_hba file", map[string]any{
		"target": string(target), "postgres_version": version, "rules": len(rules), "ident_maps": len(idents),
		"sha256": m.SHA256.ValueString(), "bytes": len(exact), "findings": findingCounts(findings),
	})
	return !diags.HasError()
}

func findingsList(findings []hba.Finding, diags *diag.Diagnostics) types.List {
	elems := make([]attr.Value, 0, len(findings))
	for _, f := range findings {
		obj, d := types.ObjectValue(findingAttrTypes, map[string]attr.Value{
			"code":             types.StringValue(f.Code),
			"severity":         types.StringValue(string(f.Severity)),
			"rule_index":       types.Int64Value(int64(f.RuleIndex)),
			"other_rule_index": types.Int64Value(int64(f.OtherRuleIndex)),
			"message":          types.StringValue(f.Message),
		})
		diags.Append(d...)
		elems = append(elems, obj)
	}
	l, d := types.ListValue(types.ObjectType{AttrTypes: findingAttrTypes}, elems)
	diags.Append(d...)
	return l
}

// reportFindings turns findings into plan diagnostics: failing severities
// are errors, other warnings are warnings, info stays in `findings` only.
func reportFindings(findings []hba.Finding, failOn map[string]bool, diags *diag.Diagnostics) {
	for _, f := range findings {
		p := path.Root("rules")
		if f.RuleIndex >= 0 {
			p = p.AtListIndex(f.RuleIndex)
		}
		summary := fmt.Sprintf("pg_hba lint %s (%s)", f.Code, f.Severity)
		switch {
		case failOn[string(f.Severity)]:
			diags.AddAttributeError(p, summary, f.Message)
		case f.Severity == hba.SeverityWarning:
			diags.AddAttributeWarning(p, summary, f.Message)
		}
	}
}
