package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// moduleConsumer is a root configuration as a user of the published
// examples/modules/postgres-mtls module writes it: the module by its
// source address (here the absolute path of the module in this
// repository, which `init` installs like a downloaded package), its
// variables and outputs, and the roles the policy names, created by a
// script written with pgtls_file_set before the module's files.
const moduleConsumer = `
terraform {
  required_providers {
    pgtls = { source = "pgtls/pgtls" }
  }
}

variable "server_dir" { type = string }
variable "data_dir" { type = string }
variable "client_dir" { type = string }
variable "pgbouncer_dir" { type = string }
variable "owner" { type = string }
variable "port" { type = number }
variable "pgbouncer_port" { type = number }

# The roles the certificates map to.
resource "pgtls_file_set" "roles" {
  directory = var.server_dir
  owner     = var.owner
  files = {
    "roles.sql" = { content = "CREATE ROLE app LOGIN; CREATE ROLE billing LOGIN; CREATE ROLE billing_ro LOGIN;\n", mode = "0600" }
  }
}

module "postgres" {
  source     = "MODULE_SOURCE"
  depends_on = [pgtls_file_set.roles]

  directory          = var.data_dir
  owner              = var.owner
  postgresql_version = 17
  server_names       = ["localhost", "db.pgtls.test"]
  server_ips         = ["127.0.0.1"]
  port               = var.port
  allowed_networks   = ["127.0.0.1/32"]
  clients = {
    app             = { roles = ["app"] }
    "billing batch" = { roles = ["billing", "billing_ro"] }
  }
  client_directories = { app = var.client_dir }
  pgbouncer          = { directory = var.pgbouncer_dir, port = var.pgbouncer_port }
  settings = {
    unix_socket_directories    = "'${var.server_dir}'"
    max_connections            = "100"
    shared_buffers             = "16MB"
    dynamic_shared_memory_type = "mmap"
    fsync                      = "off"
    log_connections            = "on"
  }
  connection_check = { host = "127.0.0.1" }
}

output "matrix" { value = module.postgres.connection_matrix }
output "table" { value = module.postgres.connection_matrix_table }
output "bundles" { value = module.postgres.client_bundles }
output "server_files" { value = module.postgres.server_files }
output "hba" { value = module.postgres.pg_hba_conf }
`

// stateCheckFunc adapts a function to statecheck.StateCheck.
type stateCheckFunc func(ctx context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse)

func (f stateCheckFunc) CheckState(ctx context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	f(ctx, req, resp)
}

// outputJSON decodes a root output of the state into v.
func outputJSON(req statecheck.CheckStateRequest, name string, v any) error {
	if req.State == nil || req.State.Values == nil {
		return fmt.Errorf("no state values")
	}
	o, ok := req.State.Values.Outputs[name]
	if !ok {
		return fmt.Errorf("no output %q", name)
	}
	b, err := json.Marshal(o.Value)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

type matrixRow struct {
	Client, Role, Via, Sslmode, Expected, Result, Path, Error string
	AuthenticatedAs                                           string `json:"authenticated_as"`
	TLSVersion                                                string `json:"tls_version"`
}

// TestAccModule_postgresMTLS applies examples/modules/postgres-mtls from a
// consumer's root configuration through ConfigDirectory, exactly as a user
// of the published module would: PostgreSQL 17's data directory, PgBouncer's
// directory and a client's ~/.postgresql are written by the module; the
// harness starts PostgreSQL and PgBouncer on those files; the module's own
// connection checks (enforced) fill the connection matrix in the same
// apply; the real psql then logs in with nothing but the conninfo the
// module outputs and the files it wrote.
func TestAccModule_postgresMTLS(t *testing.T) {
	requireAcc(t) // before preparing servers
	testserver.RequirePgBouncer(t)
	start := time.Now()
	t.Setenv("TF_ACC_PROVIDER_NAMESPACE", "pgtls") // the module's required_providers source
	modDir, err := filepath.Abs(filepath.Join("..", "..", "examples", "modules", "postgres-mtls"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(modDir, "main.tf")); err != nil {
		t.Fatalf("module not found: %v", err)
	}
	consumer := t.TempDir()
	if err := os.WriteFile(filepath.Join(consumer, "main.tf"), []byte(strings.Replace(moduleConsumer, "MODULE_SOURCE", modDir, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	const version = 17
	d := testserver.NewPostgresDataDir(t, version)
	bdir := testserver.NewPoolerDir(t, "pgtls-bnc-")
	clientDir := t.TempDir()
	port, bport := testserver.FreePort(t), testserver.FreePort(t)
	for bport == port {
		bport = testserver.FreePort(t)
	}
	h := newDeployHarness(t)
	var pg *testserver.Postgres
	var b *testserver.PgBouncer
	h.startAfter("postgres", []string{d.Dir, d.DataDir()}, func(tb testing.TB) error {
		var err error
		if pg, err = d.StartPostgresOnDisk(tb); err != nil {
			return err
		}
		return pg.ExecFile(filepath.Join(d.Dir, "roles.sql"))
	})
	h.startAfter("pgbouncer", []string{bdir}, func(tb testing.TB) error {
		var err error
		b, err = testserver.TryStartPgBouncerRendered(tb, testserver.RenderedPgBouncer{Dir: bdir, Port: bport, Config: "pgbouncer.ini", LogFile: bdir + "/pgbouncer.log"})
		return err
	})
	vars := config.Variables{
		"server_dir": config.StringVariable(d.Dir), "data_dir": config.StringVariable(d.DataDir()),
		"client_dir": config.StringVariable(clientDir), "pgbouncer_dir": config.StringVariable(bdir),
		"owner": config.StringVariable(serverOwner()), "port": config.IntegerVariable(port), "pgbouncer_port": config.IntegerVariable(bport),
	}
	var table string
	resource.Test(t, resource.TestCase{
		Steps: []resource.TestStep{{
			// Providers on the step, not the case: terraform-plugin-testing
			// then runs init on the step's configuration, which installs
			// the module.
			ProtoV6ProviderFactories: h.factories(),
			ConfigDirectory:          config.StaticDirectory(consumer),
			ConfigVariables:          vars,
			ConfigStateChecks: []statecheck.StateCheck{stateCheckFunc(func(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
				if pg == nil || b == nil {
					resp.Error = fmt.Errorf("the harness did not start both servers (started: %v)", h.started())
					return
				}
				if pg.Major != version {
					resp.Error = fmt.Errorf("PostgreSQL %d ran, want %d", pg.Major, version)
					return
				}
				var rows []matrixRow
				if err := outputJSON(req, "matrix", &rows); err != nil {
					resp.Error = err
					return
				}
				_ = outputJSON(req, "table", &table)
				resp.Error = checkModuleMatrix(rows)
				if resp.Error == nil {
					resp.Error = checkModuleWithPsql(t, req, clientDir)
				}
			})},
		}, {
			// terraform-plugin-testing cannot shim a state with child
			// modules for its own final destroy: destroy in a step.
			ProtoV6ProviderFactories: h.factories(),
			ConfigDirectory:          config.StaticDirectory(consumer),
			ConfigVariables:          vars,
			Destroy:                  true,
		}},
	})
	t.Logf("connection matrix of the module:\n%s", table)
	t.Logf("TestAccModule_postgresMTLS: %s", time.Since(start).Round(time.Millisecond))
}

// checkModuleMatrix: the matrix covers every client, role tried, path and
// sslmode, each as the policy says, with the role and TLS a login used.
func checkModuleMatrix(rows []matrixRow) error {
	// (app, billing, billing_ro, 2 wrong roles) direct + (app, wrong) via
	// PgBouncer, 6 sslmodes each.
	if len(rows) != 7*6 {
		return fmt.Errorf("connection matrix has %d rows, want 42", len(rows))
	}
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r.Client+"/"+r.Role+"/"+r.Via] = true
		if r.Result != r.Expected {
			return fmt.Errorf("%s as %s via %s with %s: %s, policy says %s (%s)", r.Client, r.Role, r.Via, r.Sslmode, r.Result, r.Expected, r.Error)
		}
		if r.Result == "in" && (r.AuthenticatedAs != r.Role || !strings.HasPrefix(r.TLSVersion, "TLSv1.")) {
			return fmt.Errorf("%s as %s via %s with %s got in as %q over %q", r.Client, r.Role, r.Via, r.Sslmode, r.AuthenticatedAs, r.TLSVersion)
		}
		if r.Sslmode == "allow" && r.Result == "in" && r.Path != "plaintext-then-tls" {
			return fmt.Errorf("allow: path %q, want plaintext-then-tls", r.Path)
		}
	}
	for _, k := range []string{"app/app/postgresql", "billing batch/billing/postgresql", "billing batch/billing_ro/postgresql",
		"app/postgres/postgresql", "billing batch/postgres/postgresql", "app/app/pgbouncer", "app/postgres/pgbouncer"} {
		if !seen[k] {
			return fmt.Errorf("connection matrix has no %s rows", k)
		}
	}
	return nil
}

// checkModuleWithPsql runs the real psql with nothing but the module's
// conninfo for app, which names the files the module wrote in client_dir.
func checkModuleWithPsql(t *testing.T, req statecheck.CheckStateRequest, clientDir string) error {
	var bundles map[string]struct {
		Conninfo map[string]string `json:"conninfo"`
	}
	if err := outputJSON(req, "bundles", &bundles); err != nil {
		return err
	}
	ci := bundles["app"].Conninfo["app"]
	if !strings.Contains(ci, "sslcert="+clientDir+"/postgresql.crt") || !strings.Contains(ci, "sslmode=verify-full") {
		return fmt.Errorf("app's conninfo does not name its files: %s", ci)
	}
	home := t.TempDir()
	run := func(conninfo string) (string, error) {
		cmd := exec.Command("/usr/lib/postgresql/15/bin/psql", "-X", "-A", "-t", "-w", "-d", conninfo,
			"-c", "SELECT current_user || ' ' || ssl || ' ' || client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
		cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin", "LANG=C.UTF-8"}
		out, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	if out, err := run(ci); err != nil || out != "app true /CN=app" {
		return fmt.Errorf("psql with the module's conninfo for app: %w: %s", err, out)
	}
	// The same conninfo for another role: refused by the pg_ident map.
	if out, err := run(strings.Replace(ci, "user=app", "user=billing", 1)); err == nil || !strings.Contains(out, `certificate authentication failed for user "billing"`) {
		return fmt.Errorf("psql with app's certificate as billing: %w: %s", err, out)
	}
	// Without TLS: refused.
	if out, err := run(strings.Replace(ci, "sslmode=verify-full", "sslmode=disable", 1)); err == nil || !strings.Contains(out, "no encryption") {
		return fmt.Errorf("psql with sslmode=disable: %w: %s", err, out)
	}
	return nil
}
