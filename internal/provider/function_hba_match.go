package provider

import (
	"context"
	"fmt"
	"math/big"
	"net/netip"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/pgtls/terraform-provider-pgtls/internal/hba"
)

// NewHBAMatchFunction is provider::pgtls::hba_match.
func NewHBAMatchFunction() function.Function { return &hbaMatchFunction{} }

type hbaMatchFunction struct{}

var _ function.Function = (*hbaMatchFunction)(nil)

var hbaMatchResultTypes = map[string]attr.Type{
	"result": types.StringType, "method": types.StringType, "line_number": types.Int64Type,
	"implicit_reject": types.BoolType, "rule": types.StringType, "reason": types.StringType,
	"clientcert": types.StringType, "cert_passes": types.BoolType,
}

func (f *hbaMatchFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "hba_match"
}

// functionAttemptKeys are the keys the attempt object may have: the
// attempt attributes and the file inputs of the data source.
var functionAttemptKeys = func() []string {
	var out []string
	for k := range attemptAttrTypes {
		out = append(out, k)
	}
	out = append(out, "ident_content", "postgres_version", "files", "server_addresses")
	sort.Strings(out)
	return out
}()

func (f *hbaMatchFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	var keys []string
	for _, k := range functionAttemptKeys {
		keys = append(keys, "`"+k+"`")
	}
	resp.Definition = function.Definition{
		Summary: "Simulate PostgreSQL's pg_hba.conf decision for one connection attempt.",
		MarkdownDescription: "The function form of the `pgtls_hba_match` data source, for `check` blocks, " +
			"`terraform test`/`tofu test` assertions and outputs: `provider::pgtls::hba_match(pgtls_hba_file.main.content, " +
			"{ user = \"app\", database = \"app\", address = \"10.1.2.3\", tls = true })`. The second argument is an object " +
			"with any of the keys " + strings.Join(keys, ", ") + ", meaning what the data source's attributes of the same " +
			"names mean (`postgres_version` defaults to 15: functions do not see the provider configuration). The result " +
			"is an object with `result` (`reject` or `allow`), `method`, `line_number` (0 for the implicit reject), " +
			"`implicit_reject`, `rule`, `reason`, `clientcert` and `cert_passes` (null unless the line requires a " +
			"certificate). An attempt that cannot be decided (a `+role` line without `member_of`, a host-name line " +
			"without `client_hostname`, ...) is an error naming the line. Needs Terraform 1.8+ or OpenTofu 1.7+.",
		Parameters: []function.Parameter{
			function.StringParameter{Name: "content", MarkdownDescription: "The pg_hba.conf text."},
			function.DynamicParameter{Name: "attempt", MarkdownDescription: "The connection attempt (an object)."},
		},
		Return: function.ObjectReturn{AttributeTypes: hbaMatchResultTypes},
	}
}

func (f *hbaMatchFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var content string
	var dyn types.Dynamic
	resp.Error = function.ConcatFuncErrors(req.Arguments.Get(ctx, &content, &dyn))
	if resp.Error != nil {
		return
	}
	attrs, err := objectAttributes(dyn.UnderlyingValue())
	if err != nil {
		resp.Error = function.NewArgumentFuncError(1, err.Error())
		return
	}
	for k := range attrs {
		if !contains(functionAttemptKeys, k) {
			resp.Error = function.NewArgumentFuncError(1, fmt.Sprintf("unknown key %q (known: %s)", k, strings.Join(functionAttemptKeys, ", ")))
			return
		}
	}
	a, version, env, err := functionAttempt(attrs)
	if err != nil {
		resp.Error = function.NewArgumentFuncError(1, err.Error())
		return
	}
	m, err := hba.NewMatcherContent(content, version, env)
	if err != nil {
		resp.Error = function.NewArgumentFuncError(0, err.Error())
		return
	}
	d, err := m.Match(a)
	if err != nil {
		resp.Error = function.NewArgumentFuncError(1, err.Error())
		return
	}
	var mm hbaMatchModel
	setMatchResult(&mm, d)
	logDecision(ctx, "hba_match_function", d)
	out, diags := types.ObjectValue(hbaMatchResultTypes, map[string]attr.Value{
		"result": mm.Result, "method": mm.Method, "line_number": mm.LineNumber, "implicit_reject": mm.ImplicitReject,
		"rule": mm.Rule, "reason": mm.Reason, "clientcert": mm.ClientCert, "cert_passes": mm.CertPasses,
	})
	if diags.HasError() {
		resp.Error = function.FuncErrorFromDiags(ctx, diags)
		return
	}
	resp.Error = function.ConcatFuncErrors(resp.Result.Set(ctx, out))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// objectAttributes reads an object or map value.
func objectAttributes(v attr.Value) (map[string]attr.Value, error) {
	switch x := v.(type) {
	case basetypes.ObjectValue:
		if x.IsNull() || x.IsUnknown() {
			return nil, fmt.Errorf("the attempt must be a known object")
		}
		return x.Attributes(), nil
	case basetypes.MapValue:
		if x.IsNull() || x.IsUnknown() {
			return nil, fmt.Errorf("the attempt must be a known object")
		}
		return x.Elements(), nil
	}
	return nil, fmt.Errorf("the attempt must be an object such as { user = \"app\", database = \"app\", address = \"10.1.2.3\" }")
}

func dynString(v attr.Value) (string, bool, error) {
	if v == nil || v.IsNull() {
		return "", false, nil
	}
	if dv, ok := v.(basetypes.DynamicValue); ok {
		return dynString(dv.UnderlyingValue())
	}
	s, ok := v.(basetypes.StringValue)
	if !ok {
		return "", false, fmt.Errorf("must be a string")
	}
	return s.ValueString(), true, nil
}

func dynBool(v attr.Value) (bool, error) {
	if v == nil || v.IsNull() {
		return false, nil
	}
	b, ok := v.(basetypes.BoolValue)
	if !ok {
		return false, fmt.Errorf("must be a bool")
	}
	return b.ValueBool(), nil
}

func dynStrings(v attr.Value) ([]string, bool, error) {
	if v == nil || v.IsNull() {
		return nil, false, nil
	}
	var elems []attr.Value
	switch x := v.(type) {
	case basetypes.TupleValue:
		elems = x.Elements()
	case basetypes.ListValue:
		elems = x.Elements()
	case basetypes.SetValue:
		elems = x.Elements()
	default:
		return nil, false, fmt.Errorf("must be a list of strings")
	}
	out := []string{}
	for _, e := range elems {
		s, ok, err := dynString(e)
		if err != nil || !ok {
			return nil, false, fmt.Errorf("must be a list of strings")
		}
		out = append(out, s)
	}
	return out, true, nil
}

// functionAttempt converts the attempt object of hba_match.
func functionAttempt(attrs map[string]attr.Value) (hba.Attempt, int, hba.Environment, error) {
	str := func(k string) (types.String, error) {
		s, ok, err := dynString(attrs[k])
		if err != nil {
			return types.StringNull(), fmt.Errorf("%s %w", k, err)
		}
		if !ok {
			return types.StringNull(), nil
		}
		return types.StringValue(s), nil
	}
	bl := func(k string) (types.Bool, error) {
		if attrs[k] == nil || attrs[k].IsNull() {
			return types.BoolNull(), nil
		}
		b, err := dynBool(attrs[k])
		if err != nil {
			return types.BoolNull(), fmt.Errorf("%s %w", k, err)
		}
		return types.BoolValue(b), nil
	}
	var m attemptModel
	var err error
	for _, x := range []struct {
		k   string
		dst *types.String
	}{{"user", &m.User}, {"database", &m.Database}, {"address", &m.Address}, {"client_cert_cn", &m.ClientCertCN},
		{"client_cert_dn", &m.ClientCertDN}, {"client_hostname", &m.ClientHostname}, {"system_user", &m.SystemUser}} {
		if *x.dst, err = str(x.k); err != nil {
			return hba.Attempt{}, 0, hba.Environment{}, err
		}
	}
	for _, x := range []struct {
		k   string
		dst *types.Bool
	}{{"local", &m.Local}, {"tls", &m.TLS}, {"gss", &m.GSS}, {"replication", &m.Replication}} {
		if *x.dst, err = bl(x.k); err != nil {
			return hba.Attempt{}, 0, hba.Environment{}, err
		}
	}
	members, ok, err := dynStrings(attrs["member_of"])
	if err != nil {
		return hba.Attempt{}, 0, hba.Environment{}, fmt.Errorf("member_of %w", err)
	}
	m.MemberOf = types.ListNull(types.StringType)
	if ok {
		m.MemberOf = stringList(members)
	}
	if m.User.IsNull() {
		return hba.Attempt{}, 0, hba.Environment{}, fmt.Errorf("user is required")
	}
	a, probs, _ := m.attempt()
	if len(probs) > 0 {
		return hba.Attempt{}, 0, hba.Environment{}, fmt.Errorf("%s: %s", probs[0].field, probs[0].msg)
	}
	version := DefaultPostgresVersion
	if v := attrs["postgres_version"]; v != nil && !v.IsNull() {
		n, ok := v.(basetypes.NumberValue)
		if !ok {
			return hba.Attempt{}, 0, hba.Environment{}, fmt.Errorf("postgres_version must be a number")
		}
		i, acc := n.ValueBigFloat().Int64()
		if acc != big.Exact || i < hba.MinVersion || i > hba.MaxVersion {
			return hba.Attempt{}, 0, hba.Environment{}, fmt.Errorf("postgres_version must be a whole number from %d to %d", hba.MinVersion, hba.MaxVersion)
		}
		version = int(i)
	}
	var env hba.Environment
	if s, ok, err := dynString(attrs["ident_content"]); err != nil {
		return hba.Attempt{}, 0, hba.Environment{}, fmt.Errorf("ident_content %w", err)
	} else if ok {
		pi, err := hba.ParseIdent(s, version)
		if err != nil {
			return hba.Attempt{}, 0, hba.Environment{}, err
		}
		if len(pi.Problems) > 0 {
			return hba.Attempt{}, 0, hba.Environment{}, fmt.Errorf("ident_content: %s", pi.Problems[0])
		}
		env.IdentMaps, env.IdentMapsKnown = pi.Maps, true
	}
	if addrs, ok, err := dynStrings(attrs["server_addresses"]); err != nil {
		return hba.Attempt{}, 0, hba.Environment{}, fmt.Errorf("server_addresses %w", err)
	} else if ok {
		env.Interfaces = []netip.Prefix{}
		for _, s := range addrs {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return hba.Attempt{}, 0, hba.Environment{}, fmt.Errorf("server_addresses: %q is not an address with a prefix length", s)
			}
			env.Interfaces = append(env.Interfaces, p)
		}
	}
	if v := attrs["files"]; v != nil && !v.IsNull() {
		fa, err := objectAttributes(v)
		if err != nil {
			return hba.Attempt{}, 0, hba.Environment{}, fmt.Errorf("files must be an object of file contents")
		}
		env.Files = map[string]string{}
		for k, x := range fa {
			s, ok, err := dynString(x)
			if err != nil || !ok {
				return hba.Attempt{}, 0, hba.Environment{}, fmt.Errorf("files[%q] must be a string", k)
			}
			env.Files[k] = s
		}
	}
	return a, version, env, nil
}
