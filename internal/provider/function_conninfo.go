package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pgtls/terraform-provider-pgtls/internal/libpq"
)

// NewConninfoFunction is provider::pgtls::conninfo.
func NewConninfoFunction() function.Function { return &conninfoFunction{} }

type conninfoFunction struct{}

var _ function.Function = (*conninfoFunction)(nil)

func (f *conninfoFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "conninfo"
}

func (f *conninfoFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Render a libpq connection string or URI from keywords.",
		MarkdownDescription: "Renders libpq connection keywords (a map such as `{ host = \"db1,db2\", port = \"5432\", " +
			"dbname = \"app\", user = \"app\", sslmode = \"verify-full\" }`) as a keyword/value conninfo string with " +
			"libpq's quoting (the default), or with `\"uri\"` as second argument as a `postgresql://` URI with libpq's " +
			"percent-encoding (host lists, IPv6 literals, Unix-socket directories). Keywords are ordered as libpq " +
			"lists them. Unknown keywords are refused, as libpq refuses them. A sensitive argument (for example a " +
			"`password` keyword) makes the result sensitive. Needs Terraform 1.8+ or OpenTofu 1.7+.",
		Parameters: []function.Parameter{
			function.MapParameter{Name: "params", ElementType: types.StringType,
				MarkdownDescription: "libpq connection keywords and values."},
		},
		VariadicParameter: function.StringParameter{Name: "format",
			MarkdownDescription: "Optional: `\"keyword\"` (default) or `\"uri\"`."},
		Return: function.StringReturn{},
	}
}

func (f *conninfoFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var params map[string]*string
	var formats []string
	resp.Error = function.ConcatFuncErrors(req.Arguments.Get(ctx, &params, &formats))
	if resp.Error != nil {
		return
	}
	format := "keyword"
	switch len(formats) {
	case 0:
	case 1:
		format = formats[0]
	default:
		resp.Error = function.NewArgumentFuncError(1, "give at most one format")
		return
	}
	var ps []libpq.Param
	for k, v := range params {
		if v == nil {
			resp.Error = function.NewArgumentFuncError(0, fmt.Sprintf("keyword %q has a null value", k))
			return
		}
		ps = append(ps, libpq.Param{Key: k, Value: *v})
	}
	libpq.SortParams(ps)
	var out string
	var err error
	switch format {
	case "keyword":
		out, err = libpq.Conninfo(ps)
	case "uri":
		out, err = libpq.URI(ps)
	default:
		resp.Error = function.NewArgumentFuncError(1, fmt.Sprintf("format %q must be \"keyword\" or \"uri\"", format))
		return
	}
	if err != nil {
		resp.Error = function.NewArgumentFuncError(0, err.Error())
		return
	}
	keys := make([]string, 0, len(ps))
	secrets := make([]string, 0, 1)
	for _, p := range ps {
		keys = append(keys, p.Key)
		if libpq.SecretKeywords[p.Key] {
			secrets = append(secrets, p.Value)
		}
	}
	tflog.Debug(logCtx(ctx, "conninfo_function", secrets...), "rendered connection string", map[string]any{"format": format, "keywords": keys})
	resp.Error = function.ConcatFuncErrors(resp.Result.Set(ctx, out))
}
