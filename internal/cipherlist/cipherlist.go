// Package cipherlist validates OpenSSL cipher-list strings (ssl_ciphers,
// client_tls_ciphers, ...) and TLS 1.3 cipher-suite lists against what
// OpenSSL 3.0 (Debian bookworm) knows. It imports nothing from Terraform.
package cipherlist

// OpenSSL cipher-list strings (ssl_ciphers, client_tls_ciphers, ...) as
// SSL_CTX_set_cipher_list reads them: items separated by ':', ',', ';' or
// blanks; each item an optional '!', '-' or '+' followed by a cipher name, a
// keyword or several joined by '+', or @STRENGTH / @SECLEVEL=n.
//
// OpenSSL IGNORES names it does not know. A typo in an exclusion
// ("HIGH:!aNUL") therefore silently keeps the ciphers the user meant to
// remove, and a typo in an inclusion silently selects less (or, when nothing
// remains, makes the whole TLS setup fail: PgBouncer then refuses to start
// and Pgpool-II 4.3 starts WITHOUT TLS). Every token must therefore be a
// name OpenSSL 3.0 (Debian bookworm) knows; the tests check the lists
// against the installed openssl.

import (
	"strings"
)

// opensslCipherKeywords are the cipher-string aliases of OpenSSL 3.0
// (ssl/ssl_ciph.c cipher_aliases).
var opensslCipherKeywords = setOf(
	"ALL", "COMPLEMENTOFALL", "COMPLEMENTOFDEFAULT", "DEFAULT", "HIGH", "MEDIUM", "LOW", "FIPS",
	"eNULL", "NULL", "aNULL", "kRSA", "aRSA", "RSA", "kDHr", "kDHd", "kDH", "kDHE", "kEDH", "DH", "DHE", "EDH",
	"ADH", "kEECDH", "kECDHE", "kECDH", "ECDH", "ECDHE", "EECDH", "AECDH", "aDSS", "DSS", "aDH", "aECDH",
	"aECDSA", "ECDSA", "kPSK", "kRSAPSK", "kECDHEPSK", "kDHEPSK", "aPSK", "PSK", "kSRP", "aSRP", "SRP",
	"kGOST", "kGOST18", "aGOST", "aGOST01", "aGOST12", "GOST89", "GOST94", "GOST89MAC", "GOST12",
	"3DES", "RC4", "RC2", "IDEA", "SEED", "AES128", "AES256", "AES", "AESGCM", "AESCCM", "AESCCM8",
	"ARIA128", "ARIA256", "ARIA", "ARIAGCM", "CAMELLIA128", "CAMELLIA256", "CAMELLIA", "CHACHA20",
	"MD5", "SHA1", "SHA", "SHA256", "SHA384", "SSLv3", "TLSv1", "TLSv1.0", "TLSv1.2", "CBC",
	"SUITEB128", "SUITEB128ONLY", "SUITEB128C2", "SUITEB192",
)

// opensslObsoleteNames select nothing in OpenSSL 3.0 (export and single-DES
// suites were removed in 1.1.0). They are accepted after '!' or '-' only,
// where old configurations use them harmlessly.
var opensslObsoleteNames = setOf("EXP", "EXPORT", "EXPORT40", "EXPORT56", "DES", "eFZA", "FZA", "aFZA", "kFZA", "KRB5", "kKRB5", "aKRB5")

// opensslCipherNames are the TLS 1.2-and-earlier suite names of OpenSSL 3.0
// (`openssl ciphers 'ALL:COMPLEMENTOFALL:@SECLEVEL=0'`).
var opensslCipherNames = setOf(
	"ADH-AES128-GCM-SHA256", "ADH-AES128-SHA", "ADH-AES128-SHA256", "ADH-AES256-GCM-SHA384",
	"ADH-AES256-SHA", "ADH-AES256-SHA256", "ADH-CAMELLIA128-SHA", "ADH-CAMELLIA128-SHA256",
	"ADH-CAMELLIA256-SHA", "ADH-CAMELLIA256-SHA256", "AECDH-AES128-SHA", "AECDH-AES256-SHA",
	"AECDH-NULL-SHA", "AES128-CCM", "AES128-CCM8", "AES128-GCM-SHA256",
	"AES128-SHA", "AES128-SHA256", "AES256-CCM", "AES256-CCM8",
	"AES256-GCM-SHA384", "AES256-SHA", "AES256-SHA256", "ARIA128-GCM-SHA256",
	"ARIA256-GCM-SHA384", "CAMELLIA128-SHA", "CAMELLIA128-SHA256", "CAMELLIA256-SHA",
	"CAMELLIA256-SHA256", "DHE-DSS-AES128-GCM-SHA256", "DHE-DSS-AES128-SHA", "DHE-DSS-AES128-SHA256",
	"DHE-DSS-AES256-GCM-SHA384", "DHE-DSS-AES256-SHA", "DHE-DSS-AES256-SHA256", "DHE-DSS-ARIA128-GCM-SHA256",
	"DHE-DSS-ARIA256-GCM-SHA384", "DHE-DSS-CAMELLIA128-SHA", "DHE-DSS-CAMELLIA128-SHA256", "DHE-DSS-CAMELLIA256-SHA",
	"DHE-DSS-CAMELLIA256-SHA256", "DHE-PSK-AES128-CBC-SHA", "DHE-PSK-AES128-CBC-SHA256", "DHE-PSK-AES128-CCM",
	"DHE-PSK-AES128-CCM8", "DHE-PSK-AES128-GCM-SHA256", "DHE-PSK-AES256-CBC-SHA", "DHE-PSK-AES256-CBC-SHA384",
	"DHE-PSK-AES256-CCM", "DHE-PSK-AES256-CCM8", "DHE-PSK-AES256-GCM-SHA384", "DHE-PSK-ARIA128-GCM-SHA256",
	"DHE-PSK-ARIA256-GCM-SHA384", "DHE-PSK-CAMELLIA128-SHA256", "DHE-PSK-CAMELLIA256-SHA384", "DHE-PSK-CHACHA20-POLY1305",
	"DHE-PSK-NULL-SHA", "DHE-PSK-NULL-SHA256", "DHE-PSK-NULL-SHA384", "DHE-RSA-AES128-CCM",
	"DHE-RSA-AES128-CCM8", "DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES128-SHA", "DHE-RSA-AES128-SHA256",
	"DHE-RSA-AES256-CCM", "DHE-RSA-AES256-CCM8", "DHE-RSA-AES256-GCM-SHA384", "DHE-RSA-AES256-SHA",
	"DHE-RSA-AES256-SHA256", "DHE-RSA-ARIA128-GCM-SHA256", "DHE-RSA-ARIA256-GCM-SHA384", "DHE-RSA-CAMELLIA128-SHA",
	"DHE-RSA-CAMELLIA128-SHA256", "DHE-RSA-CAMELLIA256-SHA", "DHE-RSA-CAMELLIA256-SHA256", "DHE-RSA-CHACHA20-POLY1305",
	"ECDHE-ARIA128-GCM-SHA256", "ECDHE-ARIA256-GCM-SHA384", "ECDHE-ECDSA-AES128-CCM", "ECDHE-ECDSA-AES128-CCM8",
	"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-CCM",
	"ECDHE-ECDSA-AES256-CCM8", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES256-SHA", "ECDHE-ECDSA-AES256-SHA384",
	"ECDHE-ECDSA-ARIA128-GCM-SHA256", "ECDHE-ECDSA-ARIA256-GCM-SHA384", "ECDHE-ECDSA-CAMELLIA128-SHA256", "ECDHE-ECDSA-CAMELLIA256-SHA384",
	"ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-ECDSA-NULL-SHA", "ECDHE-PSK-AES128-CBC-SHA", "ECDHE-PSK-AES128-CBC-SHA256",
	"ECDHE-PSK-AES256-CBC-SHA", "ECDHE-PSK-AES256-CBC-SHA384", "ECDHE-PSK-CAMELLIA128-SHA256", "ECDHE-PSK-CAMELLIA256-SHA384",
	"ECDHE-PSK-CHACHA20-POLY1305", "ECDHE-PSK-NULL-SHA", "ECDHE-PSK-NULL-SHA256", "ECDHE-PSK-NULL-SHA384",
	"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES128-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
	"ECDHE-RSA-AES256-SHA", "ECDHE-RSA-AES256-SHA384", "ECDHE-RSA-CAMELLIA128-SHA256", "ECDHE-RSA-CAMELLIA256-SHA384",
	"ECDHE-RSA-CHACHA20-POLY1305", "ECDHE-RSA-NULL-SHA", "NULL-MD5", "NULL-SHA",
	"NULL-SHA256", "PSK-AES128-CBC-SHA", "PSK-AES128-CBC-SHA256", "PSK-AES128-CCM",
	"PSK-AES128-CCM8", "PSK-AES128-GCM-SHA256", "PSK-AES256-CBC-SHA", "PSK-AES256-CBC-SHA384",
	"PSK-AES256-CCM", "PSK-AES256-CCM8", "PSK-AES256-GCM-SHA384", "PSK-ARIA128-GCM-SHA256",
	"PSK-ARIA256-GCM-SHA384", "PSK-CAMELLIA128-SHA256", "PSK-CAMELLIA256-SHA384", "PSK-CHACHA20-POLY1305",
	"PSK-NULL-SHA", "PSK-NULL-SHA256", "PSK-NULL-SHA384", "RSA-PSK-AES128-CBC-SHA",
	"RSA-PSK-AES128-CBC-SHA256", "RSA-PSK-AES128-GCM-SHA256", "RSA-PSK-AES256-CBC-SHA", "RSA-PSK-AES256-CBC-SHA384",
	"RSA-PSK-AES256-GCM-SHA384", "RSA-PSK-ARIA128-GCM-SHA256", "RSA-PSK-ARIA256-GCM-SHA384", "RSA-PSK-CAMELLIA128-SHA256",
	"RSA-PSK-CAMELLIA256-SHA384", "RSA-PSK-CHACHA20-POLY1305", "RSA-PSK-NULL-SHA", "RSA-PSK-NULL-SHA256",
	"RSA-PSK-NULL-SHA384", "SRP-AES-128-CBC-SHA", "SRP-AES-256-CBC-SHA", "SRP-DSS-AES-128-CBC-SHA",
	"SRP-DSS-AES-256-CBC-SHA", "SRP-RSA-AES-128-CBC-SHA", "SRP-RSA-AES-256-CBC-SHA")

// TLS13Ciphersuites are the TLS 1.3 suites OpenSSL 3.0 knows
// (SSL_CTX_set_ciphersuites: a ':'-separated list of these, nothing else).
var TLS13Ciphersuites = []string{
	"TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256",
	"TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256",
}

// weakCipherTokens select suites without encryption or authentication, or
// broken ones, when used positively.
var weakCipherTokens = setOf("NULL", "eNULL", "aNULL", "ADH", "AECDH", "COMPLEMENTOFALL", "COMPLEMENTOFDEFAULT",
	"LOW", "MD5", "RC4", "3DES", "RC2", "SSLv3", "kRSA", "RSA")

func setOf(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func isCipherItemSep(c byte) bool { return c == ':' || c == ' ' || c == ';' || c == ',' }

// Check validates an OpenSSL cipher-list string. It returns an
// error message (empty when valid) and the warnings for weak selections.
func Check(s string) (errMsg string, warnings []string) {
	if strings.TrimSpace(s) == "" {
		return "is empty: OpenSSL selects no cipher and TLS setup fails", nil
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 && c != ' ' || c >= 0x7f {
			return "contains a control or non-ASCII character", nil
		}
	}
	items := strings.FieldsFunc(s, func(r rune) bool { return r < 0x80 && isCipherItemSep(byte(r)) })
	positive := 0
	excludes := map[string]bool{}
	for _, it := range items {
		op := byte(0)
		if it[0] == '!' || it[0] == '-' || it[0] == '+' {
			op, it = it[0], it[1:]
		}
		if it == "" {
			return "has an operator ('!', '-' or '+') with no cipher name after it", nil
		}
		if strings.HasPrefix(it, "@") {
			switch {
			case it == "@STRENGTH":
			case strings.HasPrefix(it, "@SECLEVEL=") && len(it) == len("@SECLEVEL=")+1 && it[len(it)-1] >= '0' && it[len(it)-1] <= '5':
				if it == "@SECLEVEL=0" {
					warnings = append(warnings, "@SECLEVEL=0 allows keys and ciphers OpenSSL considers insecure")
				}
			default:
				return "has " + quote(it) + ": only @STRENGTH and @SECLEVEL=0..5 are commands", nil
			}
			if op != 0 {
				return "has an operator before " + quote(it), nil
			}
			continue
		}
		if it == "DEFAULT" && op == 0 {
			positive++
			continue
		}
		for _, part := range strings.Split(it, "+") {
			switch {
			case part == "":
				return "has an empty name in " + quote(it), nil
			case opensslCipherKeywords[part] || opensslCipherNames[part]:
			case opensslObsoleteNames[part] && (op == '!' || op == '-'):
			case opensslObsoleteNames[part]:
				return "selects " + quote(part) + ", which OpenSSL 3.0 no longer has (it would be silently ignored)", nil
			default:
				return "has " + quote(part) + ", which is not a cipher name or keyword OpenSSL 3.0 knows: " +
					"OpenSSL silently ignores unknown names, so a typo changes which ciphers are used", nil
			}
		}
		switch op {
		case '!', '-':
			excludes[it] = true
		case 0:
			positive++
			if weakCipherTokens[it] || strings.Contains(it, "NULL") || strings.HasPrefix(it, "ADH") ||
				strings.HasPrefix(it, "AECDH") || strings.HasSuffix(it, "-MD5") {
				warnings = append(warnings, quote(it)+" selects cipher suites without encryption or authentication, or broken ones")
			}
		}
	}
	if positive == 0 {
		return "selects no cipher (only exclusions or reorderings): TLS setup fails", nil
	}
	for _, it := range items {
		if it == "ALL" && !excludes["aNULL"] {
			warnings = append(warnings, "\"ALL\" without \"!aNULL\" includes anonymous (unauthenticated) cipher suites")
			break
		}
	}
	return "", warnings
}

// CheckTLS13 validates a SSL_CTX_set_ciphersuites list.
func CheckTLS13(s string) string {
	if s == "" {
		return "is empty"
	}
	known := setOf(TLS13Ciphersuites...)
	for _, p := range strings.Split(s, ":") {
		if !known[p] {
			return "has " + quote(p) + ", which is not a TLS 1.3 cipher suite OpenSSL 3.0 knows (" + strings.Join(TLS13Ciphersuites, ", ") + ")"
		}
	}
	return ""
}

func quote(s string) string { return "\"" + s + "\"" }
