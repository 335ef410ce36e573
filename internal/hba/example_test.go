package hba_test

import (
	"fmt"

	"github.com/pgtls/terraform-provider-pgtls/internal/hba"
)

// The provider glue: HCL strings -> Names -> Rule -> Validate -> Render.
func ExampleRule_Render() {
	dbs, _ := hba.ParseDatabases("databases", []string{"app", `"all"`, `"my db"`})
	users, _ := hba.ParseUsers("users", []string{"+services", `"+literal"`})
	r := hba.Rule{Type: hba.HostSSL, Databases: dbs, Users: users, Address: "10.0.0.0/8", Method: hba.Cert, ClientName: "DN", Map: "certs", Comment: "services"}
	fmt.Println(r.Validate(hba.TargetPostgreSQL, 15))
	line, err := r.Render()
	fmt.Println(line, err)
	// Output:
	// []
	// hostssl      app,"all","my db" +services,"+literal" 10.0.0.0/8              cert clientname=DN map=certs  # services <nil>
}

func ExampleRule_Validate() {
	r := hba.Rule{Type: hba.Host, Databases: []hba.Name{hba.Kw("all")}, Users: []hba.Name{hba.Kw("all")}, Address: "all", Method: hba.Cert, ClientCert: "verify-ca"}
	for _, p := range r.Validate(hba.TargetPostgreSQL, 16) {
		fmt.Println(p)
	}
	// Output:
	// method = "cert": cert authentication is only supported on hostssl connections
	// clientcert = "verify-ca": clientcert can only be configured for "hostssl" rows
	// clientcert = "verify-ca": clientcert only accepts "verify-full" when using "cert" authentication
}

func ExampleLint() {
	pf, _ := hba.Parse(`
host    all  all  10.0.0.0/8  md5
hostssl app  all  10.0.0.0/8  scram-sha-256
host    all  all  10.1.0.0/16 reject
`, 15)
	var rules []hba.Rule
	for _, pr := range pf.Rules {
		rules = append(rules, pr.Rule)
	}
	for _, f := range hba.Lint(rules, nil, hba.LintOptions{Version: 15}) {
		fmt.Println(f.Code, f.Severity, f.RuleIndex, f.OtherRuleIndex)
	}
	// Output:
	// md5_deprecated info 0 -1
	// non_tls_path warning 0 1
	// shadowed warning 1 0
	// shadowed error 2 0
}
