package provider

// The harness for the end-to-end deployments: Terraform writes every file a
// server reads with pgtls_file_set, and the test harness starts the server
// on them in the same apply, before Terraform reads the
// pgtls_connection_check data sources that depend on the file sets.
//
// It works like a service manager watching the directories: the provider is
// served in-process wrapped so that, once Terraform has applied the
// pgtls_file_set resources a server needs (its ApplyResourceChange
// returned without error), the harness starts that server on the files just
// written and only then answers Terraform. Terraform goes on to the data
// sources with the server up; a start that fails is an error diagnostic on
// the file set that completed the server's files.

import (
	"context"
	"fmt"
	"os/user"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// startHook starts one server once every directory in after has been
// written by an applied pgtls_file_set.
type startHook struct {
	name  string
	after []string
	start func(tb testing.TB) error
	done  bool
}

// deployHarness holds the hooks of one test and serves the provider.
type deployHarness struct {
	t       *testing.T
	mu      sync.Mutex
	hooks   []*startHook
	written map[string]bool // directories of applied file sets
	typ     tftypes.Type    // pgtls_file_set's state type
}

func newDeployHarness(t *testing.T) *deployHarness {
	return &deployHarness{t: t, written: map[string]bool{}}
}

// startAfter registers a server start that runs once file sets for all of
// dirs have been applied.
func (h *deployHarness) startAfter(name string, dirs []string, start func(tb testing.TB) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hooks = append(h.hooks, &startHook{name: name, after: dirs, start: start})
}

// started reports which hooks have run.
func (h *deployHarness) started() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, k := range h.hooks {
		if k.done {
			out = append(out, k.name)
		}
	}
	return out
}

func (h *deployHarness) factories() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"pgtls": func() (tfprotov6.ProviderServer, error) {
			s, err := providerserver.NewProtocol6WithError(New("test")())()
			if err != nil {
				return nil, err
			}
			return &hookedServer{ProviderServer: s, h: h}, nil
		},
	}
}

type hookedServer struct {
	tfprotov6.ProviderServer
	h *deployHarness
}

func (s *hookedServer) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	resp, err := s.ProviderServer.ApplyResourceChange(ctx, req)
	if err != nil || resp == nil || req.TypeName != "pgtls_file_set" || resp.NewState == nil || hasError(resp.Diagnostics) {
		return resp, err
	}
	dir, derr := s.directoryOf(ctx, resp.NewState)
	if derr != nil {
		resp.Diagnostics = append(resp.Diagnostics, harnessDiag("cannot read the applied file set's directory", derr))
		return resp, nil
	}
	if dir == "" { // destroyed
		return resp, nil
	}
	for _, e := range s.h.afterWrite(dir) {
		resp.Diagnostics = append(resp.Diagnostics, harnessDiag("starting a server on the files just written failed", e))
	}
	return resp, nil
}

func (s *hookedServer) directoryOf(ctx context.Context, v *tfprotov6.DynamicValue) (string, error) {
	s.h.mu.Lock()
	typ := s.h.typ
	s.h.mu.Unlock()
	if typ == nil {
		sch, err := s.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
		if err != nil {
			return "", err
		}
		rs, ok := sch.ResourceSchemas["pgtls_file_set"]
		if !ok {
			return "", fmt.Errorf("no pgtls_file_set schema")
		}
		typ = rs.ValueType()
		s.h.mu.Lock()
		s.h.typ = typ
		s.h.mu.Unlock()
	}
	val, err := v.Unmarshal(typ)
	if err != nil || val.IsNull() {
		return "", err
	}
	var attrs map[string]tftypes.Value
	if err := val.As(&attrs); err != nil {
		return "", err
	}
	var dir string
	if err := attrs["directory"].As(&dir); err != nil {
		return "", err
	}
	return dir, nil
}

// afterWrite records dir and runs every hook whose directories are now all
// written, in registration order.
func (h *deployHarness) afterWrite(dir string) []error {
	h.mu.Lock()
	h.written[dir] = true
	var ready []*startHook
	for _, k := range h.hooks {
		if k.done {
			continue
		}
		all := true
		for _, d := range k.after {
			all = all && h.written[d]
		}
		if all {
			k.done = true
			ready = append(ready, k)
		}
	}
	h.mu.Unlock()
	var errs []error
	for _, k := range ready {
		if err := runOffTestGoroutine(h.t, k.start); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k.name, err))
		}
	}
	return errs
}

func hasError(ds []*tfprotov6.Diagnostic) bool {
	for _, d := range ds {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			return true
		}
	}
	return false
}

func harnessDiag(summary string, err error) *tfprotov6.Diagnostic {
	return &tfprotov6.Diagnostic{Severity: tfprotov6.DiagnosticSeverityError, Summary: "test harness: " + summary, Detail: err.Error()}
}

// offGoroutineTB lets testserver functions that fail t run on a provider
// server goroutine, where FailNow and SkipNow must not be called: a fatal
// error or skip ends the hook with an error instead. Cleanup, Log and
// Helper go to the real test (they are safe from any goroutine).
type offGoroutineTB struct {
	testing.TB
	mu   sync.Mutex
	msgs []string
}

type hookAbort struct{}

func (o *offGoroutineTB) record(s string) {
	o.mu.Lock()
	o.msgs = append(o.msgs, s)
	o.mu.Unlock()
}
func (o *offGoroutineTB) Helper()                   {}
func (o *offGoroutineTB) Error(args ...any)         { o.record(fmt.Sprint(args...)) }
func (o *offGoroutineTB) Errorf(f string, a ...any) { o.record(fmt.Sprintf(f, a...)) }
func (o *offGoroutineTB) Fail()                     { o.record("failed") }
func (o *offGoroutineTB) FailNow()                  { o.record("failed"); panic(hookAbort{}) }
func (o *offGoroutineTB) Fatal(args ...any)         { o.record(fmt.Sprint(args...)); panic(hookAbort{}) }
func (o *offGoroutineTB) Fatalf(f string, a ...any) {
	o.record(fmt.Sprintf(f, a...))
	panic(hookAbort{})
}
func (o *offGoroutineTB) Skip(args ...any) {
	o.record("skip: " + fmt.Sprint(args...))
	panic(hookAbort{})
}
func (o *offGoroutineTB) Skipf(f string, a ...any) {
	o.record("skip: " + fmt.Sprintf(f, a...))
	panic(hookAbort{})
}
func (o *offGoroutineTB) SkipNow() { o.record("skipped"); panic(hookAbort{}) }
func (o *offGoroutineTB) Failed() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.msgs) > 0 || o.TB.Failed()
}

// runOffTestGoroutine runs f with an offGoroutineTB; any recorded failure,
// returned error or panic becomes the returned error (and fails the test).
func runOffTestGoroutine(t *testing.T, f func(tb testing.TB) error) (err error) {
	o := &offGoroutineTB{TB: t}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(hookAbort); !ok {
				o.record(fmt.Sprintf("panic: %v\n%s", r, debug.Stack()))
			}
		}
		o.mu.Lock()
		msgs := append([]string(nil), o.msgs...)
		o.mu.Unlock()
		if err != nil {
			msgs = append(msgs, err.Error())
		}
		if len(msgs) > 0 {
			err = fmt.Errorf("%s", strings.Join(msgs, "\n"))
			t.Errorf("test harness: %v", err)
		}
	}()
	return f(o)
}

// lookupUID is the uid of an OS user.
func lookupUID(name string) (int, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(u.Uid)
}
