package provider

import (
	"context"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// inPlace lists, per resource type, the configurable attributes that change
// in place on purpose, each with the reason. Every other Required or
// Optional attribute of every resource the provider registers must declare
// its replacement in the schema (a plan modifier that requires replace when
// the value changes): TestSchemaReplacement fails otherwise, so an attribute
// someone adds without deciding becomes a test failure, not a silent
// in-place update that never re-issues a certificate. The decision on an
// attribute covers the attributes nested in it.
var inPlace = map[string]map[string]string{
	// Certificates: only the renewal window and mode change in place. They
	// decide when and how a plan renews the certificate; the certificate is
	// the same.
	"pgtls_root_ca":         {"early_renewal_hours": "renewal window only", "reuse_key_on_renewal": "renewal mode only"},
	"pgtls_intermediate_ca": {"early_renewal_hours": "renewal window only", "reuse_key_on_renewal": "renewal mode only"},
	"pgtls_server_cert":     {"early_renewal_hours": "renewal window only", "reuse_key_on_renewal": "renewal mode only"},
	"pgtls_client_cert":     {"early_renewal_hours": "renewal window only", "reuse_key_on_renewal": "renewal mode only"},

	// Files on disk: an update rewrites exactly the files that differ, each
	// atomically (replacing the whole set would delete every file first).
	// Only the directory replaces the set.
	"pgtls_file_set": {
		"files": "files rewritten in place", "sensitive_files": "files rewritten in place",
		"owner": "ownership changed in place", "group": "ownership changed in place",
		"layout": "only changes default modes, applied in place",
		"reload": "how to reach the server; a reload happens only when files change",
	},

	// A CRL is re-issued in place with the next crl_number: a replacement
	// would start a new resource without the previous number and without
	// the entries kept until expiry.
	"pgtls_crl": {"ca_cert_pem": "re-issued in place", "ca_private_key_pem": "re-issued in place", "revoked": "re-issued in place",
		"validity_period_hours": "re-issued in place", "early_renewal_hours": "renewal window only"},

	// The verifier is recomputed in place (with a fresh random salt when the
	// password or iterations change, ModifyPlan decides): nothing else holds it.
	"pgtls_scram_verifier": {"password": "recomputed", "iterations": "recomputed", "salt": "recomputed"},
	// userlist.txt is re-rendered in place; verifiers computed from
	// passwords keep their salt (in state) across updates.
	"pgtls_pgbouncer_userlist": {"header": "rendered", "scram_iterations": "recomputed", "users": "recomputed"},
}

// TestSchemaReplacement walks the schema of every resource the provider
// registers (so resources added later are covered too).
func TestSchemaReplacement(t *testing.T) {
	ctx := context.Background()
	p := NewWithClock("test", nil)()
	seen := map[string]bool{}
	var problems []string
	for _, newResource := range p.Resources(ctx) {
		r := newResource()
		var md resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "pgtls"}, &md)
		var sr resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &sr)
		if sr.Diagnostics.HasError() {
			t.Fatalf("%s: schema: %v", md.TypeName, sr.Diagnostics)
		}
		seen[md.TypeName] = true
		if _, ok := r.(interface{ rendersInPlace() }); ok {
			// Built with newRenderedResource: every input re-renders in
			// place by construction.
			if _, listed := inPlace[md.TypeName]; listed {
				problems = append(problems, fmt.Sprintf("%s is a rendered resource (in place by construction) but also listed in inPlace", md.TypeName))
			}
			continue
		}
		allowed := inPlace[md.TypeName]
		for _, name := range sortedKeys(sr.Schema.Attributes) {
			a := sr.Schema.Attributes[name]
			if !a.IsRequired() && !a.IsOptional() {
				if _, ok := allowed[name]; ok {
					problems = append(problems, fmt.Sprintf("%s.%s is listed as in-place but is not configurable", md.TypeName, name))
				}
				continue
			}
			replaces, err := requiresReplace(ctx, sr.Schema, name, a)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s.%s: %v", md.TypeName, name, err))
				continue
			}
			_, listed := allowed[name]
			switch {
			case replaces && listed:
				problems = append(problems, fmt.Sprintf("%s.%s replaces the resource but is listed as in-place", md.TypeName, name))
			case !replaces && !listed:
				problems = append(problems, fmt.Sprintf("%s.%s is configurable but neither requires replacement nor is listed as in-place on purpose", md.TypeName, name))
			}
		}
		for name := range allowed {
			if _, ok := sr.Schema.Attributes[name]; !ok {
				problems = append(problems, fmt.Sprintf("%s.%s is listed as in-place but does not exist", md.TypeName, name))
			}
		}
	}
	for typeName := range inPlace {
		if !seen[typeName] {
			problems = append(problems, fmt.Sprintf("%s is in the in-place list but not registered by the provider", typeName))
		}
	}
	if len(problems) > 0 {
		t.Fatalf("replacement is not declared for %d attribute(s):\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
}

func sortedKeys(m map[string]schema.Attribute) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// requiresReplace runs an attribute's plan modifiers on an update that
// changes its value and reports whether they ask for a replacement. Running
// them (rather than recognising RequiresReplace by name) also covers custom
// modifiers.
func requiresReplace(ctx context.Context, s schema.Schema, name string, a schema.Attribute) (bool, error) {
	typ := a.GetType()
	prior, err := typ.ValueFromTerraform(ctx, tftypes.NewValue(typ.TerraformType(ctx), nil))
	if err != nil {
		return false, err
	}
	planned, err := typ.ValueFromTerraform(ctx, sampleValue(typ.TerraformType(ctx)))
	if err != nil {
		return false, err
	}
	whole := allNullObject(ctx, s)
	p := path.Root(name)
	cfg := tfsdk.Config{Schema: s, Raw: whole}
	plan := tfsdk.Plan{Schema: s, Raw: whole}
	state := tfsdk.State{Schema: s, Raw: whole}
	switch at := a.(type) {
	case schema.StringAttribute:
		req := planmodifier.StringRequest{Path: p, Config: cfg, Plan: plan, State: state,
			ConfigValue: planned.(basetypes.StringValue), PlanValue: planned.(basetypes.StringValue), StateValue: prior.(basetypes.StringValue)}
		for _, m := range at.PlanModifiers {
			var resp planmodifier.StringResponse
			resp.PlanValue = req.PlanValue
			m.PlanModifyString(ctx, req, &resp)
			if resp.RequiresReplace {
				return true, nil
			}
			req.PlanValue = resp.PlanValue
		}
	case schema.Int64Attribute:
		req := planmodifier.Int64Request{Path: p, Config: cfg, Plan: plan, State: state,
			ConfigValue: planned.(basetypes.Int64Value), PlanValue: planned.(basetypes.Int64Value), StateValue: prior.(basetypes.Int64Value)}
		for _, m := range at.PlanModifiers {
			var resp planmodifier.Int64Response
			resp.PlanValue = req.PlanValue
			m.PlanModifyInt64(ctx, req, &resp)
			if resp.RequiresReplace {
				return true, nil
			}
			req.PlanValue = resp.PlanValue
		}
	case schema.BoolAttribute:
		req := planmodifier.BoolRequest{Path: p, Config: cfg, Plan: plan, State: state,
			ConfigValue: planned.(basetypes.BoolValue), PlanValue: planned.(basetypes.BoolValue), StateValue: prior.(basetypes.BoolValue)}
		for _, m := range at.PlanModifiers {
			var resp planmodifier.BoolResponse
			resp.PlanValue = req.PlanValue
			m.PlanModifyBool(ctx, req, &resp)
			if resp.RequiresReplace {
				return true, nil
			}
			req.PlanValue = resp.PlanValue
		}
	case schema.ListAttribute:
		req := planmodifier.ListRequest{Path: p, Config: cfg, Plan: plan, State: state,
			ConfigValue: planned.(basetypes.ListValue), PlanValue: planned.(basetypes.ListValue), StateValue: prior.(basetypes.ListValue)}
		for _, m := range at.PlanModifiers {
			var resp planmodifier.ListResponse
			resp.PlanValue = req.PlanValue
			m.PlanModifyList(ctx, req, &resp)
			if resp.RequiresReplace {
				return true, nil
			}
			req.PlanValue = resp.PlanValue
		}
	case schema.ListNestedAttribute:
		req := planmodifier.ListRequest{Path: p, Config: cfg, Plan: plan, State: state,
			ConfigValue: planned.(basetypes.ListValue), PlanValue: planned.(basetypes.ListValue), StateValue: prior.(basetypes.ListValue)}
		for _, m := range at.PlanModifiers {
			var resp planmodifier.ListResponse
			resp.PlanValue = req.PlanValue
			m.PlanModifyList(ctx, req, &resp)
			if resp.RequiresReplace {
				return true, nil
			}
			req.PlanValue = resp.PlanValue
		}
	case schema.MapAttribute:
		req := planmodifier.MapRequest{Path: p, Config: cfg, Plan: plan, State: state,
			ConfigValue: planned.(basetypes.MapValue), PlanValue: planned.(basetypes.MapValue), StateValue: prior.(basetypes.MapValue)}
		for _, m := range at.PlanModifiers {
			var resp planmodifier.MapResponse
			resp.PlanValue = req.PlanValue
			m.PlanModifyMap(ctx, req, &resp)
			if resp.RequiresReplace {
				return true, nil
			}
			req.PlanValue = resp.PlanValue
		}
	case schema.MapNestedAttribute:
		req := planmodifier.MapRequest{Path: p, Config: cfg, Plan: plan, State: state,
			ConfigValue: planned.(basetypes.MapValue), PlanValue: planned.(basetypes.MapValue), StateValue: prior.(basetypes.MapValue)}
		for _, m := range at.PlanModifiers {
			var resp planmodifier.MapResponse
			resp.PlanValue = req.PlanValue
			m.PlanModifyMap(ctx, req, &resp)
			if resp.RequiresReplace {
				return true, nil
			}
			req.PlanValue = resp.PlanValue
		}
	case schema.SingleNestedAttribute:
		req := planmodifier.ObjectRequest{Path: p, Config: cfg, Plan: plan, State: state,
			ConfigValue: planned.(basetypes.ObjectValue), PlanValue: planned.(basetypes.ObjectValue), StateValue: prior.(basetypes.ObjectValue)}
		for _, m := range at.PlanModifiers {
			var resp planmodifier.ObjectResponse
			resp.PlanValue = req.PlanValue
			m.PlanModifyObject(ctx, req, &resp)
			if resp.RequiresReplace {
				return true, nil
			}
			req.PlanValue = resp.PlanValue
		}
	default:
		return false, fmt.Errorf("attribute kind %T is not handled by this test: extend requiresReplace", a)
	}
	return false, nil
}

// sampleValue is a known, non-null value of a Terraform type.
func sampleValue(typ tftypes.Type) tftypes.Value {
	switch {
	case typ.Is(tftypes.String):
		return tftypes.NewValue(typ, "x")
	case typ.Is(tftypes.Number):
		return tftypes.NewValue(typ, big.NewFloat(1))
	case typ.Is(tftypes.Bool):
		return tftypes.NewValue(typ, true)
	case typ.Is(tftypes.List{}):
		return tftypes.NewValue(typ, []tftypes.Value{sampleValue(typ.(tftypes.List).ElementType)})
	case typ.Is(tftypes.Set{}):
		return tftypes.NewValue(typ, []tftypes.Value{sampleValue(typ.(tftypes.Set).ElementType)})
	case typ.Is(tftypes.Map{}):
		return tftypes.NewValue(typ, map[string]tftypes.Value{"k": sampleValue(typ.(tftypes.Map).ElementType)})
	case typ.Is(tftypes.Object{}):
		vals := map[string]tftypes.Value{}
		for k, at := range typ.(tftypes.Object).AttributeTypes {
			vals[k] = sampleValue(at)
		}
		return tftypes.NewValue(typ, vals)
	}
	panic(fmt.Sprintf("sampleValue: unhandled type %s", typ))
}

// allNullObject is a resource object whose attributes are all null.
func allNullObject(ctx context.Context, s schema.Schema) tftypes.Value {
	typ := s.Type().TerraformType(ctx).(tftypes.Object)
	vals := map[string]tftypes.Value{}
	for k, at := range typ.AttributeTypes {
		vals[k] = tftypes.NewValue(at, nil)
	}
	return tftypes.NewValue(typ, vals)
}
