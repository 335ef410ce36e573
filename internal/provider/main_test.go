package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestMain says loudly, after the run, that the acceptance tests did not run
// when TF_ACC is unset: `go test ./...` then proves the unit tests only, and
// a PASS must not be read as more than that.
func TestMain(m *testing.M) {
	code := m.Run()
	if os.Getenv("TF_ACC") == "" {
		if n := countAccTests(); n > 0 {
			fmt.Fprintf(os.Stderr, "\n*** %d acceptance tests (TestAcc*) were SKIPPED: they need TF_ACC=1 and "+
				"TF_ACC_TERRAFORM_PATH (run `make testacc`, part of `make test`). This run proved the unit tests only. ***\n\n", n)
		}
	}
	os.Exit(code)
}

var accTestDecl = regexp.MustCompile(`(?m)^func TestAcc\w*\(t \*testing\.T\)`)

// countAccTests counts the acceptance test functions of this package.
func countAccTests() int {
	files, _ := filepath.Glob("*_test.go")
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil {
			n += len(accTestDecl.FindAll(b, -1))
		}
	}
	return n
}
