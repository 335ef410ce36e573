package provider

// A CLI-free harness for unit tests: it serves the provider in-process and
// calls the protocol the way Terraform core does (validate, plan with a
// proposed new state, apply, read), so validators, plan modifiers,
// ModifyPlan and the state mapping run exactly as under a CLI, with plain
// `go test`.

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

type unitProvider struct {
	t       testing.TB
	srv     tfprotov6.ProviderServer
	schemas map[string]*tfprotov6.Schema
}

// unknown marks an attribute value as not known yet (in config or plan).
type unknownValue struct{}

var unknown = unknownValue{}

func newUnitProvider(t testing.TB, now func() time.Time) *unitProvider {
	t.Helper()
	return newUnitProviderFor(t, NewWithClock("test", now)())
}

// newUnitProviderFor serves any provider (the benchmarks' framework floor).
func newUnitProviderFor(t testing.TB, p provider.Provider) *unitProvider {
	t.Helper()
	srv, err := providerserver.NewProtocol6WithError(p)()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sr, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || hasErrors(sr.Diagnostics) {
		t.Fatalf("GetProviderSchema: %v %v", err, sr.Diagnostics)
	}
	cfgType := sr.Provider.ValueType()
	cfg, err := tfprotov6.NewDynamicValue(cfgType, nullObject(cfgType.(tftypes.Object)))
	if err != nil {
		t.Fatal(err)
	}
	cr, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{TerraformVersion: "1.5.7", Config: &cfg})
	if err != nil || hasErrors(cr.Diagnostics) {
		t.Fatalf("ConfigureProvider: %v %v", err, cr.Diagnostics)
	}
	return &unitProvider{t: t, srv: srv, schemas: sr.ResourceSchemas}
}

func hasErrors(ds []*tfprotov6.Diagnostic) bool {
	for _, d := range ds {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			return true
		}
	}
	return false
}

func (u *unitProvider) objType(typeName string) tftypes.Object {
	s, ok := u.schemas[typeName]
	if !ok {
		u.t.Fatalf("no resource type %s", typeName)
	}
	return s.ValueType().(tftypes.Object)
}

func nullObject(typ tftypes.Object) tftypes.Value {
	vals := map[string]tftypes.Value{}
	for k, at := range typ.AttributeTypes {
		vals[k] = tftypes.NewValue(at, nil)
	}
	return tftypes.NewValue(typ, vals)
}

// toValue converts a Go value to a tftypes value of typ: nil is null,
// unknown is unknown, strings, ints, bools, []string, []any and
// map[string]any (objects) convert element by element.
func toValue(typ tftypes.Type, v any) tftypes.Value {
	switch x := v.(type) {
	case nil:
		return tftypes.NewValue(typ, nil)
	case unknownValue:
		return tftypes.NewValue(typ, tftypes.UnknownValue)
	case tftypes.Value:
		return x
	case string:
		return tftypes.NewValue(typ, x)
	case int:
		return tftypes.NewValue(typ, big.NewFloat(float64(x)))
	case int64:
		return tftypes.NewValue(typ, new(big.Float).SetInt64(x))
	case bool:
		return tftypes.NewValue(typ, x)
	case []string:
		var elems []tftypes.Value
		et := typ.(tftypes.List).ElementType
		for _, e := range x {
			elems = append(elems, tftypes.NewValue(et, e))
		}
		return tftypes.NewValue(typ, elems)
	case []any:
		var elems []tftypes.Value
		et := typ.(tftypes.List).ElementType
		for _, e := range x {
			elems = append(elems, toValue(et, e))
		}
		return tftypes.NewValue(typ, elems)
	case map[string]any:
		ot := typ.(tftypes.Object)
		vals := map[string]tftypes.Value{}
		for k, at := range ot.AttributeTypes {
			vals[k] = toValue(at, x[k])
		}
		for k := range x {
			if _, ok := ot.AttributeTypes[k]; !ok {
				panic(fmt.Sprintf("toValue: no attribute %q", k))
			}
		}
		return tftypes.NewValue(typ, vals)
	}
	panic(fmt.Sprintf("toValue: unhandled %T", v))
}

// config builds a resource configuration; unset attributes are null.
func (u *unitProvider) config(typeName string, attrs map[string]any) tftypes.Value {
	return toValue(u.objType(typeName), attrs)
}

func (u *unitProvider) dv(typeName string, v tftypes.Value) *tfprotov6.DynamicValue {
	d, err := tfprotov6.NewDynamicValue(u.objType(typeName), v)
	if err != nil {
		u.t.Fatal(err)
	}
	return &d
}

func (u *unitProvider) decode(typeName string, d *tfprotov6.DynamicValue) tftypes.Value {
	if d == nil {
		return tftypes.NewValue(u.objType(typeName), nil)
	}
	v, err := d.Unmarshal(u.objType(typeName))
	if err != nil {
		u.t.Fatal(err)
	}
	return v
}

// validate runs ValidateResourceConfig.
func (u *unitProvider) validate(typeName string, cfg tftypes.Value) []*tfprotov6.Diagnostic {
	resp, err := u.srv.ValidateResourceConfig(context.Background(), &tfprotov6.ValidateResourceConfigRequest{
		TypeName: typeName, Config: u.dv(typeName, cfg)})
	if err != nil {
		u.t.Fatal(err)
	}
	return resp.Diagnostics
}

// proposedNew is what Terraform core proposes: the configuration, with
// computed attributes the configuration leaves null taken from the prior
// state (null on create).
func (u *unitProvider) proposedNew(typeName string, prior, cfg tftypes.Value) tftypes.Value {
	s := u.schemas[typeName]
	var cfgVals, priorVals map[string]tftypes.Value
	if err := cfg.As(&cfgVals); err != nil {
		u.t.Fatal(err)
	}
	if !prior.IsNull() {
		if err := prior.As(&priorVals); err != nil {
			u.t.Fatal(err)
		}
	}
	out := map[string]tftypes.Value{}
	for _, a := range s.Block.Attributes {
		v := cfgVals[a.Name]
		if a.Computed && v.IsNull() {
			if pv, ok := priorVals[a.Name]; ok {
				v = pv
			}
		}
		out[a.Name] = v
	}
	return tftypes.NewValue(u.objType(typeName), out)
}

type planResult struct {
	planned tftypes.Value
	replace []string
	diags   []*tfprotov6.Diagnostic
}

// plan runs ValidateResourceConfig and, when it passes, PlanResourceChange
// for a create (prior null) or an update. Like Terraform core, a plan that
// requires replacement is planned again as a create.
func (u *unitProvider) plan(typeName string, prior *tftypes.Value, cfg tftypes.Value) planResult {
	if d := u.validate(typeName, cfg); hasErrors(d) {
		return planResult{diags: d}
	}
	priorVal := tftypes.NewValue(u.objType(typeName), nil)
	if prior != nil {
		priorVal = *prior
	}
	resp, err := u.srv.PlanResourceChange(context.Background(), &tfprotov6.PlanResourceChangeRequest{
		TypeName: typeName, PriorState: u.dv(typeName, priorVal), Config: u.dv(typeName, cfg),
		ProposedNewState: u.dv(typeName, u.proposedNew(typeName, priorVal, cfg)),
	})
	if err != nil {
		u.t.Fatal(err)
	}
	res := planResult{planned: u.decode(typeName, resp.PlannedState), diags: resp.Diagnostics}
	for _, p := range resp.RequiresReplace {
		res.replace = append(res.replace, p.String())
	}
	if prior == nil || hasErrors(resp.Diagnostics) || len(resp.RequiresReplace) == 0 {
		return res
	}
	// Only paths whose value changes count (Terraform filters the same way).
	changed := false
	for _, p := range resp.RequiresReplace {
		pv, _, _ := tftypes.WalkAttributePath(priorVal, p)
		nv, _, _ := tftypes.WalkAttributePath(res.planned, p)
		if !pv.(tftypes.Value).Equal(nv.(tftypes.Value)) {
			changed = true
		}
	}
	if !changed {
		res.replace = nil
		return res
	}
	null := tftypes.NewValue(u.objType(typeName), nil)
	again, err := u.srv.PlanResourceChange(context.Background(), &tfprotov6.PlanResourceChangeRequest{
		TypeName: typeName, PriorState: u.dv(typeName, null), Config: u.dv(typeName, cfg),
		ProposedNewState: u.dv(typeName, u.proposedNew(typeName, null, cfg)),
	})
	if err != nil {
		u.t.Fatal(err)
	}
	res.planned = u.decode(typeName, again.PlannedState)
	res.diags = append(res.diags, again.Diagnostics...)
	return res
}

// apply runs ApplyResourceChange for a plan (create or update).
func (u *unitProvider) apply(typeName string, prior *tftypes.Value, cfg tftypes.Value, pr planResult) (tftypes.Value, []*tfprotov6.Diagnostic) {
	priorVal := tftypes.NewValue(u.objType(typeName), nil)
	if prior != nil && len(pr.replace) == 0 {
		priorVal = *prior
	}
	resp, err := u.srv.ApplyResourceChange(context.Background(), &tfprotov6.ApplyResourceChangeRequest{
		TypeName: typeName, PriorState: u.dv(typeName, priorVal), PlannedState: u.dv(typeName, pr.planned),
		Config: u.dv(typeName, cfg),
	})
	if err != nil {
		u.t.Fatal(err)
	}
	return u.decode(typeName, resp.NewState), resp.Diagnostics
}

// create plans and applies a new resource and fails the test on any error.
func (u *unitProvider) create(typeName string, attrs map[string]any) tftypes.Value {
	u.t.Helper()
	cfg := u.config(typeName, attrs)
	pr := u.plan(typeName, nil, cfg)
	if hasErrors(pr.diags) {
		u.t.Fatalf("plan %s: %s", typeName, diagText(pr.diags))
	}
	st, d := u.apply(typeName, nil, cfg, pr)
	if hasErrors(d) {
		u.t.Fatalf("apply %s: %s", typeName, diagText(d))
	}
	return st
}

// read runs ReadResource.
func (u *unitProvider) read(typeName string, state tftypes.Value) tftypes.Value {
	resp, err := u.srv.ReadResource(context.Background(), &tfprotov6.ReadResourceRequest{
		TypeName: typeName, CurrentState: u.dv(typeName, state)})
	if err != nil || hasErrors(resp.Diagnostics) {
		u.t.Fatalf("read: %v %s", err, diagText(resp.Diagnostics))
	}
	return u.decode(typeName, resp.NewState)
}

func diagText(ds []*tfprotov6.Diagnostic) string {
	var b strings.Builder
	for _, d := range ds {
		attr := ""
		if d.Attribute != nil {
			attr = d.Attribute.String()
		}
		fmt.Fprintf(&b, "[%s %s] %s: %s\n", d.Severity, attr, d.Summary, d.Detail)
	}
	return b.String()
}

// attrOf returns a top-level attribute of an object value.
func attrOf(t *testing.T, v tftypes.Value, name string) tftypes.Value {
	t.Helper()
	var m map[string]tftypes.Value
	if err := v.As(&m); err != nil {
		t.Fatal(err)
	}
	a, ok := m[name]
	if !ok {
		t.Fatalf("no attribute %q", name)
	}
	return a
}

func strOf(t *testing.T, v tftypes.Value, name string) string {
	t.Helper()
	a := attrOf(t, v, name)
	if !a.IsKnown() || a.IsNull() {
		t.Fatalf("%s is %s, want a known string", name, a)
	}
	var s string
	if err := a.As(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// withAttr returns v with one top-level attribute replaced.
func withAttr(t *testing.T, v tftypes.Value, name string, nv any) tftypes.Value {
	t.Helper()
	var m map[string]tftypes.Value
	if err := v.As(&m); err != nil {
		t.Fatal(err)
	}
	out := map[string]tftypes.Value{}
	for k, x := range m {
		out[k] = x
	}
	out[name] = toValue(v.Type().(tftypes.Object).AttributeTypes[name], nv)
	return tftypes.NewValue(v.Type(), out)
}

// wantDiag asserts that an error on attribute attrPath (top-level name,
// "" for any) matches every fragment.
func wantDiag(t *testing.T, ds []*tfprotov6.Diagnostic, attrPath string, fragments ...string) {
	t.Helper()
	for _, d := range ds {
		if d.Severity != tfprotov6.DiagnosticSeverityError {
			continue
		}
		if attrPath != "" && (d.Attribute == nil || !strings.HasPrefix(d.Attribute.String(), "AttributeName(\""+attrPath+"\")")) {
			continue
		}
		all := true
		for _, f := range fragments {
			if !strings.Contains(d.Summary+": "+d.Detail, f) {
				all = false
			}
		}
		if all {
			return
		}
	}
	t.Errorf("no error on %q containing %q; got:\n%s", attrPath, fragments, diagText(ds))
}
