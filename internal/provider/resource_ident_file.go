package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pgtls/terraform-provider-pgtls/internal/hba"
)

type identFileModel struct {
	ID              types.String `tfsdk:"id"`
	Maps            types.List   `tfsdk:"maps"`
	PostgresVersion types.Int64  `tfsdk:"postgres_version"`
	Header          types.String `tfsdk:"header"`
	Content         types.String `tfsdk:"content"`
	SHA256          types.String `tfsdk:"sha256"`
}

type identFileResource struct{ data *providerData }

var (
	_ resource.ResourceWithModifyPlan = (*identFileResource)(nil)
	_ resource.ResourceWithConfigure  = (*identFileResource)(nil)
)

// NewIdentFileResource is the pgtls_ident_file resource.
func NewIdentFileResource() resource.Resource { return &identFileResource{} }

func (r *identFileResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_ident_file"
}

func (r *identFileResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A whole `pg_ident.conf` rendered from several maps, known at plan time.",
		Attributes: map[string]schema.Attribute{
			"id":               computedString("SHA-256 of the content."),
			"maps":             identMapsAttribute("The maps, in order: `pgtls_ident_map` resources or inline objects."),
			"postgres_version": versionAttribute(),
			"header":           schema.StringAttribute{Optional: true, MarkdownDescription: "Comment lines placed at the top."},
			"content":          computedString("The rendered file."),
			"sha256":           computedString("SHA-256 of `content`, lowercase hex."),
		},
	}
}

func (r *identFileResource) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	r.data = configuredData(req.ProviderData)
}

func (r *identFileResource) build(ctx context.Context, m *identFileModel, diags *diag.Diagnostics) bool {
	maps, known := identMapsOf(ctx, m.Maps, diags)
	if !known || m.PostgresVersion.IsUnknown() || m.Header.IsUnknown() || diags.HasError() {
		return false
	}
	seen := map[string]bool{}
	for i, im := range maps {
		base := path.Root("maps").AtListIndex(i)
		addHBAProblems(&base, im.Validate(versionOf(m.PostgresVersion, r.data)), "Invalid pg_ident map", diags)
		if seen[im.Name] {
			diags.AddAttributeError(base.AtName("name"), "Duplicate pg_ident map",
				fmt.Sprintf("map %q is listed more than once; give each map its own name", im.Name))
		}
		seen[im.Name] = true
	}
	if diags.HasError() {
		return false
	}
	content, err := hba.RenderIdentFile(maps, m.Header.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("maps"), "Cannot render pg_ident file", err.Error())
		return false
	}
	m.Content = types.StringValue(content)
	m.SHA256 = types.StringValue(sha256Hex(content))
	m.ID = m.SHA256
	return true
}

func (r *identFileResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	planRendered(ctx, r.build, req, resp)
}

func (r *identFileResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	applyRendered(ctx, r.build, req.Plan, &resp.State, &resp.Diagnostics)
}

func (r *identFileResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	keepState[identFileModel](ctx, req, resp)
}

func (r *identFileResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	applyRendered(ctx, r.build, req.Plan, &resp.State, &resp.Diagnostics)
}

func (r *identFileResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
}
