package provider

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/pgtls/terraform-provider-pgtls/internal/localfiles"
)

// fileMap builds a files / sensitive_files value: name -> entry attributes.
func fileMap(u *unitProvider, attr string, entries map[string]map[string]any) tftypes.Value {
	mt := u.objType("pgtls_file_set").AttributeTypes[attr].(tftypes.Map)
	elems := map[string]tftypes.Value{}
	for k, e := range entries {
		elems[k] = toValue(mt.ElementType, e)
	}
	return tftypes.NewValue(mt, elems)
}

// fileEntry reads one file's attribute from a files map in a state or plan.
func fileEntry(t *testing.T, v tftypes.Value, attr, name, field string) tftypes.Value {
	t.Helper()
	var m map[string]tftypes.Value
	if err := attrOf(t, v, attr).As(&m); err != nil {
		t.Fatal(err)
	}
	e, ok := m[name]
	if !ok {
		t.Fatalf("%s has no %q", attr, name)
	}
	return attrOf(t, e, field)
}

func fileField(t *testing.T, v tftypes.Value, attr, name, field string) string {
	t.Helper()
	a := fileEntry(t, v, attr, name, field)
	if !a.IsKnown() || a.IsNull() {
		t.Fatalf("%s[%q].%s is %s, want known", attr, name, field, a)
	}
	var s string
	if err := a.As(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestFileSetPlanApplyReadWithoutCLI runs the resource's validation, plan,
// apply and refresh through the protocol, as Terraform core does.
func TestFileSetPlanApplyReadWithoutCLI(t *testing.T) {
	u := newUnitProvider(t, time.Now)
	dir := t.TempDir()
	const typ = "pgtls_file_set"
	cfg := u.config(typ, map[string]any{
		"directory": dir,
		"layout":    "postgresql_data_dir",
		"files": fileMap(u, "files", map[string]map[string]any{
			"root.crt":    {"content": "cert\n", "mode": "644"},
			"pg_hba.conf": {"content": "local all all peer\n"},
		}),
		"sensitive_files": fileMap(u, "sensitive_files", map[string]map[string]any{
			"server.key": {"content": unknown},
		}),
	})

	// Plan with a key not known yet: its digest is unknown, everything
	// else is known at plan time.
	pr := u.plan(typ, nil, cfg)
	if hasErrors(pr.diags) {
		t.Fatal(diagText(pr.diags))
	}
	if got := fileField(t, pr.planned, "files", "pg_hba.conf", "mode"); got != "0600" {
		t.Errorf("pg_hba.conf planned mode %s, want the layout's 0600", got)
	}
	if got := fileField(t, pr.planned, "files", "root.crt", "mode"); got != "644" {
		t.Errorf("root.crt planned mode %s, want the configured spelling 644", got)
	}
	if got := fileField(t, pr.planned, "files", "root.crt", "sha256"); got != localfiles.SHA256([]byte("cert\n")) {
		t.Errorf("root.crt planned sha256 %q", got)
	}
	if a := fileEntry(t, pr.planned, "sensitive_files", "server.key", "sha256"); a.IsKnown() {
		t.Errorf("server.key sha256 known (%s) while its content is unknown", a)
	}
	if got := fileField(t, pr.planned, "sensitive_files", "server.key", "mode"); got != "0600" {
		t.Errorf("server.key planned mode %s", got)
	}

	// Apply with the key known.
	cfg = withAttr(t, cfg, "sensitive_files", fileMap(u, "sensitive_files", map[string]map[string]any{
		"server.key": {"content": "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----\n"},
	}))
	pr = u.plan(typ, nil, cfg)
	st, d := u.apply(typ, nil, cfg, pr)
	if hasErrors(d) {
		t.Fatal(diagText(d))
	}
	if fi, err := os.Stat(filepath.Join(dir, "server.key")); err != nil || fi.Mode() != 0o600 {
		t.Fatalf("server.key on disk: %v %v", fi, err)
	}

	// Refresh without drift keeps the state (the mode spelled "644" too).
	if re := u.read(typ, st); !re.Equal(st) {
		t.Errorf("refresh changed an untouched set:\n%s\n%s", st, re)
	}
	// Drift: chmod and delete; the refresh sees both and the plan updates.
	if err := os.Chmod(filepath.Join(dir, "root.crt"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "pg_hba.conf")); err != nil {
		t.Fatal(err)
	}
	re := u.read(typ, st)
	if got := fileField(t, re, "files", "root.crt", "mode"); got != "0640" {
		t.Errorf("refreshed mode %s", got)
	}
	if got := fileField(t, re, "files", "pg_hba.conf", "sha256"); got != "" {
		t.Errorf("refreshed sha256 of a deleted file %q", got)
	}
	pr = u.plan(typ, &re, cfg)
	if hasErrors(pr.diags) || pr.planned.Equal(re) {
		t.Fatalf("the plan after drift changes nothing: %s", diagText(pr.diags))
	}
	st2, d := u.apply(typ, &re, cfg, pr)
	if hasErrors(d) || !u.read(typ, st2).Equal(st2) {
		t.Fatalf("apply after drift: %s", diagText(d))
	}
	if fi, err := os.Stat(filepath.Join(dir, "root.crt")); err != nil || fi.Mode() != 0o644 {
		t.Errorf("root.crt not put back: %v %v", fi, err)
	}
}

// TestFileSetPlanRefusalsOnAttributes: plan-time refusals land on the
// file's attribute.
func TestFileSetPlanRefusalsOnAttributes(t *testing.T) {
	u := newUnitProvider(t, time.Now)
	const typ = "pgtls_file_set"
	for _, tc := range []struct {
		files, sensitive map[string]map[string]any
		attr             string
		want             []string
	}{
		{files: map[string]map[string]any{"x.crt": {"content": "x", "mode": "0666"}}, attr: "files", want: []string{"x.crt: mode 0666 is world-writable"}},
		{sensitive: map[string]map[string]any{"k": {"content": "-----BEGIN EC PRIVATE KEY-----\nAA==\n-----END EC PRIVATE KEY-----\n", "mode": "0644", "owner": "65534"}}, attr: "sensitive_files", want: []string{"mode 0644 has group or world access"}},
		{files: map[string]map[string]any{"a/../../b": {"content": "x"}}, attr: "files", want: []string{`contains ".."`}},
		{files: map[string]map[string]any{"k.pem": {"content": unknown}}, sensitive: map[string]map[string]any{"k.pem": {"content": "y"}}, attr: "", want: []string{"in both files and sensitive_files"}},
		{files: map[string]map[string]any{"x": {"content": "a", "content_base64": "YQ=="}}, attr: "files", want: []string{"set exactly one of content and content_base64"}},
		{files: map[string]map[string]any{"x": {}}, attr: "files", want: []string{"set exactly one of content and content_base64"}},
		{sensitive: map[string]map[string]any{"x.pk8": {"content_base64": "not base64!"}}, attr: "sensitive_files", want: []string{"content_base64 is not standard base64"}},
	} {
		attrs := map[string]any{"directory": t.TempDir()}
		if tc.files != nil {
			attrs["files"] = fileMap(u, "files", tc.files)
		}
		if tc.sensitive != nil {
			attrs["sensitive_files"] = fileMap(u, "sensitive_files", tc.sensitive)
		}
		pr := u.plan(typ, nil, u.config(typ, attrs))
		wantDiag(t, pr.diags, tc.attr, tc.want...)
	}
}
