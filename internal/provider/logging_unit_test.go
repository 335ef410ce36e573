package provider

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"
)

// TestLogCtxMasksSecrets logs secrets the ways a careless future log line
// could (as a field under a secret key, under an innocent key, inside the
// message) and checks none reaches the output while ordinary fields do.
func TestLogCtxMasksSecrets(t *testing.T) {
	const sentinel = "Sentinel-Secret-7f3a"
	pemKey := "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB0123456789abcdefghijklmnopqrstuvwxyzABCD\n-----END EC PRIVATE KEY-----\n"
	verifier := "SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0$c3RvcmVka2V5c3RvcmVka2V5:c2VydmVya2V5c2VydmVya2V5"
	var buf bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &buf)
	ctx = logCtx(ctx, "pgtls_test", sentinel)
	tflog.Info(ctx, "issued certificate", map[string]any{"serial": "12345", "private_key_pem": "x" + sentinel})
	tflog.Debug(ctx, "careless "+sentinel+" in message", map[string]any{"note": sentinel, "blob": pemKey, "v": verifier})
	tflog.Trace(ctx, "key in message "+pemKey)
	tflog.Trace(ctx, "md5 hash md50123456789abcdef0123456789abcdef and AES entry AESabcdefghijklmnopqrstuvwx==")
	out := buf.String()
	for _, leak := range []string{sentinel, "MHcCAQEEIB0123", "c3RvcmVka2V5", "0123456789abcdef0123456789abcdef", "abcdefghijklmnopqrstuvwx"} {
		if strings.Contains(out, leak) {
			t.Errorf("log output leaks %q:\n%s", leak, out)
		}
	}
	entries, err := tflogtest.MultilineJSONDecode(&buf)
	if err != nil || len(entries) != 4 {
		t.Fatalf("want 4 JSON log entries, got %d (%v):\n%s", len(entries), err, out)
	}
	if entries[0]["serial"] != "12345" || entries[0]["pgtls_component"] != "pgtls_test" {
		t.Errorf("ordinary fields must survive masking: %v", entries[0])
	}
}
