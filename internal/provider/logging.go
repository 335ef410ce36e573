package provider

// Structured logging with terraform-plugin-log. Every resource, data source
// and function that logs derives its context from logCtx, which registers
// the masks, so a log line added later cannot leak a key or a password even
// if someone passes one as a field by mistake.

import (
	"context"
	"regexp"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pgtls/terraform-provider-pgtls/internal/hba"
)

// secretLogKeys are field keys whose values are always masked. A field
// carrying a secret under another key is still caught by secretLogPatterns
// or by the request's own secret values (logCtx's secrets argument).
var secretLogKeys = []string{
	"private_key_pem", "ca_private_key_pem", "private_key_pkcs8_der_base64", "key_pem",
	"password", "passwords", "secret", "secret_options", "sensitive_content", "sensitive_line",
	"verifier", "aes_key", "passphrase_command", "ssl_passphrase_command",
}

// secretLogPatterns match secret material wherever it appears, in messages
// and field values: PEM private keys (every label OpenSSL writes), SCRAM
// verifiers, md5 password hashes and pool_passwd AES entries.
var secretLogPatterns = []*regexp.Regexp{
	regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)`),
	regexp.MustCompile(`SCRAM-SHA-256\$[0-9]+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+`),
	regexp.MustCompile(`\bmd5[0-9a-f]{32}\b`),
	regexp.MustCompile(`\bAES[A-Za-z0-9+/=]{16,}`),
}

// logCtx returns ctx with the pgtls masks and the component name set. secrets
// are the secret values of this request (passwords, secret options): they
// are masked in messages and in every field.
func logCtx(ctx context.Context, component string, secrets ...string) context.Context {
	ctx = tflog.SetField(ctx, "pgtls_component", component)
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, secretLogKeys...)
	ctx = tflog.MaskLogRegexes(ctx, secretLogPatterns...)
	var vals []string
	for _, s := range secrets {
		if s != "" {
			vals = append(vals, s)
		}
	}
	if len(vals) > 0 {
		ctx = tflog.MaskLogStrings(ctx, vals...)
	}
	return ctx
}

// findingCounts counts lint findings by code for a log line.
func findingCounts(findings []hba.Finding) map[string]int {
	out := map[string]int{}
	for _, f := range findings {
		out[f.Code]++
	}
	return out
}
