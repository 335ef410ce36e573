// Command bench-e2e times the pgtls provider end to end with the real
// Terraform and OpenTofu CLIs, against a floor: the same number of
// terraform_data resources (a built-in, no provider process) holding about
// the same amount of state, so the floor is what the CLI itself costs.
//
// Scenarios:
//
//	certs N: one pgtls_root_ca and N pgtls_client_cert (count = N); floor:
//	         1 + N terraform_data whose input strings have the byte length of
//	         one certificate's values in `show -json`.
//	hba N:   one pgtls_hba_file with N literal rules; floor: one
//	         terraform_data whose input is the same list.
//
// Per scenario and CLI, each repetition times `apply` from empty state and a
// no-op `plan -detailed-exitcode` (exit 2 is a perpetual diff and fails the
// benchmark), then destroys (untimed); pgtls and floor runs alternate. The
// provider is the tree in -repo, built once and reached through dev_overrides
// via a wrapper (this program, with PGTLS_BENCH_WRAP_REAL set) that records
// each provider process's peak RSS.
//
//	go run ./tools/bench-e2e -terraform PATH -tofu PATH [-n 200,1000] [-hba 1000,3000] [-reps 3] [-cli terraform,tofu] [-out FILE]
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	// envWrapReal makes this program act as the provider wrapper: the value
	// is the path of the real provider binary.
	envWrapReal = "PGTLS_BENCH_WRAP_REAL"
	// envRSSFile names the file the wrapper appends the child's peak RSS
	// (KiB) to, one line per provider process.
	envRSSFile = "PGTLS_BENCH_RSS_FILE"

	providerName = "terraform-provider-pgtls"
	parallelism  = "-parallelism=10"
)

func main() {
	if realBin := os.Getenv(envWrapReal); realBin != "" {
		os.Exit(wrap(realBin))
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-e2e:", err)
		os.Exit(1)
	}
}

// wrap runs the real provider as a child with this process's arguments,
// environment and standard streams (the go-plugin handshake passes through
// stdout), forwards SIGINT and SIGTERM to it, and after it exits appends its
// peak RSS to $PGTLS_BENCH_RSS_FILE. It returns the child's exit code.
func wrap(realBin string) int {
	cmd := exec.Command(realBin, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = os.Environ()

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "bench-e2e wrapper: start %s: %v\n", realBin, err)
		return 1
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				_ = cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	waitErr := cmd.Wait()
	signal.Stop(sigs)
	close(done)

	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		if err := appendRSS(os.Getenv(envRSSFile), ru.Maxrss); err != nil {
			fmt.Fprintf(os.Stderr, "bench-e2e wrapper: %v\n", err)
		}
	}
	if waitErr != nil {
		var exitErr *exec.ExitError
		if !errors.As(waitErr, &exitErr) {
			fmt.Fprintf(os.Stderr, "bench-e2e wrapper: %v\n", waitErr)
			return 1
		}
	}
	if code := cmd.ProcessState.ExitCode(); code >= 0 {
		return code
	}
	return 1 // killed by a signal
}

func appendRSS(file string, kib int64) error {
	if file == "" {
		return nil
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("record RSS: %w", err)
	}
	// One short write with O_APPEND: lines from concurrent providers do not mix.
	if _, err := fmt.Fprintf(f, "%d\n", kib); err != nil {
		_ = f.Close()
		return fmt.Errorf("record RSS: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("record RSS: %w", err)
	}
	return nil
}

type options struct {
	certs, hba []int
	reps       int
	clis       []string
	paths      map[string]string
	repo       string
	out        string
}

func parseFlags() (options, error) {
	var (
		o                     options
		certs, hba, clis      string
		terraformBin, tofuBin string
	)
	flag.StringVar(&certs, "n", "200,1000", "comma-separated certificate counts for the certs scenario (empty: skip)")
	flag.StringVar(&hba, "hba", "1000,3000", "comma-separated rule counts for the hba scenario (empty: skip)")
	flag.IntVar(&o.reps, "reps", 3, "repetitions per scenario, CLI and side (the median is reported)")
	flag.StringVar(&clis, "cli", "terraform,tofu", "comma-separated CLIs to run: terraform, tofu")
	flag.StringVar(&terraformBin, "terraform", os.Getenv("PGTLS_BENCH_TERRAFORM"), "path of the Terraform binary (default $PGTLS_BENCH_TERRAFORM)")
	flag.StringVar(&tofuBin, "tofu", os.Getenv("PGTLS_BENCH_TOFU"), "path of the OpenTofu binary (default $PGTLS_BENCH_TOFU)")
	flag.StringVar(&o.repo, "repo", ".", "root of the provider tree to build and benchmark")
	flag.StringVar(&o.out, "out", "", "also write the markdown report to this file")
	flag.Parse()
	if flag.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", flag.Args())
	}

	var err error
	if o.certs, err = parseCounts("-n", certs); err != nil {
		return o, err
	}
	if o.hba, err = parseCounts("-hba", hba); err != nil {
		return o, err
	}
	if len(o.certs)+len(o.hba) == 0 {
		return o, errors.New("nothing to run: -n and -hba are both empty")
	}
	if o.reps < 1 {
		return o, fmt.Errorf("-reps must be at least 1, got %d", o.reps)
	}
	o.paths = map[string]string{"terraform": terraformBin, "tofu": tofuBin}
	for _, c := range strings.Split(clis, ",") {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		p, ok := o.paths[c]
		if !ok {
			return o, fmt.Errorf("-cli: unknown CLI %q (want terraform or tofu)", c)
		}
		if p == "" {
			return o, fmt.Errorf("no path for %s: pass -%s or set PGTLS_BENCH_%s (tools/bench-e2e.sh does)", c, c, strings.ToUpper(c))
		}
		o.clis = append(o.clis, c)
	}
	if len(o.clis) == 0 {
		return o, errors.New("-cli: no CLI selected")
	}
	if o.repo, err = filepath.Abs(o.repo); err != nil {
		return o, fmt.Errorf("-repo: %w", err)
	}
	if _, err := os.Stat(filepath.Join(o.repo, "go.mod")); err != nil {
		return o, fmt.Errorf("-repo %s is not the provider's module root: %w", o.repo, err)
	}
	return o, nil
}

func parseCounts(name, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s: %q is not a positive count", name, f)
		}
		out = append(out, n)
	}
	return out, nil
}

func run() error {
	o, err := parseFlags()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	tmp, err := os.MkdirTemp("", "pgtls-bench-e2e-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer func() { _ = os.RemoveAll(tmp) }()

	b := &bench{opts: o, tmp: tmp, sizes: map[int]certSizes{}}
	if err := b.setup(ctx); err != nil {
		return err
	}
	header, err := b.header(ctx)
	if err != nil {
		return err
	}

	var results []result
	for _, cli := range o.clis {
		for _, n := range o.certs {
			r, err := b.scenario(ctx, cli, "certs", n)
			if err != nil {
				return err
			}
			results = append(results, r)
		}
		for _, n := range o.hba {
			r, err := b.scenario(ctx, cli, "hba", n)
			if err != nil {
				return err
			}
			results = append(results, r)
		}
	}

	report := header + "\n" + table(results) + b.notes()
	fmt.Print(report)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(report), 0o644); err != nil {
			return fmt.Errorf("-out: %w", err)
		}
	}
	return nil
}

// certSizes are the byte lengths of one pgtls_root_ca's and one
// pgtls_client_cert's values in `show -json`, measured once per certificate
// count and used for the floor's input strings.
type certSizes struct{ ca, cert int }

type bench struct {
	opts         options
	tmp          string
	overrides    string // directory holding the wrapper as terraform-provider-pgtls
	realProvider string // the provider built from opts.repo
	sizes        map[int]certSizes
}

// setup builds the provider, installs this program as its wrapper and writes
// one CLI configuration per CLI with dev_overrides pointing at the wrapper.
func (b *bench) setup(ctx context.Context) error {
	b.realProvider = filepath.Join(b.tmp, providerName+"-real")
	fmt.Fprintf(os.Stderr, "building the provider from %s\n", b.opts.repo)
	build := exec.CommandContext(ctx, "go", "build", "-o", b.realProvider, ".")
	build.Dir = b.opts.repo
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build the provider: %w\n%s", err, tail(out, 40))
	}

	b.overrides = filepath.Join(b.tmp, "overrides")
	if err := os.MkdirAll(b.overrides, 0o755); err != nil {
		return fmt.Errorf("overrides dir: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("locate this program for the wrapper: %w", err)
	}
	if err := copyFile(self, filepath.Join(b.overrides, providerName), 0o755); err != nil {
		return fmt.Errorf("install the wrapper: %w", err)
	}

	hosts := map[string]string{"terraform": "registry.terraform.io", "tofu": "registry.opentofu.org"}
	for _, cli := range b.opts.clis {
		rc := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n  direct {}\n}\n",
			hosts[cli]+"/pgtls/pgtls", b.overrides)
		if err := os.WriteFile(b.cliConfig(cli), []byte(rc), 0o644); err != nil {
			return fmt.Errorf("CLI config: %w", err)
		}
	}
	return nil
}

func (b *bench) cliConfig(cli string) string { return filepath.Join(b.tmp, cli+".tfrc") }

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

// header describes the machine, the CLIs and the tree under test.
func (b *bench) header(ctx context.Context) (string, error) {
	var sb strings.Builder
	sb.WriteString("## pgtls end-to-end benchmark\n\n")
	fmt.Fprintf(&sb, "- machine: %d CPUs (nproc), %s, %s RAM\n", runtime.NumCPU(), cpuModel(), memTotal())
	for _, cli := range b.opts.clis {
		out, err := exec.CommandContext(ctx, b.opts.paths[cli], "version").Output()
		if err != nil {
			return "", fmt.Errorf("%s version: %w", b.opts.paths[cli], err)
		}
		first, _, _ := strings.Cut(string(out), "\n")
		fmt.Fprintf(&sb, "- %s: %s (%s)\n", cli, strings.TrimSpace(first), b.opts.paths[cli])
	}
	fmt.Fprintf(&sb, "- provider: %s, built with %s\n", treeVersion(ctx, b.opts.repo), runtime.Version())
	fmt.Fprintf(&sb, "- reps: %d per side (pgtls and floor alternate), medians shown; apply from empty state and no-op plan, both %s\n",
		b.opts.reps, parallelism)
	return sb.String(), nil
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func memTotal() string {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "MemTotal:" {
			if kib, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				return fmt.Sprintf("%.1f GiB", float64(kib)/(1<<20))
			}
		}
	}
	return "unknown"
}

func treeVersion(ctx context.Context, repo string) string {
	out, err := exec.CommandContext(ctx, "git", "-C", repo, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return repo
	}
	v := strings.TrimSpace(string(out))
	if st, err := exec.CommandContext(ctx, "git", "-C", repo, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		v += "+dirty"
	}
	return v + " (" + repo + ")"
}

type result struct {
	kind, cli             string
	n                     int
	pgApply, floorApply   []time.Duration
	pgPlan, floorPlan     []time.Duration
	peakRSSKiB, providers int64
}

// scenario runs one scenario on one CLI: reps × (pgtls, floor).
func (b *bench) scenario(ctx context.Context, cli, kind string, n int) (result, error) {
	r := result{kind: kind, cli: cli, n: n}
	name := fmt.Sprintf("%s %d %s", kind, n, cli)
	dir := filepath.Join(b.tmp, fmt.Sprintf("%s-%d-%s", kind, n, cli))
	pgDir, floorDir := filepath.Join(dir, "pgtls"), filepath.Join(dir, "floor")
	for _, d := range []string{pgDir, floorDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return r, fmt.Errorf("%s: %w", name, err)
		}
	}
	defer func() { _ = os.RemoveAll(dir) }()

	var pgCfg string
	switch kind {
	case "certs":
		pgCfg = certsConfig(n)
	case "hba":
		rules := hbaRules(n)
		pgCfg = pgtlsRequirement + rules + "resource \"pgtls_hba_file\" \"hba\" {\n  rules = local.rules\n}\n"
		// The floor is known up front; the certs floor waits for the sizes.
		if err := writeConfig(floorDir, rules+"resource \"terraform_data\" \"hba\" {\n  input = local.rules\n}\n"); err != nil {
			return r, fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := writeConfig(pgDir, pgCfg); err != nil {
		return r, fmt.Errorf("%s: %w", name, err)
	}

	// dev_overrides serves pgtls, so the pgtls side needs no init (and must not
	// reach a registry); the floor's init installs nothing (built-in only).
	floorReady := false
	initFloor := func() error {
		if floorReady {
			return nil
		}
		floorReady = true
		_, _, err := b.tf(ctx, cli, floorDir, "", "init", "-input=false", "-no-color")
		return err
	}
	if kind == "hba" {
		if err := initFloor(); err != nil {
			return r, fmt.Errorf("%s: floor: %w", name, err)
		}
	}

	for rep := 1; rep <= b.opts.reps; rep++ {
		// pgtls
		rssFile := filepath.Join(dir, fmt.Sprintf("rss-%d", rep))
		apply, plan, err := b.cycle(ctx, cli, pgDir, rssFile, func() error {
			if kind != "certs" {
				return nil
			}
			if _, ok := b.sizes[n]; !ok {
				s, err := b.measureSizes(ctx, cli, pgDir)
				if err != nil {
					return err
				}
				b.sizes[n] = s
			}
			return nil
		})
		if err != nil {
			return r, fmt.Errorf("%s: pgtls rep %d: %w", name, rep, err)
		}
		peak, count, err := readRSS(rssFile)
		if err != nil {
			return r, fmt.Errorf("%s: pgtls rep %d: %w", name, rep, err)
		}
		r.pgApply, r.pgPlan = append(r.pgApply, apply), append(r.pgPlan, plan)
		r.peakRSSKiB, r.providers = max(r.peakRSSKiB, peak), r.providers+count
		fmt.Fprintf(os.Stderr, "[%s] rep %d/%d pgtls: apply %s, no-op plan %s, provider peak RSS %s (%d processes)\n",
			name, rep, b.opts.reps, secs(apply), secs(plan), mib(peak), count)

		// floor
		if kind == "certs" && !floorReady {
			if err := writeConfig(floorDir, certsFloorConfig(n, b.sizes[n])); err != nil {
				return r, fmt.Errorf("%s: %w", name, err)
			}
		}
		if err := initFloor(); err != nil {
			return r, fmt.Errorf("%s: floor: %w", name, err)
		}
		apply, plan, err = b.cycle(ctx, cli, floorDir, "", nil)
		if err != nil {
			return r, fmt.Errorf("%s: floor rep %d: %w", name, rep, err)
		}
		r.floorApply, r.floorPlan = append(r.floorApply, apply), append(r.floorPlan, plan)
		fmt.Fprintf(os.Stderr, "[%s] rep %d/%d floor: apply %s, no-op plan %s\n", name, rep, b.opts.reps, secs(apply), secs(plan))
	}
	return r, nil
}

// cycle is one repetition in dir: timed apply from empty state, afterApply
// (untimed), timed no-op plan, untimed destroy.
func (b *bench) cycle(ctx context.Context, cli, dir, rssFile string, afterApply func() error) (apply, plan time.Duration, err error) {
	apply, _, err = b.tf(ctx, cli, dir, rssFile, "apply", "-auto-approve", "-input=false", "-no-color", parallelism)
	if err != nil {
		return 0, 0, err
	}
	if afterApply != nil {
		if err := afterApply(); err != nil {
			return 0, 0, err
		}
	}
	plan, planOut, err := b.tf(ctx, cli, dir, rssFile, "plan", "-input=false", "-no-color", parallelism, "-detailed-exitcode")
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) && exitErr.ExitCode() == 2 {
		fmt.Fprintf(os.Stderr, "\n!!!!!!!! BUG: perpetual diff: `%s plan` right after apply wants changes (exit 2) in %s\n%s\n!!!!!!!!\n\n",
			cli, dir, tail(planOut, 60))
		return 0, 0, fmt.Errorf("BUG: perpetual diff: the no-op plan after apply exited 2 (changes pending): %w", err)
	}
	if err != nil {
		return 0, 0, err
	}
	if _, _, err := b.tf(ctx, cli, dir, rssFile, "destroy", "-auto-approve", "-input=false", "-no-color", parallelism); err != nil {
		return 0, 0, err
	}
	return apply, plan, nil
}

// tf runs one CLI command in dir and returns its wall time and combined
// output. A failed command's error carries the tail of its output.
func (b *bench) tf(ctx context.Context, cli, dir, rssFile string, args ...string) (time.Duration, []byte, error) {
	cmd := exec.CommandContext(ctx, b.opts.paths[cli], args...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(),
		"TF_CLI_CONFIG_FILE="+b.cliConfig(cli),
		"CHECKPOINT_DISABLE=1",
		"TF_IN_AUTOMATION=1",
		envWrapReal+"="+b.realProvider,
		envRSSFile+"="+rssFile,
	)
	// On Ctrl-C, let the CLI stop its providers instead of killing it outright.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr

	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	// The transcript, then errors and warnings.
	combined := append(out.Bytes(), stderr.Bytes()...)
	if ctx.Err() != nil {
		return elapsed, combined, fmt.Errorf("`%s %s` interrupted: %w", cli, args[0], ctx.Err())
	}
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) && exitErr.ExitCode() == 2 && args[0] == "plan" {
			return elapsed, combined, err // the caller reports the diff
		}
		return elapsed, combined, fmt.Errorf("`%s %s` in %s failed: %w\n--- stderr (tail) ---\n%s--- stdout (tail) ---\n%s",
			cli, strings.Join(args, " "), dir, err, tail(stderr.Bytes(), 40), tail(out.Bytes(), 20))
	}
	return elapsed, combined, nil
}

// cleanEnv is the environment without the variables that would change what
// the CLI does or logs (TF_LOG stays unset, the user's default).
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "TF_LOG"), strings.HasPrefix(k, "TF_CLI_ARGS"),
			k == "TF_CLI_CONFIG_FILE", k == "TOFU_CLI_CONFIG_FILE", k == "TF_DATA_DIR",
			k == "TF_WORKSPACE", k == "TF_PLUGIN_CACHE_DIR", k == "TF_REATTACH_PROVIDERS",
			k == envWrapReal, k == envRSSFile:
			continue
		}
		env = append(env, kv)
	}
	return env
}

// measureSizes reads `show -json` in a pgtls certs directory and returns the
// JSON length of the values of the root CA and of the first client cert.
func (b *bench) measureSizes(ctx context.Context, cli, dir string) (certSizes, error) {
	cmd := exec.CommandContext(ctx, b.opts.paths[cli], "show", "-json", "-no-color")
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), "TF_CLI_CONFIG_FILE="+b.cliConfig(cli), "CHECKPOINT_DISABLE=1",
		envWrapReal+"="+b.realProvider)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return certSizes{}, fmt.Errorf("`%s show -json` in %s failed: %w\n%s", cli, dir, err, tail(stderr.Bytes(), 40))
	}
	var state struct {
		Values struct {
			RootModule struct {
				Resources []struct {
					Address string          `json:"address"`
					Values  json.RawMessage `json:"values"`
				} `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal(out, &state); err != nil {
		return certSizes{}, fmt.Errorf("parse `%s show -json`: %w", cli, err)
	}
	var s certSizes
	for _, res := range state.Values.RootModule.Resources {
		var compact bytes.Buffer
		if err := json.Compact(&compact, res.Values); err != nil {
			return certSizes{}, fmt.Errorf("values of %s: %w", res.Address, err)
		}
		switch res.Address {
		case "pgtls_root_ca.ca":
			s.ca = compact.Len()
		case "pgtls_client_cert.c[0]":
			s.cert = compact.Len()
		}
	}
	if s.ca == 0 || s.cert == 0 {
		return certSizes{}, fmt.Errorf("`%s show -json` in %s: no values for pgtls_root_ca.ca or pgtls_client_cert.c[0]", cli, dir)
	}
	return s, nil
}

// readRSS returns the largest peak RSS (KiB) the wrapper recorded and how
// many provider processes it recorded.
func readRSS(file string) (peak, count int64, err error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, 0, fmt.Errorf("no provider RSS recorded (did the CLI run the wrapper?): %w", err)
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, err := strconv.ParseInt(strings.TrimSpace(sc.Text()), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("RSS file %s: %w", file, err)
		}
		peak, count = max(peak, v), count+1
	}
	if err := sc.Err(); err != nil {
		return 0, 0, fmt.Errorf("RSS file %s: %w", file, err)
	}
	return peak, count, nil
}

func writeConfig(dir, hcl string) error {
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(hcl), 0o644); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	return nil
}

const pgtlsRequirement = `terraform {
  required_providers {
    pgtls = {
      source = "pgtls/pgtls"
    }
  }
}

`

func certsConfig(n int) string {
	return pgtlsRequirement + fmt.Sprintf(`resource "pgtls_root_ca" "ca" {
  subject = { common_name = "bench root" }
}

resource "pgtls_client_cert" "c" {
  count              = %d
  user               = "u${count.index}"
  ca_cert_pem        = pgtls_root_ca.ca.cert_pem
  ca_private_key_pem = pgtls_root_ca.ca.private_key_pem
}
`, n)
}

// certsFloorConfig mirrors certsConfig with terraform_data: the CA's input
// has the CA's size, each cert's input (an 8-digit index and padding) the
// client cert's size, and the certs depend on the CA as in pgtls.
func certsFloorConfig(n int, s certSizes) string {
	return fmt.Sprintf(`locals {
  pad = %q
}

resource "terraform_data" "ca" {
  input = %q
}

resource "terraform_data" "c" {
  count      = %d
  input      = format("%%08d%%s", count.index, local.pad)
  depends_on = [terraform_data.ca]
}
`, filler(max(s.cert-8, 0)), filler(s.ca), n)
}

// filler is n bytes of plain ASCII that need no escaping in HCL or JSON.
func filler(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var sb strings.Builder
	sb.Grow(n)
	for i := 0; i < n; i++ {
		sb.WriteByte(alphabet[i%len(alphabet)])
	}
	return sb.String()
}

// hbaRules is a locals block with n literal rules, one per line, as a user
// would write them.
func hbaRules(n int) string {
	var sb strings.Builder
	sb.WriteString("locals {\n  rules = [\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sb, "    { type = \"hostssl\", databases = [\"db%d\"], users = [\"user%d\"], address = \"10.%d.%d.0/24\", method = \"scram-sha-256\" },\n",
			i, i, i/256%256, i%256)
	}
	sb.WriteString("  ]\n}\n\n")
	return sb.String()
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

func mib(kib int64) string { return fmt.Sprintf("%.0f MiB", float64(kib)/1024) }

func ratio(a, b time.Duration) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", float64(a)/float64(b))
}

func table(results []result) string {
	var sb strings.Builder
	sb.WriteString("| scenario | CLI | pgtls apply | floor apply | ratio | pgtls no-op plan | floor no-op plan | ratio | provider peak RSS |\n")
	sb.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range results {
		pa, fa, pp, fp := median(r.pgApply), median(r.floorApply), median(r.pgPlan), median(r.floorPlan)
		fmt.Fprintf(&sb, "| %s %d | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.kind, r.n, r.cli, secs(pa), secs(fa), ratio(pa, fa), secs(pp), secs(fp), ratio(pp, fp), mib(r.peakRSSKiB))
	}
	return sb.String()
}

func (b *bench) notes() string {
	var sb strings.Builder
	sb.WriteString("\nTimes are wall-clock medians of the CLI command. Provider peak RSS is the largest max RSS of any pgtls provider process over all reps (apply, plan and destroy).\n")
	ns := make([]int, 0, len(b.sizes))
	for n := range b.sizes {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	for _, n := range ns {
		s := b.sizes[n]
		fmt.Fprintf(&sb, "certs %d floor: terraform_data inputs of %d bytes (root CA values) and %d bytes (client cert values); terraform_data stores input twice (input and output).\n", n, s.ca, s.cert)
	}
	return sb.String()
}

// tail is the last n lines of b.
func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[... %d lines omitted]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n") + "\n"
}
