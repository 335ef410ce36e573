package provider

// Unit tests of the hba/ident resources and the parse data source that need
// no Terraform CLI: the build functions that run at plan and apply time,
// the plan-time checks, and the mapping of domain results to state.

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pgtls/terraform-provider-pgtls/internal/hba"
)

func strMap(kv ...string) types.Map {
	m := map[string]attr.Value{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = types.StringValue(kv[i+1])
	}
	return types.MapValueMust(types.StringType, m)
}

// ruleModel is an hbaRuleModel with everything null but what is given.
func ruleModel(typ, address, method string) hbaRuleModel {
	null := types.StringNull()
	return hbaRuleModel{
		Type: types.StringValue(typ), Databases: types.ListNull(types.StringType), Users: types.ListNull(types.StringType),
		Address: types.StringValue(address), Netmask: null, Method: types.StringValue(method), ClientCert: null,
		ClientName: null, Map: null, Options: types.MapNull(types.StringType), Secrets: types.MapNull(types.StringType), Comment: null,
	}
}

// errorPaths lists the attribute paths of the error diagnostics.
func hbaErrorPaths(d diag.Diagnostics) []string {
	var out []string
	for _, e := range d.Errors() {
		if wp, ok := e.(diag.DiagnosticWithPath); ok {
			out = append(out, wp.Path().String())
		} else {
			out = append(out, "<no path>")
		}
	}
	return out
}

func hbaDiagText(d diag.Diagnostics) string {
	var b strings.Builder
	for _, x := range d {
		b.WriteString(x.Summary() + ": " + x.Detail() + "\n")
	}
	return b.String()
}

func TestBuildHBARuleSecretsAndIDs(t *testing.T) {
	ctx := context.Background()
	data := defaultProviderData(nil)
	const secret = "UnitSentinel42"

	m := hbaRuleResourceModel{hbaRuleModel: ruleModel("hostssl", "10.0.0.0/8", "radius"), PostgresVersion: types.Int64Null()}
	m.Options = strMap("radiusservers", "127.0.0.1")
	m.Secrets = strMap("radiussecrets", secret)
	var d diag.Diagnostics
	if !buildHBARule(ctx, data, &m, &d) || d.HasError() {
		t.Fatalf("valid rule refused: %s", hbaDiagText(d))
	}
	if strings.Contains(m.Line.ValueString(), secret) || !strings.Contains(m.Line.ValueString(), `radiussecrets="(sensitive)"`) {
		t.Errorf("line is not the masked copy: %q", m.Line.ValueString())
	}
	if !strings.Contains(m.SensitiveLine.ValueString(), "radiussecrets="+secret) {
		t.Errorf("sensitive_line lacks the secret: %q", m.SensitiveLine.ValueString())
	}
	if m.ID.ValueString() != sha256Hex(m.Line.ValueString()) {
		t.Errorf("id %q is not the SHA-256 of line", m.ID.ValueString())
	}

	// A secret in options: refused on the map key, value not echoed.
	m = hbaRuleResourceModel{hbaRuleModel: ruleModel("hostssl", "10.0.0.0/8", "radius"), PostgresVersion: types.Int64Null()}
	m.Options = strMap("radiusservers", "127.0.0.1", "radiussecrets", secret)
	d = nil
	if buildHBARule(ctx, data, &m, &d) {
		t.Fatal("secret in options accepted")
	}
	if got := hbaErrorPaths(d); len(got) != 1 || got[0] != path.Root("options").AtMapKey("radiussecrets").String() {
		t.Errorf("error paths %v", got)
	}
	if strings.Contains(hbaDiagText(d), secret) || !strings.Contains(hbaDiagText(d), "secret_options") {
		t.Errorf("diagnostic: %s", hbaDiagText(d))
	}

	// Unknown input: nothing is computed (the plan shows it as unknown).
	m = hbaRuleResourceModel{hbaRuleModel: ruleModel("hostssl", "10.0.0.0/8", "cert"), PostgresVersion: types.Int64Null()}
	m.Users = types.ListValueMust(types.StringType, []attr.Value{types.StringValue("a"), types.StringUnknown()})
	d = nil
	if buildHBARule(ctx, data, &m, &d) || d.HasError() || !m.Line.IsNull() {
		t.Errorf("unknown element: built=%v line=%v %s", !m.Line.IsNull(), m.Line, hbaDiagText(d))
	}
}

func TestBuildHBAFilePlanTimeChecks(t *testing.T) {
	ctx := context.Background()
	data := defaultProviderData(nil)

	// One rule unknown, another invalid: the invalid one fails the plan now.
	m := hbaFileModelWith(3)
	elems := m.Rules.Elements()
	elems[0] = types.ObjectUnknown(hbaRuleObjectType.AttrTypes)
	bad := ruleObject("host", "all", "all", "10.0.0.0/8", "cert")
	elems[2] = bad
	m.Rules = types.ListValueMust(hbaRuleObjectType, elems)
	var d diag.Diagnostics
	if buildHBAFile(ctx, data, m, &d) {
		t.Fatal("built with an unknown rule")
	}
	if got := hbaErrorPaths(d); len(got) != 1 || got[0] != path.Root("rules").AtListIndex(2).AtName("method").String() {
		t.Errorf("error paths %v: %s", got, hbaDiagText(d))
	}

	// A carriage return in the header is reported on header.
	m = hbaFileModelWith(1)
	m.Header = types.StringValue("a\rb")
	d = nil
	buildHBAFile(ctx, data, m, &d)
	if got := hbaErrorPaths(d); len(got) != 1 || got[0] != path.Root("header").String() {
		t.Errorf("header error paths %v", got)
	}

	// The pair: equal without a secret; sha256 of the exact file, id of
	// the review copy.
	m = hbaFileModelWith(2)
	d = nil
	if !buildHBAFile(ctx, data, m, &d) {
		t.Fatal(hbaDiagText(d))
	}
	if m.Content != m.SensitiveContent || m.SHA256.ValueString() != sha256Hex(m.SensitiveContent.ValueString()) || m.ID.ValueString() != sha256Hex(m.Content.ValueString()) {
		t.Errorf("outputs: %+v", m.renderedFile)
	}
}

func TestBuildIdentMapDN(t *testing.T) {
	ctx := context.Background()
	mapping := func(sys string) types.List {
		return types.ListValueMust(types.ObjectType{AttrTypes: identMappingAttrTypes}, []attr.Value{
			types.ObjectValueMust(identMappingAttrTypes, map[string]attr.Value{
				"system_user": types.StringValue(sys), "database_user": types.StringValue("app"), "comment": types.StringNull(),
			}),
		})
	}
	dn := `CN=app,O=M\C3\BCller\, Inc.,C=DE`
	m := identMapResourceModel{Name: types.StringValue("certs"), Mappings: mapping(dn), PostgresVersion: types.Int64Null()}
	var d diag.Diagnostics
	if !buildIdentMap(ctx, defaultProviderData(nil), &m, &d) {
		t.Fatal(hbaDiagText(d))
	}
	if want := `"CN=app,O=M\C3\BCller\, Inc.,C=DE"`; !strings.Contains(m.Content.ValueString(), want) {
		t.Errorf("content %q lacks %s", m.Content.ValueString(), want)
	}
	m = identMapResourceModel{Name: types.StringValue("certs"), Mappings: mapping(`"CN=app"`), PostgresVersion: types.Int64Null()}
	d = nil
	buildIdentMap(ctx, defaultProviderData(nil), &m, &d)
	if got := hbaErrorPaths(d); len(got) != 1 || got[0] != path.Root("mappings").AtListIndex(0).AtName("system_user").String() {
		t.Errorf("quoted system_user: %v %s", got, hbaDiagText(d))
	}
}

func TestHBAParseMapping(t *testing.T) {
	ctx := context.Background()
	content := "include extra.conf\nhostssl all all 10.0.0.0/8 ldap ldapurl=\"ldap://h/dc=x?uid\" ldapbinddn=cn=x ldapbindpasswd=pw\nhost all all 10.1/16 md5 bad\x00\n"
	pf, err := hba.Parse(content, 16)
	if err != nil {
		t.Fatal(err)
	}
	pi, _ := hba.ParseIdent("include more.conf\nm a b\n", 16)
	var m hbaParseModel
	var d diag.Diagnostics
	m.setParsed(ctx, pf, pi, true, &d)
	if d.HasError() {
		t.Fatal(hbaDiagText(d))
	}
	rules := m.Rules.Elements()
	if len(rules) != 1 {
		t.Fatalf("rules %v", rules)
	}
	r := rules[0].(types.Object).Attributes()
	if _, ok := r["options"].(types.Map).Elements()["ldapbindpasswd"]; ok {
		t.Error("secret in options")
	}
	if v := r["secret_options"].(types.Map).Elements()["ldapbindpasswd"]; v == nil || v.(types.String).ValueString() != "pw" {
		t.Errorf("secret_options %v", r["secret_options"])
	}
	eff := r["effective"].(types.Object).Attributes()["options"].(types.Map).Elements()
	if eff["ldapserver"].(types.String).ValueString() != "h" || eff["ldapscope"].(types.String).ValueString() != "0" || eff["ldapport"].(types.String).ValueString() != "389" {
		t.Errorf("effective %v", eff)
	}
	if eff["ldapbindpasswd"] != nil {
		t.Error("secret in effective options")
	}
	var files []string
	for _, e := range m.Directives.Elements() {
		files = append(files, e.(types.Object).Attributes()["file"].(types.String).ValueString())
	}
	if strings.Join(files, ",") != "pg_hba.conf,pg_ident.conf" {
		t.Errorf("directive files %v", files)
	}
	var codes []string
	for _, e := range m.Findings.Elements() {
		a := e.(types.Object).Attributes()
		codes = append(codes, a["file"].(types.String).ValueString()+":"+a["code"].(types.String).ValueString())
	}
	for _, want := range []string{"pg_hba.conf:include_not_followed", "pg_hba.conf:nul_byte", "pg_ident.conf:include_not_followed"} {
		if !strings.Contains(strings.Join(codes, " "), want) {
			t.Errorf("findings %v lack %s", codes, want)
		}
	}
	probs := m.Problems.Elements()
	if len(probs) != 1 || probs[0].(types.Object).Attributes()["line_number"].(types.Int64).ValueInt64() != 3 {
		t.Errorf("problems %v", probs)
	}
}

func TestFullyKnown(t *testing.T) {
	l := types.ListValueMust(types.StringType, []attr.Value{types.StringValue("a"), types.StringUnknown()})
	m := types.MapValueMust(types.StringType, map[string]attr.Value{"k": types.StringUnknown()})
	for i, c := range []struct {
		v    []attr.Value
		want bool
	}{
		{[]attr.Value{types.StringValue("a"), types.ListNull(types.StringType)}, true},
		{[]attr.Value{types.StringUnknown()}, false},
		{[]attr.Value{l}, false},
		{[]attr.Value{m}, false},
		{[]attr.Value{types.ObjectValueMust(map[string]attr.Type{"l": l.Type(context.Background())}, map[string]attr.Value{"l": l})}, false},
	} {
		if got := fullyKnown(c.v...); got != c.want {
			t.Errorf("case %d: %v", i, got)
		}
	}
}
