package provider

// Unit tests (no Terraform CLI) of the plan-time logic of the issue 9
// resources and function: schema validity, attribute diagnostics, and the
// function's Run.

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestConfSchemasValid(t *testing.T) {
	ctx := context.Background()
	for _, r := range []resource.Resource{NewPostgresqlConfResource(), NewScramVerifierResource(), NewLibpqBundleResource()} {
		var resp resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &resp)
		if resp.Diagnostics.HasError() {
			t.Fatal(resp.Diagnostics)
		}
		if d := resp.Schema.ValidateImplementation(ctx); d.HasError() {
			t.Errorf("%T: %v", r, d)
		}
		for name, a := range resp.Schema.Attributes {
			switch name {
			case "password", "ssl_passphrase_command", "private_key_pem", "private_key_pk8_base64", "verifier",
				"sensitive_content", "sensitive_parameters":
				if !a.IsSensitive() {
					t.Errorf("%T.%s holds a secret but is not Sensitive", r, name)
				}
			}
		}
	}
}

func nullConfModel() postgresqlConfModel {
	m := postgresqlConfModel{PostgresVersion: types.Int64Null(), HBAContent: types.StringNull(), ListenAddresses: types.ListNull(types.StringType)}
	for _, p := range []*types.String{&m.SSLCertFile, &m.SSLKeyFile, &m.SSLCAFile, &m.SSLCRLFile, &m.SSLCRLDir, &m.SSLCiphers,
		&m.SSLMinProtocolVersion, &m.SSLMaxProtocolVersion, &m.SSLECDHCurve, &m.SSLGroups, &m.SSLTLS13Ciphers,
		&m.SSLDHParamsFile, &m.SSLPassphraseCommand, &m.PasswordEncryption, &m.HBAFile, &m.IdentFile} {
		*p = types.StringNull()
	}
	for _, p := range []*types.Bool{&m.SSL, &m.SSLPreferServerCiphers, &m.SSLPassphraseCommandSupportsReload} {
		*p = types.BoolNull()
	}
	return m
}

func errorPaths(d diag.Diagnostics) (errs, warns []string) {
	for _, x := range d {
		p := ""
		if wp, ok := x.(diag.DiagnosticWithPath); ok {
			p = wp.Path().String()
		}
		if x.Severity() == diag.SeverityError {
			errs = append(errs, p+": "+x.Detail())
		} else {
			warns = append(warns, p+": "+x.Detail())
		}
	}
	return
}

func TestPostgresqlConfPlanChecks(t *testing.T) {
	ctx := context.Background()
	data := defaultProviderData(nil)

	m := nullConfModel()
	m.PostgresVersion = types.Int64Value(13)
	m.SSLCRLDir = types.StringValue("/etc/crls")
	m.SSLCiphers = types.StringValue("ALL:RC4")
	var d diag.Diagnostics
	if buildPostgresqlConf(ctx, data, &m, &d) {
		t.Fatal("ssl_crl_dir on 13 accepted")
	}
	errs, warns := errorPaths(d)
	if len(errs) != 1 || !strings.HasPrefix(errs[0], "ssl_crl_dir: ssl_crl_dir needs PostgreSQL 14") {
		t.Errorf("errors %q", errs)
	}
	// ALL:RC4 enables RC4 and, without !aNULL, the anonymous suites: one
	// warning each, both on ssl_ciphers.
	if len(warns) != 2 || !strings.HasPrefix(warns[0], "ssl_ciphers: ") || !strings.HasPrefix(warns[1], "ssl_ciphers: ") {
		t.Errorf("warnings %q", warns)
	}

	m = nullConfModel()
	m.SSLPassphraseCommand = types.StringValue("get-pass hunter2")
	m.ListenAddresses = types.ListValueMust(types.StringType, []attr.Value{types.StringValue("*")})
	d = nil
	if !buildPostgresqlConf(ctx, data, &m, &d) || d.HasError() {
		t.Fatalf("valid config refused: %v", d)
	}
	if strings.Contains(m.Content.ValueString(), "hunter2") || !strings.Contains(m.SensitiveContent.ValueString(), "hunter2") ||
		strings.Contains(m.ID.ValueString()+m.SHA256.ValueString(), "hunter2") {
		t.Errorf("secret placement wrong:\n%s", m.Content.ValueString())
	}
	if v := m.Parameters.Elements()["listen_addresses"]; v.String() != `"*"` {
		t.Errorf("listen_addresses = %v", v)
	}

	// Unknown inputs: nothing is rendered yet, no error.
	m = nullConfModel()
	m.SSLCiphers = types.StringUnknown()
	d = nil
	if buildPostgresqlConf(ctx, data, &m, &d) || d.HasError() {
		t.Errorf("unknown input rendered or failed: %v", d)
	}
}

func nullBundleModel() libpqBundleModel {
	return libpqBundleModel{Hosts: types.ListValueMust(types.StringType, []attr.Value{types.StringValue("db.example.com")}),
		Ports: types.ListNull(types.Int64Type), DBName: types.StringNull(), User: types.StringNull(), SSLMode: types.StringValue("verify-full"),
		Directory: types.StringNull(), CertPEM: types.StringNull(), PrivateKeyPEM: types.StringNull(), RootCertPEM: types.StringNull(),
		CRLPEM: types.StringNull(), Params: types.MapNull(types.StringType), ServiceName: types.StringValue("pgtls")}
}

func TestLibpqBundlePlanChecks(t *testing.T) {
	ctx := context.Background()
	m := nullBundleModel()
	m.Params = types.MapValueMust(types.StringType, map[string]attr.Value{"password": types.StringValue("hunter2"), "bogus": types.StringValue("x")})
	m.Ports = types.ListValueMust(types.Int64Type, []attr.Value{types.Int64Value(1), types.Int64Value(2)})
	var d diag.Diagnostics
	if buildLibpqBundle(ctx, nil, &m, &d) {
		t.Fatal("invalid bundle accepted")
	}
	errs, _ := errorPaths(d)
	joined := strings.Join(errs, "\n")
	for _, want := range []string{`root_cert_pem: sslmode=verify-full needs a root certificate`, `ports: 2 ports for 1 hosts`,
		`params["password"]: "password" holds a secret`, `params["bogus"]: "bogus" is not a libpq connection keyword`} {
		if !strings.Contains(joined, want) {
			t.Errorf("errors lack %q:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "hunter2") {
		t.Error("an error echoes the password")
	}

	m = nullBundleModel()
	m.RootCertPEM = types.StringValue("-----BEGIN CERTIFICATE-----\n")
	m.Directory = types.StringValue("/etc/app/pg")
	d = nil
	if !buildLibpqBundle(ctx, nil, &m, &d) {
		t.Fatalf("valid bundle refused: %v", d)
	}
	if got := m.Conninfo.ValueString(); got != "host=db.example.com sslmode=verify-full sslrootcert=/etc/app/pg/root.crt" {
		t.Errorf("conninfo %q", got)
	}
	if got := m.URI.ValueString(); got != "postgresql://db.example.com?sslmode=verify-full&sslrootcert=%2Fetc%2Fapp%2Fpg%2Froot.crt" {
		t.Errorf("uri %q", got)
	}
}

func TestConninfoFunctionRun(t *testing.T) {
	ctx := context.Background()
	f := NewConninfoFunction()
	run := func(params map[string]attr.Value, formats ...string) (string, *function.FuncError) {
		var fv []attr.Value
		var ft []attr.Type
		for _, s := range formats {
			fv = append(fv, types.StringValue(s))
			ft = append(ft, types.StringType)
		}
		args := function.NewArgumentsData([]attr.Value{
			types.MapValueMust(types.StringType, params),
			types.TupleValueMust(ft, fv),
		})
		resp := function.RunResponse{Result: function.NewResultData(types.StringUnknown())}
		f.Run(ctx, function.RunRequest{Arguments: args}, &resp)
		if resp.Error != nil {
			return "", resp.Error
		}
		return resp.Result.Value().(types.String).ValueString(), nil
	}
	got, err := run(map[string]attr.Value{"host": types.StringValue("/var/run/postgresql"), "dbname": types.StringValue("it's")})
	if err != nil || got != `host=/var/run/postgresql dbname='it\'s'` {
		t.Errorf("keyword: %q %v", got, err)
	}
	if _, err := run(map[string]attr.Value{"host": types.StringValue("h")}, "yaml"); err == nil || !strings.Contains(err.Text, `format "yaml"`) {
		t.Errorf("bad format: %v", err)
	}
}
