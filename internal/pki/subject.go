package pki

import (
	"encoding/asn1"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Subject is a certificate subject distinguished name. Empty fields are
// left out. Attributes are encoded in the order C, ST, L, street,
// postalCode, O, OU, CN, emailAddress (one attribute per RDN), so the
// RFC 2253 form reads emailAddress=...,CN=...,OU=...,O=...,...,C=...
// Country is a PrintableString, emailAddress an IA5String and every other
// attribute a UTF8String (RFC 5280 section 4.1.2.4).
type Subject struct {
	CommonName         string
	Organization       string
	OrganizationalUnit string
	Country            string
	Province           string
	Locality           string
	StreetAddress      string
	PostalCode         string
	EmailAddress       string
}

// Attribute OIDs used in subjects.
var (
	oidCountry            = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidProvince           = asn1.ObjectIdentifier{2, 5, 4, 8}
	oidLocality           = asn1.ObjectIdentifier{2, 5, 4, 7}
	oidStreetAddress      = asn1.ObjectIdentifier{2, 5, 4, 9}
	oidPostalCode         = asn1.ObjectIdentifier{2, 5, 4, 17}
	oidOrganization       = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidOrganizationalUnit = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidCommonName         = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidEmailAddress       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
)

type subjectField struct {
	name  string // attribute name in error messages (Terraform attribute names)
	oid   asn1.ObjectIdentifier
	tag   int
	max   int // upper bound in characters (RFC 5280 appendix A / X.520)
	value string
}

// fields lists the subject attributes in encoding order.
func (s Subject) fields() []subjectField {
	return []subjectField{
		{"country", oidCountry, asn1.TagPrintableString, 2, s.Country},
		{"province", oidProvince, asn1.TagUTF8String, 128, s.Province},
		{"locality", oidLocality, asn1.TagUTF8String, 128, s.Locality},
		{"street_address", oidStreetAddress, asn1.TagUTF8String, 128, s.StreetAddress},
		{"postal_code", oidPostalCode, asn1.TagUTF8String, 40, s.PostalCode},
		{"organization", oidOrganization, asn1.TagUTF8String, 64, s.Organization},
		{"organizational_unit", oidOrganizationalUnit, asn1.TagUTF8String, 64, s.OrganizationalUnit},
		{"common_name", oidCommonName, asn1.TagUTF8String, 64, s.CommonName},
		{"email_address", oidEmailAddress, asn1.TagIA5String, 255, s.EmailAddress},
	}
}

// IsEmpty reports whether no attribute is set.
func (s Subject) IsEmpty() bool { return s == Subject{} }

// Validate checks every attribute: valid UTF-8 without control characters,
// lengths within the X.509 upper bounds (common_name, organization and
// organizational_unit 64, province, locality and street_address 128,
// postal_code 40, email_address 255 characters), country exactly two
// upper-case letters (ISO 3166-1 alpha-2) and email_address a plain ASCII
// address. Whether common_name is required is up to the caller.
func (s Subject) Validate() error {
	for _, f := range s.fields() {
		if f.value == "" {
			continue
		}
		if !utf8.ValidString(f.value) {
			return fmt.Errorf("subject %s is not valid UTF-8", f.name)
		}
		for _, r := range f.value {
			if unicode.IsControl(r) || r == utf8.RuneError {
				return fmt.Errorf("subject %s %q contains the control character %U: distinguished names may not contain control characters", f.name, f.value, r)
			}
		}
		if n := utf8.RuneCountInString(f.value); n > f.max {
			return fmt.Errorf("subject %s %q is %d characters long: X.509 allows at most %d", f.name, f.value, n, f.max)
		}
		if strings.TrimSpace(f.value) == "" {
			return fmt.Errorf("subject %s %q is only blanks: leave it unset instead", f.name, f.value)
		}
	}
	if c := s.Country; c != "" {
		if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
			return fmt.Errorf("subject country %q must be a two-letter upper-case ISO 3166-1 code such as \"DE\" or \"US\"", c)
		}
	}
	if e := s.EmailAddress; e != "" {
		if err := validateEmail(e); err != nil {
			return err
		}
	}
	return nil
}

func validateEmail(e string) error {
	if err := ValidateEmailAddress(e); err != nil {
		return fmt.Errorf("subject email_address: %w", err)
	}
	return nil
}

// rawATV is one attribute of a distinguished name with its value kept raw,
// so the string type survives for RFC 2253 rendering.
type rawATV struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// rdnSET is a relative distinguished name (the type name ending in SET
// makes encoding/asn1 use a SET).
type rdnSET []rawATV

// marshal encodes the subject as a DER Name (RDNSequence). The subject must
// be valid.
func (s Subject) marshal() ([]byte, error) {
	seq := []rdnSET{}
	for _, f := range s.fields() {
		if f.value == "" {
			continue
		}
		seq = append(seq, rdnSET{{
			Type:  f.oid,
			Value: asn1.RawValue{Class: asn1.ClassUniversal, Tag: f.tag, Bytes: []byte(f.value)},
		}})
	}
	der, err := asn1.Marshal(seq)
	if err != nil {
		return nil, fmt.Errorf("cannot encode subject: %w", err)
	}
	return der, nil
}
