package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pgtls/terraform-provider-pgtls/internal/hba"
)

type hbaAccessDiffDataSource struct{ data *providerData }

var _ datasource.DataSourceWithConfigure = (*hbaAccessDiffDataSource)(nil)

// NewHBAAccessDiffDataSource is the pgtls_hba_access_diff data source.
func NewHBAAccessDiffDataSource() datasource.DataSource { return &hbaAccessDiffDataSource{} }

type hbaAccessDiffModel struct {
	BeforeContent         types.String `tfsdk:"before_content"`
	AfterContent          types.String `tfsdk:"after_content"`
	PostgresVersion       types.Int64  `tfsdk:"postgres_version"`
	BeforePostgresVersion types.Int64  `tfsdk:"before_postgres_version"`
	IdentContent          types.String `tfsdk:"ident_content"`
	Files                 types.Map    `tfsdk:"files"`
	ServerAddresses       types.List   `tfsdk:"server_addresses"`
	AccessReview          types.Object `tfsdk:"access_review"`
	Expect                types.List   `tfsdk:"expect"`
	AccessChanges         types.List   `tfsdk:"access_changes"`
	Classes               types.Int64  `tfsdk:"classes"`
	Unchanged             types.Int64  `tfsdk:"unchanged"`
}

func (d *hbaAccessDiffDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_hba_access_diff"
}

func (d *hbaAccessDiffDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Compares what two `pg_hba.conf` files let in, not their text: for every class of " +
			"connection attempts (connection type, role, database, client network, and the memberships or host names a " +
			"line depends on) the line deciding it before and after, classified `granted`, `revoked`, `weakened` or " +
			"`strengthened`. Exact (classes, not samples; proven by a property test against the simulation) and fast " +
			"(1,000 lines in a fraction of a second). Changes of the kinds in `access_review.fail_on` (default `weakened`) " +
			"are errors unless acknowledged, the others warnings: in CI, compare the file of the main branch with the " +
			"proposed one. `pgtls_hba_file` runs the same review between its previous and its planned content.",
		Attributes: map[string]schema.Attribute{
			"before_content": schema.StringAttribute{Required: true, Sensitive: true, MarkdownDescription: "The current pg_hba.conf text (`\"\"` for none: everything is then refused before)."},
			"after_content":  schema.StringAttribute{Required: true, Sensitive: true, MarkdownDescription: "The proposed pg_hba.conf text. Both contents are sensitive, because a pg_hba.conf may hold secrets; the outputs mask secret option values."},
			"postgres_version": schema.Int64Attribute{Optional: true, MarkdownDescription: "PostgreSQL major version reading `after_content`. Defaults to the provider's `postgres_version`.",
				Validators: []validator.Int64{int64validator.Between(hba.MinVersion, hba.MaxVersion)}},
			"before_postgres_version": schema.Int64Attribute{Optional: true, MarkdownDescription: "Major version reading `before_content` (an upgrade). Defaults to `postgres_version`.",
				Validators: []validator.Int64{int64validator.Between(hba.MinVersion, hba.MaxVersion)}},
			"ident_content":    schema.StringAttribute{Optional: true, MarkdownDescription: hbaMatchInputDescriptions["ident_content"] + " Used by `expect`."},
			"files":            schema.MapAttribute{Optional: true, ElementType: types.StringType, MarkdownDescription: hbaMatchInputDescriptions["files"]},
			"server_addresses": schema.ListAttribute{Optional: true, ElementType: types.StringType, MarkdownDescription: serverAddressesDescription},
			"access_review": schema.SingleNestedAttribute{Optional: true, MarkdownDescription: accessReviewDescription,
				Attributes: accessReviewAttributesDS()},
			"expect":         expectAttributeDS(),
			"access_changes": accessChangesAttributeDS("Every change, most severe first (`weakened`, `granted`, `revoked`, `strengthened`)."),
			"classes":        schema.Int64Attribute{Computed: true, MarkdownDescription: "Attempt classes examined."},
			"unchanged":      schema.Int64Attribute{Computed: true, MarkdownDescription: "Of those, the classes whose access did not change."},
		},
	}
}

func (d *hbaAccessDiffDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, _ *datasource.ConfigureResponse) {
	d.data = configuredData(req.ProviderData)
}

func (d *hbaAccessDiffDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m hbaAccessDiffModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	version := versionOf(m.PostgresVersion, d.data)
	beforeVersion := version
	if !m.BeforePostgresVersion.IsNull() {
		beforeVersion = int(m.BeforePostgresVersion.ValueInt64())
	}
	after, ok := matcherFor(ctx, m.AfterContent.ValueString(), version, m.IdentContent, m.Files, m.ServerAddresses, &resp.Diagnostics)
	if !ok {
		return
	}
	before, ok := matcherFor(ctx, m.BeforeContent.ValueString(), beforeVersion, m.IdentContent, m.Files, m.ServerAddresses, &resp.Diagnostics)
	if !ok {
		return
	}
	checkExpectations(ctx, after, m.Expect, &resp.Diagnostics)
	settings := reviewSettingsOf(ctx, m.AccessReview, &resp.Diagnostics)
	// Not at after_content: a diagnostic there prints the configuration
	// line, which may hold a literal secret.
	changes, diff, ok := reviewAccess(ctx, before, after, settings, path.Empty(), &resp.Diagnostics)
	if !ok {
		return
	}
	m.AccessChanges = changes
	m.Classes = types.Int64Value(int64(diff.Classes))
	m.Unchanged = types.Int64Value(int64(diff.Unchanged))
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
