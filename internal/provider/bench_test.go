package provider

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/pgtls/terraform-provider-pgtls/internal/hba"
)

var hbaRuleObjectType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"type": types.StringType, "databases": types.ListType{ElemType: types.StringType}, "users": types.ListType{ElemType: types.StringType},
	"address": types.StringType, "netmask": types.StringType, "method": types.StringType, "clientcert": types.StringType,
	"clientname": types.StringType, "map": types.StringType, "options": types.MapType{ElemType: types.StringType},
	"secret_options": types.MapType{ElemType: types.StringType}, "comment": types.StringType,
}}

// ruleObject builds one inline rule of pgtls_hba_file as Terraform sends it.
func ruleObject(typ, db, user, address, method string) attr.Value {
	null := types.StringNull()
	return types.ObjectValueMust(hbaRuleObjectType.AttrTypes, map[string]attr.Value{
		"type": types.StringValue(typ), "databases": stringList([]string{db}), "users": stringList([]string{user}),
		"address": types.StringValue(address), "netmask": null, "method": types.StringValue(method), "clientcert": null,
		"clientname": null, "map": null, "options": types.MapNull(types.StringType), "secret_options": types.MapNull(types.StringType),
		"comment": null,
	})
}

func hbaFileModelWith(n int) *hbaFileModel {
	elems := make([]attr.Value, n)
	for i := range elems {
		elems[i] = ruleObject("hostssl", fmt.Sprintf("db%d", i), fmt.Sprintf("user%d", i), fmt.Sprintf("10.%d.%d.0/24", i/256%256, i%256), "scram-sha-256")
	}
	return &hbaFileModel{
		Rules:           types.ListValueMust(hbaRuleObjectType, elems),
		IdentMaps:       types.ListNull(types.ObjectType{AttrTypes: map[string]attr.Type{"name": types.StringType, "mappings": types.ListType{ElemType: types.ObjectType{AttrTypes: identMappingAttrTypes}}}}),
		Target:          types.StringValue(string(hba.TargetPostgreSQL)),
		PostgresVersion: types.Int64Value(16),
		Header:          types.StringNull(),
		Lint:            types.ObjectNull(map[string]attr.Type{"fail_on": types.ListType{ElemType: types.StringType}, "ignore": types.ListType{ElemType: types.StringType}}),
	}
}

// BenchmarkHBAFilePlan10000 is the provider side of a plan of a
// pgtls_hba_file with 10,000 inline rules: conversion from Terraform
// values, validation, both renderings, lint.
func BenchmarkHBAFilePlan10000(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		m := hbaFileModelWith(10000)
		b.StartTimer()
		var d diag.Diagnostics
		if !buildHBAFile(context.Background(), defaultProviderData(nil), m, &d) || d.HasError() {
			b.Fatal(d)
		}
	}
}

// benchClientCert is a provider with a P-256 root CA in state and the
// configuration of one client certificate it signs, for the per-resource
// benchmarks of the path Terraform drives: validate + plan, apply, read.
func benchClientCert(b *testing.B) (*unitProvider, tftypes.Value) {
	b.Helper()
	u := newUnitProvider(b, time.Now)
	root := u.create("pgtls_root_ca", map[string]any{"subject": map[string]any{"common_name": "bench root"}})
	var certPEM, keyPEM string
	var m map[string]tftypes.Value
	if err := root.As(&m); err != nil {
		b.Fatal(err)
	}
	if err := m["cert_pem"].As(&certPEM); err != nil {
		b.Fatal(err)
	}
	if err := m["private_key_pem"].As(&keyPEM); err != nil {
		b.Fatal(err)
	}
	cfg := u.config("pgtls_client_cert", map[string]any{"user": "app", "ca_cert_pem": certPEM, "ca_private_key_pem": keyPEM})
	return u, cfg
}

// benchClientCertInState is benchClientCert with the certificate planned
// and applied: its configuration and state.
func benchClientCertInState(b *testing.B) (*unitProvider, tftypes.Value, tftypes.Value) {
	u, cfg := benchClientCert(b)
	pr := u.plan("pgtls_client_cert", nil, cfg)
	st, d := u.apply("pgtls_client_cert", nil, cfg, pr)
	if hasErrors(d) {
		b.Fatal(diagText(d))
	}
	return u, cfg, st
}

// BenchmarkClientCertPlanCreate: ValidateResourceConfig and
// PlanResourceChange of a new client certificate (what a plan from empty
// state costs the provider per certificate).
func BenchmarkClientCertPlanCreate(b *testing.B) {
	u, cfg := benchClientCert(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if pr := u.plan("pgtls_client_cert", nil, cfg); hasErrors(pr.diags) {
			b.Fatal(diagText(pr.diags))
		}
	}
}

// BenchmarkClientCertApplyCreate: ApplyResourceChange of a planned client
// certificate (key generation and signing included).
func BenchmarkClientCertApplyCreate(b *testing.B) {
	u, cfg := benchClientCert(b)
	pr := u.plan("pgtls_client_cert", nil, cfg)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, d := u.apply("pgtls_client_cert", nil, cfg, pr); hasErrors(d) {
			b.Fatal(diagText(d))
		}
	}
}

// BenchmarkClientCertNoopPlan: ReadResource (refresh) then
// PlanResourceChange against the refreshed state, with nothing to change:
// what a no-op `terraform plan` costs the provider per certificate.
func BenchmarkClientCertNoopPlan(b *testing.B) {
	u, cfg, st := benchClientCertInState(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		refreshed := u.read("pgtls_client_cert", st)
		if pr := u.plan("pgtls_client_cert", &refreshed, cfg); hasErrors(pr.diags) || len(pr.replace) > 0 {
			b.Fatalf("no-op plan: replace %v %s", pr.replace, diagText(pr.diags))
		}
	}
}

// hbaFileConfig is a pgtls_hba_file configuration of n inline rules as
// Terraform sends it (distinct databases, users and /24 networks).
func hbaFileConfig(u *unitProvider, n int) tftypes.Value {
	rules := make([]any, n)
	for i := range rules {
		rules[i] = map[string]any{"type": "hostssl", "databases": []string{fmt.Sprintf("db%d", i)}, "users": []string{fmt.Sprintf("user%d", i)},
			"address": fmt.Sprintf("10.%d.%d.0/24", i/256%256, i%256), "method": "scram-sha-256"}
	}
	return u.config("pgtls_hba_file", map[string]any{"rules": rules})
}

// benchHBAFileProto is the provider's whole share of a plan (validate and
// plan) and of an apply of a pgtls_hba_file with n inline rules, through
// the protocol server as a CLI drives it.
func benchHBAFileProto(b *testing.B, n int) {
	u := newUnitProvider(b, time.Now)
	cfg := hbaFileConfig(u, n)
	b.Run("plan", func(b *testing.B) {
		for b.Loop() {
			if pr := u.plan("pgtls_hba_file", nil, cfg); hasErrors(pr.diags) {
				b.Fatal(diagText(pr.diags))
			}
		}
	})
	pr := u.plan("pgtls_hba_file", nil, cfg)
	b.Run("apply", func(b *testing.B) {
		for b.Loop() {
			if _, d := u.apply("pgtls_hba_file", nil, cfg, pr); hasErrors(d) {
				b.Fatal(diagText(d))
			}
		}
	})
	st, _ := u.apply("pgtls_hba_file", nil, cfg, pr)
	b.Run("noop-plan", func(b *testing.B) {
		for b.Loop() {
			refreshed := u.read("pgtls_hba_file", st)
			if pr := u.plan("pgtls_hba_file", &refreshed, cfg); hasErrors(pr.diags) || len(pr.replace) > 0 {
				b.Fatalf("no-op plan: replace %v %s", pr.replace, diagText(pr.diags))
			}
		}
	})
}

func BenchmarkHBAFileProto1000(b *testing.B) { benchHBAFileProto(b, 1000) }
func BenchmarkHBAFileProto3000(b *testing.B) { benchHBAFileProto(b, 3000) }

// The framework floor: pgtls's exact schemas (validators, plan modifiers
// and defaults included) served by terraform-plugin-framework with none of
// pgtls's own code (no ValidateConfig, ModifyPlan or CRUD logic). What a
// resource costs above this floor is pgtls's; the floor itself is the
// framework's handling of the values (decoding, defaults, per-attribute
// validation and plan modification, encoding).
type frameworkFloorProvider struct{ *pgtlsProvider }

func (p frameworkFloorProvider) Resources(ctx context.Context) []func() resource.Resource {
	var out []func() resource.Resource
	for _, f := range p.pgtlsProvider.Resources(ctx) {
		out = append(out, func() resource.Resource { return schemaOnly{f()} })
	}
	return out
}

func (p frameworkFloorProvider) DataSources(context.Context) []func() datasource.DataSource {
	return nil
}

// schemaOnly keeps a resource's name and schema and nothing else.
type schemaOnly struct{ inner resource.Resource }

func (r schemaOnly) Metadata(ctx context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	r.inner.Metadata(ctx, req, resp)
}
func (r schemaOnly) Schema(ctx context.Context, req resource.SchemaRequest, resp *resource.SchemaResponse) {
	r.inner.Schema(ctx, req, resp)
}
func (schemaOnly) Create(context.Context, resource.CreateRequest, *resource.CreateResponse) {}
func (schemaOnly) Read(context.Context, resource.ReadRequest, *resource.ReadResponse)       {}
func (schemaOnly) Update(context.Context, resource.UpdateRequest, *resource.UpdateResponse) {}
func (schemaOnly) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}

func newFloorProvider(b *testing.B) *unitProvider {
	return newUnitProviderFor(b, frameworkFloorProvider{&pgtlsProvider{version: "floor", clock: time.Now}})
}

// benchFloor is a plan from empty state and a no-op plan (refresh, plan
// against the state pgtls wrote) of one resource on the framework floor.
func benchFloor(b *testing.B, typeName string, cfg, state tftypes.Value) {
	f := newFloorProvider(b)
	b.Run("plan", func(b *testing.B) {
		for b.Loop() {
			if pr := f.plan(typeName, nil, cfg); hasErrors(pr.diags) {
				b.Fatal(diagText(pr.diags))
			}
		}
	})
	b.Run("noop-plan", func(b *testing.B) {
		for b.Loop() {
			refreshed := f.read(typeName, state)
			if pr := f.plan(typeName, &refreshed, cfg); hasErrors(pr.diags) {
				b.Fatal(diagText(pr.diags))
			}
		}
	})
}

// BenchmarkFloorClientCert is BenchmarkClientCertPlanCreate and
// BenchmarkClientCertNoopPlan without pgtls's code.
func BenchmarkFloorClientCert(b *testing.B) {
	_, cfg, st := benchClientCertInState(b)
	benchFloor(b, "pgtls_client_cert", cfg, st)
}

// BenchmarkFloorHBAFile1000 is BenchmarkHBAFileProto1000 without pgtls's code.
func BenchmarkFloorHBAFile1000(b *testing.B) {
	u := newUnitProvider(b, time.Now)
	cfg := hbaFileConfig(u, 1000)
	pr := u.plan("pgtls_hba_file", nil, cfg)
	st, d := u.apply("pgtls_hba_file", nil, cfg, pr)
	if hasErrors(d) {
		b.Fatal(diagText(d))
	}
	benchFloor(b, "pgtls_hba_file", cfg, st)
}
