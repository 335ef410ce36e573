package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// protoPlan runs a resource's plan through the provider's real protocol-6
// server in-process, without a Terraform CLI: ValidateResourceConfig (schema
// validators) then PlanResourceChange for a create (defaults, ModifyPlan).
// configJSON is the resource's configuration as JSON; omitted attributes
// are null. It returns the diagnostics of both calls and the planned
// values (nil when planning failed).
type protoPlanResult struct {
	Diags   []*tfprotov6.Diagnostic
	Planned map[string]tftypes.Value
}

func (r protoPlanResult) errors() []string {
	var out []string
	for _, d := range r.Diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			out = append(out, d.Summary+": "+d.Detail+" @ "+attrPathString(d.Attribute))
		}
	}
	return out
}

func (r protoPlanResult) warnings() []string {
	var out []string
	for _, d := range r.Diags {
		if d.Severity == tfprotov6.DiagnosticSeverityWarning {
			out = append(out, d.Summary+": "+d.Detail+" @ "+attrPathString(d.Attribute))
		}
	}
	return out
}

// str returns a planned string attribute ("<unknown>" / "<null>" when so).
func (r protoPlanResult) str(name string) string {
	v, ok := r.Planned[name]
	switch {
	case !ok:
		return "<missing>"
	case !v.IsKnown():
		return "<unknown>"
	case v.IsNull():
		return "<null>"
	}
	var s string
	if err := v.As(&s); err != nil {
		return "<not a string>"
	}
	return s
}

func attrPathString(p *tftypes.AttributePath) string {
	if p == nil {
		return ""
	}
	return p.String()
}

func protoPlan(t *testing.T, typeName, configJSON string) protoPlanResult {
	t.Helper()
	ctx := context.Background()
	srv := providerserver.NewProtocol6(New("test")())()
	sch, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	rs, ok := sch.ResourceSchemas[typeName]
	if !ok {
		t.Fatalf("no resource %s", typeName)
	}
	typ := rs.ValueType()
	var raw any
	dec := json.NewDecoder(strings.NewReader(configJSON))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("config JSON: %v", err)
	}
	cfgVal, err := jsonToValue(raw, typ)
	if err != nil {
		t.Fatalf("config JSON: %v", err)
	}
	dv, err := tfprotov6.NewDynamicValue(typ, cfgVal)
	if err != nil {
		t.Fatal(err)
	}
	pcfg, _ := tfprotov6.NewDynamicValue(sch.Provider.ValueType(), tftypes.NewValue(sch.Provider.ValueType(), map[string]tftypes.Value{
		"postgres_version": tftypes.NewValue(tftypes.Number, nil),
	}))
	if resp, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: &pcfg}); err != nil || len(resp.Diagnostics) > 0 {
		t.Fatalf("configure provider: %v %v", err, resp)
	}
	var res protoPlanResult
	vr, err := srv.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{TypeName: typeName, Config: &dv})
	if err != nil {
		t.Fatal(err)
	}
	res.Diags = append(res.Diags, vr.Diagnostics...)
	if len(res.errors()) > 0 {
		return res
	}
	prior, _ := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, nil))
	pr, err := srv.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{
		TypeName: typeName, PriorState: &prior, ProposedNewState: &dv, Config: &dv,
	})
	if err != nil {
		t.Fatal(err)
	}
	res.Diags = append(res.Diags, pr.Diagnostics...)
	if pr.PlannedState == nil {
		return res
	}
	pv, err := pr.PlannedState.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	if pv.IsNull() {
		return res
	}
	res.Planned = map[string]tftypes.Value{}
	if err := pv.As(&res.Planned); err != nil {
		t.Fatal(err)
	}
	return res
}

// wantPlanError asserts that planning fails with an error whose text
// contains every want string and that lands on attribute path attr (a
// prefix of the tftypes path string, e.g. `AttributeName("databases")`).
func wantPlanError(t *testing.T, r protoPlanResult, attr string, want ...string) {
	t.Helper()
	errs := r.errors()
	for _, e := range errs {
		ok := strings.Contains(e, "@ "+attr)
		for _, w := range want {
			ok = ok && strings.Contains(e, w)
		}
		if ok {
			return
		}
	}
	t.Errorf("no plan error on %s containing %q; errors: %q", attr, want, errs)
}

// jsonToValue converts decoded JSON to a value of typ; attributes missing
// from an object are null.
func jsonToValue(v any, typ tftypes.Type) (tftypes.Value, error) {
	if v == nil {
		return tftypes.NewValue(typ, nil), nil
	}
	switch {
	case typ.Is(tftypes.String):
		s, ok := v.(string)
		if !ok {
			return tftypes.Value{}, fmt.Errorf("want a string, got %v", v)
		}
		return tftypes.NewValue(typ, s), nil
	case typ.Is(tftypes.Bool):
		b, ok := v.(bool)
		if !ok {
			return tftypes.Value{}, fmt.Errorf("want a bool, got %v", v)
		}
		return tftypes.NewValue(typ, b), nil
	case typ.Is(tftypes.Number):
		n, ok := v.(json.Number)
		if !ok {
			return tftypes.Value{}, fmt.Errorf("want a number, got %v", v)
		}
		f, _, err := big.ParseFloat(n.String(), 10, 512, big.ToNearestEven)
		if err != nil {
			return tftypes.Value{}, err
		}
		return tftypes.NewValue(typ, f), nil
	}
	switch tt := typ.(type) {
	case tftypes.List:
		arr, ok := v.([]any)
		if !ok {
			return tftypes.Value{}, fmt.Errorf("want a list, got %v", v)
		}
		vals := make([]tftypes.Value, len(arr))
		for i, e := range arr {
			var err error
			if vals[i], err = jsonToValue(e, tt.ElementType); err != nil {
				return tftypes.Value{}, err
			}
		}
		return tftypes.NewValue(typ, vals), nil
	case tftypes.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			return tftypes.Value{}, fmt.Errorf("want a map, got %v", v)
		}
		vals := map[string]tftypes.Value{}
		for k, e := range obj {
			var err error
			if vals[k], err = jsonToValue(e, tt.ElementType); err != nil {
				return tftypes.Value{}, err
			}
		}
		return tftypes.NewValue(typ, vals), nil
	case tftypes.Object:
		obj, ok := v.(map[string]any)
		if !ok {
			return tftypes.Value{}, fmt.Errorf("want an object, got %v", v)
		}
		vals := map[string]tftypes.Value{}
		for k, at := range tt.AttributeTypes {
			var err error
			if vals[k], err = jsonToValue(obj[k], at); err != nil {
				return tftypes.Value{}, fmt.Errorf("%s: %w", k, err)
			}
		}
		for k := range obj {
			if _, ok := tt.AttributeTypes[k]; !ok {
				return tftypes.Value{}, fmt.Errorf("unknown attribute %q", k)
			}
		}
		return tftypes.NewValue(typ, vals), nil
	}
	return tftypes.Value{}, fmt.Errorf("unsupported type %s", typ)
}
