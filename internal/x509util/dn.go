package x509util

import (
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

// attribute is one AttributeTypeAndValue with its value kept raw, so the
// string type survives.
type attribute struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// rdnSET is a relative distinguished name (encoding/asn1 reads a type
// whose name ends in SET as a SET OF).
type rdnSET []attribute

// parseName decodes a DER Name into its RDNs.
func parseName(der []byte) ([]rdnSET, bool) {
	var seq []rdnSET
	if rest, err := asn1.Unmarshal(der, &seq); err != nil || len(rest) != 0 {
		return nil, false
	}
	return seq, true
}

// RFC2253 renders a DER-encoded Name (a certificate's RawSubject or
// RawIssuer) exactly as OpenSSL's X509_NAME_print_ex(..., XN_FLAG_RFC2253)
// prints it, which is what `openssl x509 -nameopt RFC2253` shows and what
// PostgreSQL compares with `clientname=DN`: RDNs in reverse order separated
// by ",", multi-valued RDN members joined by "+" (also in reverse order),
// OpenSSL short names (CN, O, OU, emailAddress, ...), the characters
// , + " \ < > ; escaped with a backslash, "#" escaped when first and a space
// when first or last, control characters and every byte of a non-ASCII
// character (after conversion to UTF-8) escaped as \XX (upper-case hex), and
// values of unknown attributes or string types dumped as #<hex DER>.
// Unparsable input yields "".
func RFC2253(rawName []byte) string {
	seq, ok := parseName(rawName)
	if !ok {
		return ""
	}
	type entry struct {
		atv attribute
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
		if runes, ok := decodeString(e.atv.Value); ok {
			b.WriteString(escapeRFC2253(runes))
		} else {
			b.WriteString(dumpDER(e.atv.Value))
		}
	}
	return b.String()
}

func dumpDER(v asn1.RawValue) string {
	return "#" + strings.ToUpper(hex.EncodeToString(v.FullBytes))
}

// decodeString decodes an attribute value by its string type into
// characters, as OpenSSL's ASN1_STRING_to_UTF8 does: T61String and the
// other one-byte types are read as Latin-1, BMPString as UCS-2 code units,
// UniversalString as UCS-4. ok is false for types OpenSSL dumps as hex.
func decodeString(v asn1.RawValue) (runes []rune, ok bool) {
	if v.Class != asn1.ClassUniversal || v.IsCompound {
		return nil, false
	}
	switch v.Tag {
	case asn1.TagUTF8String:
		if !utf8.Valid(v.Bytes) {
			return nil, false
		}
		return []rune(string(v.Bytes)), true
	case asn1.TagNumericString, asn1.TagPrintableString, asn1.TagT61String, 21 /* VideotexString */, asn1.TagIA5String,
		asn1.TagUTCTime, asn1.TagGeneralizedTime, 25 /* GraphicString */, 26 /* VisibleString */, 27 /* GeneralString */ :
		runes = make([]rune, len(v.Bytes))
		for i, c := range v.Bytes {
			runes[i] = rune(c)
		}
		return runes, true
	case asn1.TagBMPString:
		if len(v.Bytes)%2 != 0 {
			return nil, false
		}
		runes = make([]rune, len(v.Bytes)/2)
		for i := range runes {
			runes[i] = rune(uint16(v.Bytes[2*i])<<8 | uint16(v.Bytes[2*i+1]))
		}
		return runes, true
	case 28: // UniversalString
		if len(v.Bytes)%4 != 0 {
			return nil, false
		}
		runes = make([]rune, len(v.Bytes)/4)
		for i := range runes {
			b := v.Bytes[4*i:]
			runes[i] = rune(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]))
		}
		return runes, true
	}
	return nil, false
}

// utf8Of converts decoded characters to UTF-8 (out-of-range code points
// become U+FFFD).
func utf8Of(runes []rune) string {
	var b strings.Builder
	for _, r := range runes {
		b.WriteRune(r)
	}
	return b.String()
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

var oidCommonName = asn1.ObjectIdentifier{2, 5, 4, 3}

// CommonNames returns the value of every commonName attribute of a DER
// Name in encoding order, converted to UTF-8 as OpenSSL converts them
// before its name checks. Values of types OpenSSL cannot convert are
// skipped; ok is false for an unparsable Name.
func CommonNames(rawName []byte) (cns []string, ok bool) {
	seq, ok := parseName(rawName)
	if !ok {
		return nil, false
	}
	for _, rdn := range seq {
		for _, atv := range rdn {
			if !atv.Type.Equal(oidCommonName) {
				continue
			}
			if runes, ok := decodeString(atv.Value); ok {
				cns = append(cns, utf8Of(runes))
			}
		}
	}
	return cns, true
}
