package x509util

import (
	"bytes"
	"crypto/sha1"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// NameHash is OpenSSL's X509_NAME_hash_ex (the "subject hash" of `openssl
// x509 -hash` and the issuer hash of `openssl crl -hash`): the first four
// bytes, read little-endian, of the SHA-1 of the name's canonical
// encoding. OpenSSL's hashed-directory lookup (`openssl rehash`,
// X509_LOOKUP_hash_dir, which PostgreSQL's ssl_crl_dir and libpq's
// sslcrldir use) finds a CA's certificates under "<hash>.<n>" and its CRLs
// under "<hash>.r<n>", with the hash printed as 8 lowercase hex digits.
//
// The canonical encoding is the DER of each RDN (a SET OF, sorted) in order,
// without the outer SEQUENCE, where every value of a string type OpenSSL
// canonicalises (UTF8String, BMPString, UniversalString, PrintableString,
// T61String, IA5String, VisibleString) is converted to UTF-8, stripped of
// leading and trailing ASCII white space, has inner runs of white space
// collapsed to one space and ASCII letters lower-cased, and is re-encoded as
// a UTF8String. Values of other types are kept as they are.
func NameHash(rawName []byte) (uint32, error) {
	canon, err := canonicalName(rawName)
	if err != nil {
		return 0, err
	}
	sum := sha1.Sum(canon)
	return binary.LittleEndian.Uint32(sum[:4]), nil
}

// NameHashHex is NameHash printed as OpenSSL prints it: 8 lowercase hex
// digits.
func NameHashHex(rawName []byte) (string, error) {
	h, err := NameHash(rawName)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%08x", h), nil
}

// canonMask are the string types OpenSSL's asn1_string_canon rewrites.
var canonMask = map[int]bool{
	asn1.TagUTF8String: true, asn1.TagBMPString: true, 28 /* UniversalString */ : true,
	asn1.TagPrintableString: true, asn1.TagT61String: true, asn1.TagIA5String: true, 26 /* VisibleString */ : true,
}

func canonicalName(rawName []byte) ([]byte, error) {
	seq, ok := parseName(rawName)
	if !ok {
		return nil, errors.New("the name is not a valid DER Name")
	}
	var out []byte
	for _, rdn := range seq {
		encs := make([][]byte, 0, len(rdn))
		for _, atv := range rdn {
			v, err := canonicalValue(atv.Value)
			if err != nil {
				return nil, err
			}
			enc, err := asn1.Marshal(struct {
				Type  asn1.ObjectIdentifier
				Value asn1.RawValue
			}{atv.Type, v})
			if err != nil {
				return nil, fmt.Errorf("cannot encode a name attribute: %w", err)
			}
			encs = append(encs, enc)
		}
		// DER orders the members of a SET OF by their encodings.
		sort.Slice(encs, func(i, j int) bool { return bytes.Compare(encs[i], encs[j]) < 0 })
		set, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: bytes.Join(encs, nil)})
		if err != nil {
			return nil, fmt.Errorf("cannot encode a name RDN: %w", err)
		}
		out = append(out, set...)
	}
	return out, nil
}

func canonicalValue(v asn1.RawValue) (asn1.RawValue, error) {
	if v.Class != asn1.ClassUniversal || v.IsCompound || !canonMask[v.Tag] {
		return asn1.RawValue{FullBytes: v.FullBytes}, nil
	}
	runes, ok := decodeString(v)
	if !ok {
		return asn1.RawValue{}, errors.New("a name attribute is not valid in its string type (OpenSSL cannot convert it to UTF-8)")
	}
	s := []byte(utf8Of(runes))
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' }
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	canon := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= 0x80:
			canon = append(canon, c)
			i++
		case isSpace(c):
			canon = append(canon, ' ')
			for i < len(s) && isSpace(s[i]) {
				i++
			}
		default:
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			canon = append(canon, c)
			i++
		}
	}
	return asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagUTF8String, Bytes: canon}, nil
}
