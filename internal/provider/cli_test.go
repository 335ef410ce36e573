package provider

// A direct CLI runner for tests that must see what a user sees: the human
// plan and apply output, `terraform show`, `state show`, the JSON plan and
// state with their sensitivity masks, and the TRACE logs of both the CLI
// and the provider. terraform-plugin-testing hides the human output, so
// this runs the CLI named by TF_ACC_TERRAFORM_PATH (Terraform 1.5.7 or
// OpenTofu, as `make testacc-*` sets it) against the provider served
// in-process through TF_REATTACH_PROVIDERS.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
)

// requireAcc skips, loudly, when acceptance tests are not enabled, and
// returns the CLI path.
func requireAcc(t *testing.T) string {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("SKIPPED acceptance test: needs TF_ACC=1 and TF_ACC_TERRAFORM_PATH (make testacc-terraform / testacc-tofu)")
	}
	bin := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if bin == "" {
		t.Fatal("TF_ACC is set but TF_ACC_TERRAFORM_PATH is not: name the Terraform or OpenTofu binary")
	}
	return bin
}

type cliRunner struct {
	t           *testing.T
	bin         string
	dir         string
	env         []string
	coreLog     string // TF_LOG_PATH of the CLI
	providerLog string // the in-process provider's tflog sink
	transcript  bytes.Buffer
}

// newCLI serves the provider in-process with TRACE logging to a file and
// prepares a working directory holding config.
func newCLI(t *testing.T, factory func() tfprotov6.ProviderServer, config string) *cliRunner {
	t.Helper()
	bin := requireAcc(t)
	tmp := t.TempDir()
	c := &cliRunner{t: t, bin: bin, dir: filepath.Join(tmp, "wd"),
		coreLog: filepath.Join(tmp, "core.log"), providerLog: filepath.Join(tmp, "provider.log")}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	c.write(config)

	host := os.Getenv("TF_ACC_PROVIDER_HOST")
	if host == "" {
		host = "registry.terraform.io"
	}
	addr := host + "/hashicorp/pgtls"
	// The provider's log sink reads these when it starts serving.
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_ACC_LOG_PATH", c.providerLog)
	t.Setenv("TF_LOG_PATH_MASK", "")
	ctx, cancel := context.WithCancel(context.Background())
	reattach := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	go func() {
		_ = tf6server.Serve(addr, factory,
			tf6server.WithDebug(ctx, reattach, closed),
			tf6server.WithLoggingSink(t),
			tf6server.WithGoPluginLogger(hclog.New(&hclog.LoggerOptions{Output: io.Discard, Level: hclog.Off})),
		)
	}()
	var rc *plugin.ReattachConfig
	select {
	case rc = <-reattach:
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("provider server did not start")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
		}
	})
	ra, err := json.Marshal(map[string]any{addr: map[string]any{
		"Protocol": string(rc.Protocol), "ProtocolVersion": rc.ProtocolVersion, "Pid": rc.Pid, "Test": true,
		"Addr": map[string]string{"Network": rc.Addr.Network(), "String": rc.Addr.String()},
	}})
	if err != nil {
		t.Fatal(err)
	}
	c.env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + tmp, "CHECKPOINT_DISABLE=1",
		"TF_IN_AUTOMATION=1", "TF_INPUT=0",
		"TF_LOG=TRACE", "TF_LOG_PATH=" + c.coreLog,
		"TF_REATTACH_PROVIDERS=" + string(ra),
	}
	return c
}

// providerFactory serves a fresh provider with the real clock.
func providerFactory() tfprotov6.ProviderServer {
	return providerserver.NewProtocol6(New("test")())()
}

func (c *cliRunner) write(config string) {
	if err := os.WriteFile(filepath.Join(c.dir, "main.tf"), []byte(config), 0o600); err != nil {
		c.t.Fatal(err)
	}
}

// run runs the CLI with args; the combined output is returned and kept in
// the transcript. A non-zero exit is returned as an error.
func (c *cliRunner) run(args ...string) (string, error) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, append([]string{"-chdir=" + c.dir}, args...)...)
	cmd.Env = c.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	fmt.Fprintf(&c.transcript, "$ %s %s\n%s\n", filepath.Base(c.bin), strings.Join(args, " "), out.String())
	if err != nil {
		return out.String(), fmt.Errorf("%s %s: %v\n%s", filepath.Base(c.bin), strings.Join(args, " "), err, out.String())
	}
	return out.String(), nil
}

func (c *cliRunner) must(args ...string) string {
	c.t.Helper()
	out, err := c.run(args...)
	if err != nil {
		c.t.Fatal(err)
	}
	return out
}

// logs returns the CLI's and the provider's TRACE logs so far.
func (c *cliRunner) logs() string {
	var b strings.Builder
	for _, p := range []string{c.coreLog, c.providerLog} {
		data, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			c.t.Fatal(err)
		}
		b.Write(data)
	}
	return b.String()
}
