package hba

import (
	"fmt"
	"strings"
)

// Expectation is a declared outcome for one attempt, the building block of
// policy assertions in CI: Result is "reject" (the server refuses the
// attempt without asking for credentials), "allow" (it goes on to
// authenticate it), or a method name (it goes on with that method).
type Expectation struct {
	Name    string // optional, for messages
	Attempt Attempt
	Result  string
}

// ExpectationResults lists the values Expectation.Result accepts.
func ExpectationResults() []string {
	out := []string{string(ResultReject), string(ResultAllow)}
	for _, m := range Methods {
		if m != Reject {
			out = append(out, string(m))
		}
	}
	return out
}

// ExpectationOutcome is the verdict on one expectation.
type ExpectationOutcome struct {
	OK       bool
	Decision Decision
	Got      string // what the file does: reject, or the method it authenticates with
	Message  string // why it fails (empty when OK): names the deciding line
}

// Check evaluates e. An error means the attempt cannot be decided (an
// invalid attempt or an input the deciding lines need, see Match).
func (m *Matcher) Check(e Expectation) (ExpectationOutcome, error) {
	valid := false
	for _, r := range ExpectationResults() {
		if e.Result == r {
			valid = true
		}
	}
	if !valid {
		return ExpectationOutcome{}, fmt.Errorf("result %q: must be one of %s", e.Result, strings.Join(ExpectationResults(), ", "))
	}
	d, err := m.Match(e.Attempt)
	if err != nil {
		return ExpectationOutcome{}, err
	}
	out := ExpectationOutcome{Decision: d, Got: string(ResultReject)}
	if d.Result == ResultAllow {
		out.Got = string(d.Method)
	}
	switch e.Result {
	case string(ResultReject):
		out.OK = d.Result == ResultReject
	case string(ResultAllow):
		out.OK = d.Result == ResultAllow
	default:
		out.OK = d.Result == ResultAllow && string(d.Method) == e.Result
	}
	if !out.OK {
		got := "reject"
		if d.Result == ResultAllow {
			got = "allow with " + string(d.Method)
		}
		out.Message = fmt.Sprintf("expected %s, but PostgreSQL %d would %s: %s", e.Result, m.Version, got, d.Reason)
	}
	return out, nil
}
