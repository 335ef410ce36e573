package provider

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// fileSetPKI makes the certificate and key a data directory needs.
const fileSetPKI = `
variable "dir" { type = string }

resource "pgtls_root_ca" "root" {
  subject = { common_name = "file set root" }
}

resource "pgtls_server_cert" "db" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  dns_names          = ["localhost"]
}
`

// fileSetConfig writes a PostgreSQL data directory layout; extra files go
// into files (HCL map entries).
func fileSetConfig(owner string, extra string) string {
	return fileSetPKI + fmt.Sprintf(`
resource "pgtls_file_set" "pg" {
  directory = var.dir
  layout    = "postgresql_data_dir"
  owner     = %q
  files = {
    "server.crt" = { content = pgtls_server_cert.db.fullchain_pem }
    "root.crt"   = { content = pgtls_root_ca.root.cert_pem, mode = "0644" }
    %s
  }
  sensitive_files = {
    "server.key" = { content = pgtls_server_cert.db.private_key_pem }
  }
}
`, owner, extra)
}

func currentUserName(t *testing.T) string {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	return u.Username
}

func dirNames(t *testing.T, d string) string {
	t.Helper()
	es, err := os.ReadDir(d)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// fileIs checks a file's content (from state), mode and owner on disk.
func fileIs(dir, name, addr, attr string, mode os.FileMode, uid int) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		p := filepath.Join(dir, name)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if fi.Mode() != mode {
			return fmt.Errorf("%s: mode %v, want %v", name, fi.Mode(), mode)
		}
		if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != uid {
			return fmt.Errorf("%s: owner uid %d, want %d", name, st.Uid, uid)
		}
		want, ok := stateAttr(s, addr, attr)
		if !ok {
			return fmt.Errorf("%s.%s not in state", addr, attr)
		}
		got, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if string(got) != want {
			return fmt.Errorf("%s: content differs from %s.%s", name, addr, attr)
		}
		return nil
	}
}

// TestAccFileSet_filesAndDrift writes a data directory layout from
// certificates made in the same apply, then edits the files behind
// Terraform's back (delete, edit, chmod, chown): the next plan shows an
// update and the apply puts every file back. Dropping a file from the
// configuration removes it; destroy removes exactly the set's files and
// leaves a file it did not write.
func TestAccFileSet_filesAndDrift(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "postgresql.conf"), []byte("# not pgtls's\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	owner, uid := currentUserName(t), os.Geteuid()
	vars := config.Variables{"dir": config.StringVariable(dir)}
	extra := `"pg_ident.conf" = { content = "# maps\n" }`
	drift := func(t *testing.T) {
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		must(os.Remove(filepath.Join(dir, "server.crt")))
		must(os.WriteFile(filepath.Join(dir, "server.key"), []byte("edited by hand\n"), 0o600))
		must(os.Chmod(filepath.Join(dir, "root.crt"), 0o666))
		if os.Geteuid() == 0 {
			must(os.Chown(filepath.Join(dir, "pg_ident.conf"), 65534, 65534))
		} else {
			t.Log("not root: the chown drift is not exercised")
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			if got := dirNames(t, dir); got != "postgresql.conf" {
				return fmt.Errorf("after destroy the directory holds %s, want only postgresql.conf", got)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: fileSetConfig(owner, extra), ConfigVariables: vars,
				Check: resource.ComposeAggregateTestCheckFunc(
					fileIs(dir, "server.crt", "pgtls_server_cert.db", "fullchain_pem", 0o600, uid),
					fileIs(dir, "server.key", "pgtls_server_cert.db", "private_key_pem", 0o600, uid),
					fileIs(dir, "root.crt", "pgtls_root_ca.root", "cert_pem", 0o644, uid),
					resource.TestCheckResourceAttr("pgtls_file_set.pg", "files.server.crt.mode", "0600"),
					resource.TestCheckResourceAttr("pgtls_file_set.pg", "files.pg_ident.conf.sha256", "9a7020c65f4705c5de672ad64b5e4880efae029fe94e5059b6dcd23336760b9f"),
					func(*terraform.State) error {
						if got := dirNames(t, dir); got != "pg_ident.conf,postgresql.conf,root.crt,server.crt,server.key" {
							return fmt.Errorf("directory holds %s", got)
						}
						return nil
					},
				),
			},
			{
				PreConfig: func() { drift(t) },
				Config:    fileSetConfig(owner, extra), ConfigVariables: vars,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("pgtls_file_set.pg", plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					fileIs(dir, "server.crt", "pgtls_server_cert.db", "fullchain_pem", 0o600, uid),
					fileIs(dir, "server.key", "pgtls_server_cert.db", "private_key_pem", 0o600, uid),
					fileIs(dir, "root.crt", "pgtls_root_ca.root", "cert_pem", 0o644, uid),
					func(*terraform.State) error {
						fi, err := os.Stat(filepath.Join(dir, "pg_ident.conf"))
						if err != nil {
							return err
						}
						if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != uid || int(st.Gid) == 65534 && os.Geteuid() == 0 {
							return fmt.Errorf("pg_ident.conf owner %d:%d not put back", st.Uid, st.Gid)
						}
						return nil
					},
				),
			},
			{
				// pg_ident.conf leaves the configuration: it leaves the disk.
				Config: fileSetConfig(owner, ""), ConfigVariables: vars,
				Check: func(*terraform.State) error {
					if got := dirNames(t, dir); got != "postgresql.conf,root.crt,server.crt,server.key" {
						return fmt.Errorf("directory holds %s", got)
					}
					return nil
				},
			},
		},
	})
}

// wrapped compiles a pattern whose blanks also match the line breaks
// Terraform puts into long diagnostics.
func wrapped(pattern string) *regexp.Regexp {
	return regexp.MustCompile("(?s)" + strings.ReplaceAll(pattern, " ", `\s+`))
}

// TestAccFileSet_planRefusals: what depends only on the configuration is
// refused at plan time, on the attribute, naming the value and the rule.
func TestAccFileSet_planRefusals(t *testing.T) {
	dir := t.TempDir()
	vars := config.Variables{"dir": config.StringVariable(dir)}
	set := func(body string) string {
		return fileSetPKI + `
resource "pgtls_file_set" "x" {
  directory = var.dir
` + body + `
}
`
	}
	const keyPEM = "-----BEGIN PRIVATE KEY-----\\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\\n-----END PRIVATE KEY-----\\n"
	var steps []resource.TestStep
	for _, tc := range []struct{ body, want string }{
		{`layout = "postgresql_data_dir"
  files = { "server.key" = { content = pgtls_server_cert.db.private_key_pem } }`, `server.key" holds a private key in layout\s+postgresql_data_dir`},
		{`files = { "app.pem" = { content = "` + keyPEM + `" } }`, `app.pem: holds a private key, but the file is not marked secret`},
		{`owner = "65534"
  sensitive_files = { "server.key" = { content = "` + keyPEM + `", mode = "0640" } }`, `server.key: mode 0640 has group or world access`},
		{`sensitive_files = { "userlist.txt" = { content = "\"u\" \"p\"", mode = "0644" } }`, `gives other users access to a file that holds\s+secrets`},
		{`files = { "root.crt" = { content = "x", mode = "0666" } }`, `is world-writable`},
		{`files = { "root.crt" = { content = "x", mode = "4755" } }`, `setuid, setgid or sticky bits`},
		{`files = { "../escape.crt" = { content = "x" } }`, `contains "\.\.": a name must stay inside the\s+directory`},
		{`files = { "/etc/passwd" = { content = "x" } }`, `is an absolute path`},
		{`files = { "a.crt" = { content = "x" } }
  sensitive_files = { "a.crt" = { content = "y" } }`, `"a.crt" is in both files and sensitive_files`},
		{`layout = "postgresql_data_dir"
  files = { "postgresql.auto.conf" = { content = "x" } }`, `is written by ALTER SYSTEM`},
		{`layout = "pgpool"
  sensitive_files = { ".pgpoolkey" = { content = "k", mode = "0640" } }`, `its reader requires u=rw \(0600\) or less`},
		{`layout = "nope"
  files = { "a" = { content = "x" } }`, `value must be one of`},
		{`files = { "a" = { content = "x" } }
  reload = { program = "postgresql", host = "/run/postgresql", user = "postgres", sslmode = "require" }`, `is a unix-socket directory: set sslmode = "disable"`},
		{`files = { "a" = { content = "x" } }
  reload = { program = "postgresql", user = "postgres", sslmode = "prefer" }`, `value must be one of`},
		{`files = { "a" = { content = "x" } }
  reload = { program = "pgpool" }`, `reload.pcp_user is required for program pgpool`},
	} {
		steps = append(steps, resource.TestStep{Config: set(tc.body), ConfigVariables: vars, PlanOnly: true, ExpectError: wrapped(tc.want)})
	}
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps})
	if got := dirNames(t, dir); got != "" {
		t.Errorf("refused plans wrote %s", got)
	}
}

// TestAccFileSet_applyRefusals: what depends on the file system is refused
// at apply time, with nothing written: a symlink in the directory path, a
// symlink where a file goes, a directory that does not exist.
func TestAccFileSet_applyRefusals(t *testing.T) {
	base := t.TempDir()
	real := filepath.Join(base, "real")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{real, outside} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(real, filepath.Join(base, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "stolen.key"), filepath.Join(real, "server.key")); err != nil {
		t.Fatal(err)
	}
	cfg := fileSetPKI + `
resource "pgtls_file_set" "x" {
  directory = var.dir
  files           = { "server.crt" = { content = pgtls_server_cert.db.cert_pem } }
  sensitive_files = { "server.key" = { content = pgtls_server_cert.db.private_key_pem } }
}
`
	step := func(dir, want string) resource.TestStep {
		return resource.TestStep{Config: cfg, ConfigVariables: config.Variables{"dir": config.StringVariable(dir)}, ExpectError: wrapped(want)}
	}
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: []resource.TestStep{
		step(filepath.Join(base, "link"), `link: is a symbolic link \(to\s+"[^"]*real"\); pgtls never follows\s+symbolic\s+links`),
		step(real, `server.key: is a symbolic link; pgtls only replaces regular\s+files`),
		step(filepath.Join(base, "missing"), `missing: does not exist \(pgtls does not create directories`),
	}})
	if got := dirNames(t, real); got != "server.key" {
		t.Errorf("refused applies left %s in the directory", got)
	}
	if got := dirNames(t, outside); got != "" {
		t.Errorf("the symlink target directory holds %s", got)
	}
}
