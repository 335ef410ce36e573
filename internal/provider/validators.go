package provider

// Attribute validators that delegate the rule to a domain package, so the
// diagnostic lands on the attribute and names the value and the rule.

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
)

// funcValidator adapts a domain check to a string validator.
type funcValidator struct {
	desc    string
	summary string
	check   func(string) error
}

var _ validator.String = funcValidator{}

func (v funcValidator) Description(context.Context) string         { return v.desc }
func (v funcValidator) MarkdownDescription(context.Context) string { return v.desc }

func (v funcValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := v.check(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, v.summary, err.Error())
	}
}

func keyTypeValidator() validator.String {
	return funcValidator{
		desc:    "must be one of the supported key types",
		summary: "Unsupported key type",
		check: func(s string) error {
			_, err := pki.ParseKeyType(s)
			return err
		},
	}
}

func dnsNameValidator() validator.String {
	return funcValidator{
		desc:    "must be a DNS host name; a wildcard is allowed only as a single leading `*.` label",
		summary: "Invalid DNS name",
		check:   pki.ValidateDNSName,
	}
}

func ipAddressValidator() validator.String {
	return funcValidator{
		desc:    "must be an IPv4 or IPv6 address",
		summary: "Invalid IP address",
		check: func(s string) error {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return fmt.Errorf("%q is not an IPv4 or IPv6 address", s)
			}
			if a.Zone() != "" {
				return fmt.Errorf("%q has an IPv6 zone; certificates cannot carry zones", s)
			}
			return nil
		},
	}
}

func cidrValidator() validator.String {
	return funcValidator{
		desc:    "must be an IPv4 or IPv6 network in CIDR notation",
		summary: "Invalid IP range",
		check: func(s string) error {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return fmt.Errorf("%q is not a CIDR range such as 10.0.0.0/8 or fd00::/8", s)
			}
			if p.Masked() != p {
				return fmt.Errorf("%q has host bits set; did you mean %s?", s, p.Masked())
			}
			return nil
		},
	}
}

func domainConstraintValidator() validator.String {
	return funcValidator{
		desc:    "must be a DNS domain (a leading `.` restricts to subdomains only)",
		summary: "Invalid DNS name constraint",
		check:   pki.ValidateDNSConstraint,
	}
}

func roleNameValidator() validator.String {
	return funcValidator{
		desc:    "must be a role name PostgreSQL accepts (1 to 63 bytes, not reserved)",
		summary: "Invalid PostgreSQL role name",
		check:   pki.ValidateRoleName,
	}
}

func certificatePEMValidator() validator.String {
	return funcValidator{
		desc:    "must hold one or more PEM certificates",
		summary: "Invalid certificate PEM",
		check: func(s string) error {
			_, err := pki.ParseCertificatesPEM(s)
			return err
		},
	}
}

func emailAddressValidator() validator.String {
	return funcValidator{
		desc:    "must be a plain ASCII email address",
		summary: "Invalid email address",
		check:   pki.ValidateEmailAddress,
	}
}

func uriValidator() validator.String {
	return funcValidator{
		desc:    "must be an absolute URI in printable ASCII",
		summary: "Invalid URI",
		check:   pki.ValidateURI,
	}
}
