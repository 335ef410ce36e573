package pki

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"strings"
	"unicode/utf8"
)

// shortNames maps attribute OIDs to the short names OpenSSL prints with
// XN_FLAG_FN_SN. OIDs not listed are printed in dotted form with their value
// dumped as hex, as OpenSSL does for attributes it does not know.
var shortNames = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.4":                    "SN",
	"2.5.4.5":                    "serialNumber",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.9":                    "street",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.12":                   "title",
	"2.5.4.13":                   "description",
	"2.5.4.15":                   "businessCategory",
	"2.5.4.17":                   "postalCode",
	"2.5.4.41":                   "name",
	"2.5.4.42":                   "GN",
	"2.5.4.43":                   "initials",
	"2.5.4.44":                   "generationQualifier",
	"2.5.4.45":                   "x500UniqueIdentifier",
	"2.5.4.46":                   "dnQualifier",
	"2.5.4.65":                   "pseudonym",
	"2.5.4.72":                   "role",
	"2.5.4.97":                   "organizationIdentifier",
	"1.2.840.113549.1.9.1":       "emailAddress",
	"1.2.840.113549.1.9.2":       "unstructuredName",
	"0.9.2342.19200300.100.1.1":  "UID",
	"0.9.2342.19200300.100.1.25": "DC",
	"1.3.6.1.4.1.311.60.2.1.1":   "jurisdictionL",
	"1.3.6.1.4.1.311.60.2.1.2":   "jurisdictionST",
	"1.3.6.1.4.1.311.60.2.1.3":   "jurisdictionC",
}

// RFC2253 renders the certificate subject exactly as PostgreSQL compares it
// with clientname=DN: OpenSSL's X509_NAME_print_ex(..., XN_FLAG_RFC2253).
// That is: RDNs in reverse order separated by ",", multi-valued RDN members
// joined by "+", OpenSSL short names (CN, O, OU, emailAddress, ...), the
// characters , + " \ < > ; escaped with a backslash, "#" escaped when first
// and a space when first or last, control characters and every byte of a
// non-ASCII character (after conversion to UTF-8) escaped as \XX (upper-case
// hex), and values of unknown attributes or string types dumped as #<hex
// DER>.
func RFC2253(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	return formatDN(c.RawSubject)
}

// issuerRFC2253 renders the issuer DN the same way.
func issuerRFC2253(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	return formatDN(c.RawIssuer)
}

// SubjectDNFor computes, before any certificate exists, the RFC 2253 subject
// string RFC2253 returns for a certificate issued with this subject. It
// returns "" for an invalid subject.
func SubjectDNFor(sub Subject) string {
	if sub.Validate() != nil {
		return ""
	}
	der, err := sub.marshal()
	if err != nil {
		return ""
	}
	return formatDN(der)
}

// formatDN renders a DER Name. Unparsable input yields "".
func formatDN(der []byte) string {
	var seq []rdnSET
	if rest, err := asn1.Unmarshal(der, &seq); err != nil || len(rest) != 0 {
		return ""
	}
	type entry struct {
		atv rawATV
		set int
	}
	var entries []entry
	for i, rdn := range seq {
		for _, atv := range rdn {
			entries = append(entries, entry{atv, i})
		}
	}
	var b strings.Builder
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if i != len(entries)-1 {
			if entries[i+1].set == e.set {
				b.WriteByte('+')
			} else {
				b.WriteByte(',')
			}
		}
		oid := e.atv.Type.String()
		name, known := shortNames[oid]
		if !known {
			b.WriteString(oid)
			b.WriteByte('=')
			b.WriteString(dumpDER(e.atv.Value))
			continue
		}
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(formatValue(e.atv.Value))
	}
	return b.String()
}

func dumpDER(v asn1.RawValue) string {
	return "#" + strings.ToUpper(hex.EncodeToString(v.FullBytes))
}

// formatValue decodes an attribute value by its string type, converts it to
// UTF-8 and escapes it as OpenSSL's ASN1_STRFLGS_RFC2253 does.
func formatValue(v asn1.RawValue) string {
	if v.Class != asn1.ClassUniversal || v.IsCompound {
		return dumpDER(v)
	}
	var runes []rune
	switch v.Tag {
	case asn1.TagUTF8String:
		if !utf8.Valid(v.Bytes) {
			return dumpDER(v)
		}
		runes = []rune(string(v.Bytes))
	case 18, asn1.TagPrintableString, asn1.TagT61String, 21, asn1.TagIA5String,
		asn1.TagUTCTime, asn1.TagGeneralizedTime, 25, 26, 27:
		// one byte per character (T61 is treated as Latin-1, like OpenSSL)
		for _, c := range v.Bytes {
			runes = append(runes, rune(c))
		}
	case asn1.TagBMPString:
		if len(v.Bytes)%2 != 0 {
			return dumpDER(v)
		}
		u := make([]uint16, len(v.Bytes)/2)
		for i := range u {
			u[i] = uint16(v.Bytes[2*i])<<8 | uint16(v.Bytes[2*i+1])
		}
		// OpenSSL treats each BMP code unit as one character.
		for _, c := range u {
			runes = append(runes, rune(c))
		}
	case 28: // UniversalString
		if len(v.Bytes)%4 != 0 {
			return dumpDER(v)
		}
		for i := 0; i < len(v.Bytes); i += 4 {
			runes = append(runes, rune(uint32(v.Bytes[i])<<24|uint32(v.Bytes[i+1])<<16|uint32(v.Bytes[i+2])<<8|uint32(v.Bytes[i+3])))
		}
	default:
		return dumpDER(v)
	}
	return escapeRFC2253(runes)
}

const hexUpper = "0123456789ABCDEF"

func escapeRFC2253(runes []rune) string {
	var b strings.Builder
	for i, r := range runes {
		// OpenSSL sets the "first" flag for the first character and replaces
		// it with the "last" flag for the last one (a single character only
		// gets the "last" treatment).
		first := i == 0 && len(runes) > 1
		last := i == len(runes)-1
		var buf [utf8.UTFMax]byte
		n := utf8.EncodeRune(buf[:], r)
		if r > 0x10FFFF || r < 0 {
			n = utf8.EncodeRune(buf[:], utf8.RuneError)
		}
		for _, c := range buf[:n] {
			switch {
			case c >= 0x80 || c < 0x20 || c == 0x7f:
				b.WriteByte('\\')
				b.WriteByte(hexUpper[c>>4])
				b.WriteByte(hexUpper[c&0xf])
			case c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' || c == ';',
				c == '#' && first,
				c == ' ' && (first || last):
				b.WriteByte('\\')
				b.WriteByte(c)
			default:
				b.WriteByte(c)
			}
		}
	}
	return b.String()
}
