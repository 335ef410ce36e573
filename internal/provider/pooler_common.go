package provider

// Shared by the pooler resources (pgbouncer.ini, userlist.txt, pgpool.conf,
// pool_passwd), which follow the rendered-content pattern of rendered.go:
// the mapping of internal/pooler problems to attribute diagnostics, optional
// value helpers and the render log line.

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pgtls/terraform-provider-pgtls/internal/pooler"
)

// logRendered logs one rendered file (never its content) through the
// masked logging context; secrets are this request's secret inputs.
func logRendered(ctx context.Context, file string, f *renderedFile, fields map[string]any, secrets ...string) {
	ctx = logCtx(ctx, "pooler", secrets...)
	all := map[string]any{"file": file, "sha256": f.SHA256.ValueString(), "bytes": len(f.SensitiveContent.ValueString())}
	for k, v := range fields {
		all[k] = v
	}
	tflog.Debug(ctx, "rendered "+file, all)
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
