package provider

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

type identMapResourceModel struct {
	ID              types.String `tfsdk:"id"`
	Name            types.String `tfsdk:"name"`
	Mappings        types.List   `tfsdk:"mappings"`
	PostgresVersion types.Int64  `tfsdk:"postgres_version"`
	Content         types.String `tfsdk:"content"`
}

// NewIdentMapResource is the pgtls_ident_map resource.
func NewIdentMapResource() resource.Resource {
	return newRenderedResource("_ident_map", identMapSchema(), buildIdentMap)
}

func identMapSchema() schema.Schema {
	return schema.Schema{
		MarkdownDescription: "One `pg_ident.conf` user name map: which authenticated identities (certificate CN/DN, " +
			"OS users, principals) may log in as which roles. Reference it from a `pgtls_hba_rule` with `map` and " +
			"render maps into a file with `pgtls_ident_file`.",
		Attributes: map[string]schema.Attribute{
			"id":               computedString("The map name."),
			"name":             schema.StringAttribute{Required: true, MarkdownDescription: "Map name (`map=` in pg_hba.conf)."},
			"mappings":         identMappingsAttribute(false),
			"postgres_version": versionAttribute(),
			"content":          computedString("The map's pg_ident.conf lines, known at plan time."),
		},
	}
}

func buildIdentMap(ctx context.Context, data *providerData, m *identMapResourceModel, diags *diag.Diagnostics) bool {
	im, known := identMapOf(ctx, m.Name, m.Mappings, diags)
	if !known || m.PostgresVersion.IsUnknown() || diags.HasError() {
		return false
	}
	addHBAProblems(nil, im.Validate(versionOf(m.PostgresVersion, data)), "Invalid pg_ident map", diags)
	if diags.HasError() {
		return false
	}
	var lines []string
	for _, mp := range im.Mappings {
		l, err := mp.Render(im.Name)
		if err != nil {
			diags.AddAttributeError(path.Root("mappings"), "Invalid pg_ident mapping", err.Error())
			return false
		}
		lines = append(lines, l)
	}
	m.Content = types.StringValue(strings.Join(lines, "\n") + "\n")
	m.ID = m.Name
	tflog.Debug(logCtx(ctx, "ident_map"), "rendered pg_ident map", map[string]any{"map": im.Name, "mappings": len(im.Mappings)})
	return true
}
