package provider

// Shared by the pooler resources (pgbouncer.ini, userlist.txt, pgpool.conf,
// pool_passwd): the review/exact output pair and the mapping of
// internal/pooler problems to attribute diagnostics.

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pgtls/terraform-provider-pgtls/internal/pooler"
)

// poolerFile is the output pair of a rendered pooler file: a review copy a
// plan may show (secrets masked) and the exact bytes, always sensitive.
type poolerFile struct {
	ID               types.String `tfsdk:"id"`
	Content          types.String `tfsdk:"content"`
	SensitiveContent types.String `tfsdk:"sensitive_content"`
	SHA256           types.String `tfsdk:"sha256"`
}

func poolerFileAttributes(file string) map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"id": computedString("SHA-256 of `content` (the review copy), lowercase hex. Never derived from a secret."),
		"content": computedString("The rendered " + file + " for review, known at plan time: identical to " +
			"`sensitive_content` when it holds no secret, otherwise every secret is replaced by `(sensitive)`. " +
			"Show and diff this one; write `sensitive_content` to disk."),
		"sensitive_content": schema.StringAttribute{
			Computed:  true,
			Sensitive: true,
			MarkdownDescription: "The exact " + file + " (secrets included) the program must read. Always " +
				"sensitive. Write this one to disk.",
		},
		"sha256": computedString("SHA-256 of `sensitive_content` (the bytes on disk), lowercase hex: use it to " +
			"trigger reloads. Changes when a secret changes."),
	}
}

// logRendered logs one rendered file (never its content) through the
// masked logging context; secrets are this request's secret inputs.
func logRendered(ctx context.Context, file string, f *poolerFile, fields map[string]any, secrets ...string) {
	ctx = logCtx(ctx, "pooler", secrets...)
	all := map[string]any{"file": file, "sha256": f.SHA256.ValueString(), "bytes": len(f.SensitiveContent.ValueString())}
	for k, v := range fields {
		all[k] = v
	}
	tflog.Debug(ctx, "rendered "+file, all)
}

func (f *poolerFile) set(exact, masked string) {
	f.Content = types.StringValue(masked)
	f.SensitiveContent = types.StringValue(exact)
	f.SHA256 = types.StringValue(sha256Hex(exact))
	f.ID = types.StringValue(sha256Hex(masked))
}

// poolerPath maps a pooler.Path to an attribute path.
func poolerPath(p pooler.Path) path.Path {
	var out path.Path
	for i, s := range p {
		switch {
		case i == 0:
			out = path.Root(s.Name)
		case s.IsKey:
			out = out.AtMapKey(s.Key)
		case s.Name == "":
			out = out.AtListIndex(s.Index)
		default:
			out = out.AtName(s.Name)
		}
	}
	return out
}

// addPoolerProblems reports domain problems as attribute errors and
// warnings. summary names the file ("Invalid pgbouncer.ini setting").
func addPoolerProblems(ps pooler.Problems, summary, warnSummary string, diags *diag.Diagnostics) {
	for _, p := range ps {
		at := poolerPath(p.Path)
		if p.Warning {
			diags.AddAttributeWarning(at, warnSummary, p.String())
		} else {
			diags.AddAttributeError(at, summary, p.String())
		}
	}
}

// allKnown reports whether every value, including every element of lists,
// maps and objects, is known.
func allKnown(vals ...attr.Value) bool {
	for _, v := range vals {
		if v == nil || v.IsNull() {
			continue
		}
		if v.IsUnknown() {
			return false
		}
		switch x := v.(type) {
		case basetypes.ListValue:
			if !allKnown(x.Elements()...) {
				return false
			}
		case basetypes.MapValue:
			for _, e := range x.Elements() {
				if !allKnown(e) {
					return false
				}
			}
		case basetypes.ObjectValue:
			for _, e := range x.Attributes() {
				if !allKnown(e) {
					return false
				}
			}
		}
	}
	return true
}

// optString returns the value of an optional string ("" when null).
func optString(v types.String) string { return v.ValueString() }

// optInt returns a pointer to the value of an optional number.
func optInt(v types.Int64) *int64 {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	n := v.ValueInt64()
	return &n
}

func optBool(v types.Bool) *bool {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	b := v.ValueBool()
	return &b
}

func optStringPtr(v types.String) *string {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	s := v.ValueString()
	return &s
}

func stringMapOf(ctx context.Context, m types.Map, diags *diag.Diagnostics) map[string]string {
	if m.IsNull() {
		return nil
	}
	out := map[string]string{}
	diags.Append(m.ElementsAs(ctx, &out, false)...)
	return out
}
