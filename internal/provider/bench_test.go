package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

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
