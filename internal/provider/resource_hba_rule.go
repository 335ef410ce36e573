package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pgtls/terraform-provider-pgtls/internal/hba"
)

type hbaRuleResourceModel struct {
	hbaRuleModel
	ID              types.String `tfsdk:"id"`
	PostgresVersion types.Int64  `tfsdk:"postgres_version"`
	Line            types.String `tfsdk:"line"`
	SensitiveLine   types.String `tfsdk:"sensitive_line"`
}

// NewHBARuleResource is the pgtls_hba_rule resource.
func NewHBARuleResource() resource.Resource {
	return newRenderedResource("_hba_rule", hbaRuleSchema(), buildHBARule)
}

func hbaRuleSchema() schema.Schema {
	return schema.Schema{
		MarkdownDescription: "One `pg_hba.conf` line, validated at plan time the way PostgreSQL's hba.c does " +
			"(which options are legal with which method and connection type) and rendered with PostgreSQL's " +
			"quoting. Pass it to `pgtls_hba_file.rules` to build the whole file, in order.",
		Attributes: mergeAttributes(hbaRuleAttributes(false), map[string]schema.Attribute{
			"id":               computedString("SHA-256 of `line` (the review copy), lowercase hex. Never derived from a secret."),
			"postgres_version": versionAttribute(),
			"line": computedString("The rendered pg_hba.conf line for review, known at plan time: identical to " +
				"`sensitive_line` when the rule has no `secret_options`, otherwise each secret value is `(sensitive)`."),
			"sensitive_line": schema.StringAttribute{
				Computed:  true,
				Sensitive: true,
				MarkdownDescription: "The exact pg_hba.conf line, secrets included, known at plan time. Always " +
					"sensitive. `pgtls_hba_file` renders the whole file from the rule's attributes, so this is " +
					"needed only to assemble a file by other means.",
			},
		}),
	}
}

// buildHBARule validates and renders the rule into line, sensitive_line and
// id.
func buildHBARule(ctx context.Context, data *providerData, m *hbaRuleResourceModel, diags *diag.Diagnostics) bool {
	rule, probs, known := m.rule()
	if !known || m.PostgresVersion.IsUnknown() {
		return false
	}
	if len(probs) == 0 {
		probs = rule.Validate(hba.TargetPostgreSQL, versionOf(m.PostgresVersion, data))
	}
	addHBAProblems(nil, probs, "Invalid pg_hba rule", diags)
	if len(probs) > 0 {
		return false
	}
	exact, err := rule.Render()
	if err != nil {
		diags.AddError("Invalid pg_hba rule", err.Error())
		return false
	}
	masked, err := rule.RenderRedacted()
	if err != nil {
		diags.AddError("Invalid pg_hba rule", err.Error())
		return false
	}
	m.Line = types.StringValue(masked)
	m.SensitiveLine = types.StringValue(exact)
	m.ID = types.StringValue(sha256Hex(masked))
	tflog.Debug(logCtx(ctx, "hba_rule"), "rendered pg_hba rule", map[string]any{
		"id": m.ID.ValueString(), "type": string(rule.Type), "method": string(rule.Method), "secret_options": exact != masked,
	})
	return true
}
