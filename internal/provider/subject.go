package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
)

// subjectModel is the `subject` object of the certificate resources.
type subjectModel struct {
	CommonName         types.String `tfsdk:"common_name"`
	Organization       types.String `tfsdk:"organization"`
	OrganizationalUnit types.String `tfsdk:"organizational_unit"`
	Country            types.String `tfsdk:"country"`
	Province           types.String `tfsdk:"province"`
	Locality           types.String `tfsdk:"locality"`
	StreetAddress      types.String `tfsdk:"street_address"`
	PostalCode         types.String `tfsdk:"postal_code"`
	EmailAddress       types.String `tfsdk:"email_address"`
}

// subjectAttribute is the `subject` object of every certificate resource.
// A CA needs it with a common name; a leaf may leave it out, or leave out
// the common name, which then defaults as cnDefault says. Changing the
// subject replaces the certificate.
func subjectAttribute(desc string, required bool, cnDefault string) schema.SingleNestedAttribute {
	opt := func(d string) schema.StringAttribute {
		return schema.StringAttribute{Optional: true, MarkdownDescription: d}
	}
	cn := schema.StringAttribute{Required: true, MarkdownDescription: "Common name (CN)."}
	if cnDefault != "" {
		cn = opt("Common name (CN). " + cnDefault)
	}
	return replaceObject(schema.SingleNestedAttribute{
		MarkdownDescription: desc + " Changing it replaces the certificate.",
		Required:            required,
		Optional:            !required,
		Attributes: map[string]schema.Attribute{
			"common_name":         cn,
			"organization":        opt("Organization (O)."),
			"organizational_unit": opt("Organizational unit (OU)."),
			"country":             opt("Two-letter ISO 3166 country code (C)."),
			"province":            opt("State or province (ST)."),
			"locality":            opt("Locality or city (L)."),
			"street_address":      opt("Street address (street)."),
			"postal_code":         opt("Postal code (postalCode)."),
			"email_address":       opt("E-mail address (emailAddress). Prefer leaving it out: it is a deprecated DN attribute."),
		},
	})
}

// subjectOf converts a known subject object; ok is false when it is null or
// not yet known.
func subjectOf(ctx context.Context, obj types.Object, diags *diag.Diagnostics) (pki.Subject, bool) {
	if obj.IsNull() || obj.IsUnknown() {
		return pki.Subject{}, false
	}
	var m subjectModel
	diags.Append(obj.As(ctx, &m, basetypes.ObjectAsOptions{})...)
	if diags.HasError() {
		return pki.Subject{}, false
	}
	for _, v := range []attr.Value{m.CommonName, m.Organization, m.OrganizationalUnit, m.Country, m.Province,
		m.Locality, m.StreetAddress, m.PostalCode, m.EmailAddress} {
		if v.IsUnknown() {
			return pki.Subject{}, false
		}
	}
	return pki.Subject{
		CommonName:         m.CommonName.ValueString(),
		Organization:       m.Organization.ValueString(),
		OrganizationalUnit: m.OrganizationalUnit.ValueString(),
		Country:            m.Country.ValueString(),
		Province:           m.Province.ValueString(),
		Locality:           m.Locality.ValueString(),
		StreetAddress:      m.StreetAddress.ValueString(),
		PostalCode:         m.PostalCode.ValueString(),
		EmailAddress:       m.EmailAddress.ValueString(),
	}, true
}

// validateSubject reports a bad subject on the `subject` attribute.
func validateSubject(ctx context.Context, attrName string, obj types.Object, diags *diag.Diagnostics) {
	sub, ok := subjectOf(ctx, obj, diags)
	if !ok {
		return
	}
	if err := sub.Validate(); err != nil {
		diags.AddAttributeError(path.Root(attrName), "Invalid subject", err.Error())
	}
}

// optionalSubject converts a leaf's optional subject: nil when it is null;
// known is false while it (or a field of it) is unknown.
func optionalSubject(ctx context.Context, obj types.Object, diags *diag.Diagnostics) (sub *pki.Subject, known bool) {
	if obj.IsNull() {
		return nil, true
	}
	s, ok := subjectOf(ctx, obj, diags)
	if !ok {
		return nil, false
	}
	return &s, true
}
