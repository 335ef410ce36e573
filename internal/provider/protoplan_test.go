package provider

import (
	"context"
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
	cfgVal, err := tftypes.ValueFromJSON([]byte(configJSON), typ)
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
