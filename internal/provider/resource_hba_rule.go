package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pgtls/terraform-provider-pgtls/internal/hba"
)

type hbaRuleResourceModel struct {
	hbaRuleModel
	ID              types.String `tfsdk:"id"`
	PostgresVersion types.Int64  `tfsdk:"postgres_version"`
	Line            types.String `tfsdk:"line"`
}

type hbaRuleResource struct{ data *providerData }

var (
	_ resource.ResourceWithModifyPlan = (*hbaRuleResource)(nil)
	_ resource.ResourceWithConfigure  = (*hbaRuleResource)(nil)
)

// NewHBARuleResource is the pgtls_hba_rule resource.
func NewHBARuleResource() resource.Resource { return &hbaRuleResource{} }

func (r *hbaRuleResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_hba_rule"
}

func (r *hbaRuleResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "One `pg_hba.conf` line, validated at plan time the way PostgreSQL's hba.c does " +
			"(which options are legal with which method and connection type) and rendered with PostgreSQL's " +
			"quoting. Pass it to `pgtls_hba_file.rules` to build the whole file, in order.",
		Attributes: mergeAttributes(hbaRuleAttributes(false), map[string]schema.Attribute{
			"id":               computedString("The rendered line (same as `line`)."),
			"postgres_version": versionAttribute(),
			"line":             computedString("The rendered pg_hba.conf line, known at plan time."),
		}),
	}
}

func (r *hbaRuleResource) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	r.data = configuredData(req.ProviderData)
}

// build validates and renders the rule into line and id.
func (r *hbaRuleResource) build(ctx context.Context, m *hbaRuleResourceModel, diags *diag.Diagnostics) bool {
	rule, probs, known := m.rule(ctx)
	if !known || m.PostgresVersion.IsUnknown() {
		return false
	}
	if len(probs) == 0 {
		probs = rule.Validate(hba.TargetPostgreSQL, versionOf(m.PostgresVersion, r.data))
	}
	addHBAProblems(nil, probs, "Invalid pg_hba rule", diags)
	if len(probs) > 0 {
		return false
	}
	line, err := rule.Render()
	if err != nil {
		diags.AddError("Invalid pg_hba rule", err.Error())
		return false
	}
	m.Line = types.StringValue(line)
	m.ID = m.Line
	return true
}

func (r *hbaRuleResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	planRendered(ctx, r.build, req, resp)
}

func (r *hbaRuleResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	applyRendered(ctx, r.build, req.Plan, &resp.State, &resp.Diagnostics)
}

func (r *hbaRuleResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	keepState[hbaRuleResourceModel](ctx, req, resp)
}

func (r *hbaRuleResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	applyRendered(ctx, r.build, req.Plan, &resp.State, &resp.Diagnostics)
}

func (r *hbaRuleResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}
