package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pgtls/terraform-provider-pgtls/internal/hba"
)

type identFileModel struct {
	renderedFile
	Maps            types.List   `tfsdk:"maps"`
	PostgresVersion types.Int64  `tfsdk:"postgres_version"`
	Header          types.String `tfsdk:"header"`
}

// NewIdentFileResource is the pgtls_ident_file resource.
func NewIdentFileResource() resource.Resource {
	return newRenderedResource("_ident_file", identFileSchema(), buildIdentFile)
}

func identFileSchema() schema.Schema {
	return schema.Schema{
		MarkdownDescription: "A whole `pg_ident.conf` rendered from several maps, known at plan time. pg_ident.conf " +
			"holds no secret, so `content` and `sensitive_content` are always identical; both exist so every " +
			"rendered file resource has the same outputs.",
		Attributes: mergeAttributes(renderedFileAttributes("pg_ident.conf"), map[string]schema.Attribute{
			"maps":             identMapsAttribute("The maps, in order: `pgtls_ident_map` resources or inline objects."),
			"postgres_version": versionAttribute(),
			"header":           schema.StringAttribute{Optional: true, MarkdownDescription: "Comment lines placed at the top."},
		}),
	}
}

func buildIdentFile(ctx context.Context, data *providerData, m *identFileModel, diags *diag.Diagnostics) bool {
	maps, known := identMapsOf(ctx, m.Maps, diags)
	if !known || m.PostgresVersion.IsUnknown() || m.Header.IsUnknown() || diags.HasError() {
		return false
	}
	addHBAProblems(nil, hba.ValidateHeader(m.Header.ValueString()), "Invalid header", diags)
	seen := map[string]bool{}
	for i, im := range maps {
		base := path.Root("maps").AtListIndex(i)
		addHBAProblems(&base, im.Validate(versionOf(m.PostgresVersion, data)), "Invalid pg_ident map", diags)
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
	m.set(content, content)
	mappings := 0
	for _, im := range maps {
		mappings += len(im.Mappings)
	}
	tflog.Debug(logCtx(ctx, "ident_file"), "rendered pg_ident file", map[string]any{
		"maps": len(maps), "mappings": mappings, "sha256": m.SHA256.ValueString(), "bytes": len(content),
	})
	return true
}
