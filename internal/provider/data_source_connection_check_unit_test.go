package provider

import (
	"context"
	"math/big"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// These tests drive the provider through its protocol server, as Terraform
// does, but without a CLI: ValidateDataSourceConfig runs the schema's
// attribute validators and ValidateConfig together, so "one diagnostic per
// problem" is measured on what a user would see.

const checkTypeName = "pgtls_connection_check"

type protoCheck struct {
	srv tfprotov6.ProviderServer
	typ tftypes.Object
}

func newProtoCheck(t *testing.T) protoCheck {
	t.Helper()
	srv, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	s, err := srv.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(s.Diagnostics) > 0 {
		t.Fatalf("schema: %v %v", err, s.Diagnostics)
	}
	typ, ok := s.DataSourceSchemas[checkTypeName].ValueType().(tftypes.Object)
	if !ok {
		t.Fatal("no object type for the data source")
	}
	return protoCheck{srv: srv, typ: typ}
}

// config builds the data source configuration: the given attributes, every
// other one null.
func (p protoCheck) config(t *testing.T, attrs map[string]tftypes.Value) *tfprotov6.DynamicValue {
	t.Helper()
	vals := map[string]tftypes.Value{}
	for name, at := range p.typ.AttributeTypes {
		if v, ok := attrs[name]; ok {
			vals[name] = v
		} else {
			vals[name] = tftypes.NewValue(at, nil)
		}
	}
	for name := range attrs {
		if _, ok := p.typ.AttributeTypes[name]; !ok {
			t.Fatalf("no attribute %q", name)
		}
	}
	dv, err := tfprotov6.NewDynamicValue(p.typ, tftypes.NewValue(p.typ, vals))
	if err != nil {
		t.Fatal(err)
	}
	return &dv
}

func (p protoCheck) validate(t *testing.T, attrs map[string]tftypes.Value) []*tfprotov6.Diagnostic {
	t.Helper()
	resp, err := p.srv.ValidateDataResourceConfig(context.Background(), &tfprotov6.ValidateDataResourceConfigRequest{TypeName: checkTypeName, Config: p.config(t, attrs)})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Diagnostics
}

func tfStr(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
func tfNum(n int64) tftypes.Value {
	return tftypes.NewValue(tftypes.Number, new(big.Float).SetInt64(n))
}
func tfUnknownStr() tftypes.Value { return tftypes.NewValue(tftypes.String, tftypes.UnknownValue) }
func tfStrList(ss ...tftypes.Value) tftypes.Value {
	return tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, ss)
}
func tfStrMap(m map[string]string) tftypes.Value {
	vals := map[string]tftypes.Value{}
	for k, v := range m {
		vals[k] = tfStr(v)
	}
	return tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, vals)
}

func attrPath(name string, key ...any) *tftypes.AttributePath {
	p := tftypes.NewAttributePath().WithAttributeName(name)
	for _, k := range key {
		switch k := k.(type) {
		case int:
			p = p.WithElementKeyInt(k)
		case string:
			p = p.WithElementKeyString(k)
		}
	}
	return p
}

type checkDiag struct {
	path   *tftypes.AttributePath
	detail []string // substrings of the detail: the value and the rule
}

func TestConnectionCheckOneDiagnosticPerProblem(t *testing.T) {
	p := newProtoCheck(t)
	base := func(extra map[string]tftypes.Value) map[string]tftypes.Value {
		m := map[string]tftypes.Value{"host": tfStr("127.0.0.1"), "user": tfStr("app")}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	const secret = "pw-Secret-\x00-sentinel"
	for _, c := range []struct {
		name  string
		attrs map[string]tftypes.Value
		want  []checkDiag
	}{
		{"valid", base(map[string]tftypes.Value{"port": tfNum(6432), "sslmodes": tfStrList(tfStr("require"), tfStr("verify-full")),
			"connect_timeout_seconds": tfNum(300), "expect": tfStrMap(map[string]string{"require": "success", "verify-full": "Failure"})}), nil},
		{"port-70000", base(map[string]tftypes.Value{"port": tfNum(70000)}), []checkDiag{{attrPath("port"), []string{"port = 70000", "between 1 and 65535"}}}},
		{"port-0", base(map[string]tftypes.Value{"port": tfNum(0)}), []checkDiag{{attrPath("port"), []string{"port = 0", "between 1 and 65535"}}}},
		{"port-huge", base(map[string]tftypes.Value{"port": tfNum(1 << 62)}), []checkDiag{{attrPath("port"), []string{"port = 4611686018427387904", "between 1 and 65535"}}}},
		{"timeout-negative", base(map[string]tftypes.Value{"connect_timeout_seconds": tfNum(-1)}),
			[]checkDiag{{attrPath("connect_timeout_seconds"), []string{"connect_timeout_seconds = -1", "positive and at most 300 seconds"}}}},
		{"timeout-zero", base(map[string]tftypes.Value{"connect_timeout_seconds": tfNum(0)}),
			[]checkDiag{{attrPath("connect_timeout_seconds"), []string{"connect_timeout_seconds = 0", "positive"}}}},
		{"timeout-overflow", base(map[string]tftypes.Value{"connect_timeout_seconds": tfNum(1e18)}),
			[]checkDiag{{attrPath("connect_timeout_seconds"), []string{"connect_timeout_seconds = 1000000000000000000", "at most 300 seconds"}}}},
		{"sslmodes-duplicate-and-case", base(map[string]tftypes.Value{"sslmodes": tfStrList(tfStr("require"), tfStr("require"), tfStr("REQUIRE"))}), []checkDiag{
			{attrPath("sslmodes", 1), []string{`sslmodes[1] "require"`, "listed more than once (also at index 0)"}},
			{attrPath("sslmodes", 2), []string{`sslmodes[2] "REQUIRE"`, `use "require"`}},
		}},
		{"sslmodes-empty", base(map[string]tftypes.Value{"sslmodes": tfStrList()}), []checkDiag{{attrPath("sslmodes"), []string{"at least 1", "got: 0"}}}},
		{"user-too-long", base(map[string]tftypes.Value{"user": tfStr(strings.Repeat("u", 100000))}),
			[]checkDiag{{attrPath("user"), []string{"100000 bytes", "at most 63 bytes (NAMEDATALEN-1)"}}}},
		{"database-64-bytes", base(map[string]tftypes.Value{"database": tfStr(strings.Repeat("d", 64))}),
			[]checkDiag{{attrPath("database"), []string{"64 bytes", "at most 63 bytes"}}}},
		{"expect-uppercase-mode", base(map[string]tftypes.Value{"expect": tfStrMap(map[string]string{"REQUIRE": "success"})}),
			[]checkDiag{{attrPath("expect", "REQUIRE"), []string{`expect["REQUIRE"]`, `use "require"`}}}},
		{"expect-bad-word", base(map[string]tftypes.Value{"expect": tfStrMap(map[string]string{"require": "maybe"})}),
			[]checkDiag{{attrPath("expect", "require"), []string{`"maybe"`, `"success" or "failure"`}}}},
		{"expect-unchecked-mode", base(map[string]tftypes.Value{"sslmodes": tfStrList(tfStr("disable")), "expect": tfStrMap(map[string]string{"verify-full": "success"})}),
			[]checkDiag{{attrPath("expect", "verify-full"), []string{"verify-full is expected but not checked", "sslmodes"}}}},
		{"password-nul-not-echoed", base(map[string]tftypes.Value{"password": tfStr(secret)}), []checkDiag{{attrPath("password"), []string{"NUL"}}}},
		{"client-key-without-cert", base(map[string]tftypes.Value{"client_key_pem": tfStr("x")}), []checkDiag{
			{attrPath("client_cert_pem"), []string{"must be set when client_key_pem is set"}},
			{attrPath("client_key_pem"), []string{"not PEM"}},
		}},
		// Unknown values (from resources not created yet) hold back only
		// their own problems: everything known is still checked now.
		{"unknown-pem-known-port", base(map[string]tftypes.Value{"root_cert_pem": tfUnknownStr(), "client_cert_pem": tfUnknownStr(), "port": tfNum(70000)}),
			[]checkDiag{{attrPath("port"), []string{"port = 70000"}}}},
		{"unknown-host-and-user", map[string]tftypes.Value{"host": tfUnknownStr(), "user": tfUnknownStr()}, nil},
		{"unknown-key-known-cert", base(map[string]tftypes.Value{"client_cert_pem": tfStr("not a cert"), "client_key_pem": tfUnknownStr()}),
			[]checkDiag{{attrPath("client_cert_pem"), []string{"client_cert_pem"}}}},
		{"unknown-sslmode-element", base(map[string]tftypes.Value{"sslmodes": tfStrList(tfStr("disable"), tfUnknownStr()), "expect": tfStrMap(map[string]string{"verify-full": "success"})}), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			diags := p.validate(t, c.attrs)
			for _, d := range diags {
				t.Logf("%s: %s: %s", d.Attribute, d.Summary, d.Detail)
				if strings.Contains(d.Detail, "Secret") || strings.Contains(d.Summary, "Secret") {
					t.Errorf("diagnostic echoes the password: %s", d.Detail)
				}
				if len(d.Detail) > 600 {
					t.Errorf("diagnostic detail is %d characters long", len(d.Detail))
				}
			}
			if len(diags) != len(c.want) {
				t.Fatalf("%d diagnostics, want %d", len(diags), len(c.want))
			}
			for _, w := range c.want {
				found := false
				for _, d := range diags {
					if d.Severity != tfprotov6.DiagnosticSeverityError || d.Attribute == nil || !d.Attribute.Equal(w.path) {
						continue
					}
					found = true
					for _, sub := range w.detail {
						if !strings.Contains(d.Detail, sub) {
							t.Errorf("diagnostic on %s: %q lacks %q", w.path, d.Detail, sub)
						}
					}
				}
				if !found {
					t.Errorf("no error diagnostic on %s", w.path)
				}
			}
		})
	}
}

// TestConnectionCheckReadExpectations reads the data source through the
// protocol server (no CLI) against a real PostgreSQL 15: one error per mode
// whose outcome differs from expect, on that expect key, and the results in
// state either way.
func TestConnectionCheckReadExpectations(t *testing.T) {
	testserver.RequirePostgres(t)
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{SSL: true, HBA: "hostssl all app 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 reject", Roles: []string{"app"}})
	p := newProtoCheck(t)
	read := func(expect map[string]string) (*tfprotov6.ReadDataSourceResponse, map[string]tftypes.Value) {
		resp, err := p.srv.ReadDataSource(context.Background(), &tfprotov6.ReadDataSourceRequest{TypeName: checkTypeName, Config: p.config(t, map[string]tftypes.Value{
			"host": tfStr(pg.Host), "port": tfNum(int64(pg.Port)), "user": tfStr("app"), "database": tfStr("postgres"),
			"sslmodes": tfStrList(tfStr("disable"), tfStr("prefer"), tfStr("require")), "expect": tfStrMap(expect),
		})})
		if err != nil {
			t.Fatal(err)
		}
		var state map[string]tftypes.Value
		if resp.State != nil {
			v, err := resp.State.Unmarshal(p.typ)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.As(&state); err != nil {
				t.Fatal(err)
			}
		}
		return resp, state
	}

	resp, state := read(map[string]string{"disable": "failure", "prefer": "success", "require": "success"})
	if len(resp.Diagnostics) != 0 {
		t.Fatalf("expectations met, yet: %v", resp.Diagnostics)
	}
	var met bool
	if err := state["expectations_met"].As(&met); err != nil || !met {
		t.Errorf("expectations_met = %v (%v)", state["expectations_met"], err)
	}

	resp, state = read(map[string]string{"disable": "success", "prefer": "success", "require": "failure"})
	if len(resp.Diagnostics) != 2 {
		t.Fatalf("want one error per differing mode (disable, require), got %v", resp.Diagnostics)
	}
	for i, mode := range []string{"disable", "require"} {
		d := resp.Diagnostics[i]
		if !d.Attribute.Equal(attrPath("expect", mode)) || !strings.Contains(d.Summary, mode) {
			t.Errorf("diagnostic %d on %s (%s), want expect[%q]", i, d.Attribute, d.Summary, mode)
		}
	}
	if !strings.Contains(resp.Diagnostics[0].Detail, "expected success, got failure") || !strings.Contains(resp.Diagnostics[0].Detail, "pg_hba.conf rejects connection") {
		t.Errorf("disable: %s", resp.Diagnostics[0].Detail)
	}
	if !strings.Contains(resp.Diagnostics[1].Detail, "expected failure, got success") || !strings.Contains(resp.Diagnostics[1].Detail, "as app") {
		t.Errorf("require: %s", resp.Diagnostics[1].Detail)
	}
	var results map[string]tftypes.Value
	if err := state["results"].As(&results); err != nil || len(results) != 3 {
		t.Fatalf("results %v (%v)", state["results"], err)
	}
}
