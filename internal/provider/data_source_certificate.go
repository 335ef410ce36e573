package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
)

type certificateDataSource struct{}

// NewCertificateDataSource is the pgtls_certificate data source.
func NewCertificateDataSource() datasource.DataSource { return &certificateDataSource{} }

type certificateDataModel struct {
	PEM          types.String `tfsdk:"pem"`
	Certificates types.List   `tfsdk:"certificates"`
}

var certInfoAttrTypes = map[string]attr.Type{
	"cert_pem":            types.StringType,
	"subject":             types.StringType,
	"issuer":              types.StringType,
	"common_name":         types.StringType,
	"dns_names":           types.ListType{ElemType: types.StringType},
	"ip_addresses":        types.ListType{ElemType: types.StringType},
	"email_addresses":     types.ListType{ElemType: types.StringType},
	"serial_number":       types.StringType,
	"not_before":          types.StringType,
	"not_after":           types.StringType,
	"fingerprint_sha256":  types.StringType,
	"fingerprint_sha1":    types.StringType,
	"is_ca":               types.BoolType,
	"self_signed":         types.BoolType,
	"key_type":            types.StringType,
	"signature_algorithm": types.StringType,
	"subject_key_id":      types.StringType,
	"authority_key_id":    types.StringType,
}

func (d *certificateDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_certificate"
}

func (d *certificateDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	str := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	list := func(desc string) schema.ListAttribute {
		return schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: desc}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Parses PEM certificates (one or a whole chain), for example a CA that came from " +
			"elsewhere, and exposes their fields. Nothing is contacted.",
		Attributes: map[string]schema.Attribute{
			"pem": schema.StringAttribute{
				MarkdownDescription: "One or more PEM `CERTIFICATE` blocks.",
				Required:            true,
				Validators:          []validator.String{certificatePEMValidator()},
			},
			"certificates": schema.ListNestedAttribute{
				MarkdownDescription: "The certificates, in the order they appear in `pem`.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"cert_pem":            str("This certificate alone, in PEM format."),
					"subject":             str("Subject DN in RFC 2253 form (as PostgreSQL's `clientname=DN` compares it)."),
					"issuer":              str("Issuer DN in RFC 2253 form."),
					"common_name":         str("Subject common name."),
					"dns_names":           list("subjectAltName DNS names."),
					"ip_addresses":        list("subjectAltName IP addresses."),
					"email_addresses":     list("subjectAltName e-mail addresses."),
					"serial_number":       str("Serial number (decimal)."),
					"not_before":          str("Start of validity (RFC 3339)."),
					"not_after":           str("End of validity (RFC 3339)."),
					"fingerprint_sha256":  str("SHA-256 fingerprint of the DER certificate, lowercase hex."),
					"fingerprint_sha1":    str("SHA-1 fingerprint of the DER certificate, lowercase hex."),
					"is_ca":               schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether basicConstraints says CA:TRUE."},
					"self_signed":         schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the certificate is self-signed (a root)."},
					"key_type":            str("Public key type, in `key_type` terms (`ecdsa-p256`, `rsa-2048`, ...)."),
					"signature_algorithm": str("Signature algorithm, for example `ECDSA-SHA256`."),
					"subject_key_id":      str("Subject key identifier, lowercase hex."),
					"authority_key_id":    str("Authority key identifier, lowercase hex."),
				}},
			},
		},
	}
}

func (d *certificateDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m certificateDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	certs, err := pki.ParseCertificatesPEM(m.PEM.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("pem"), "Invalid certificate PEM", err.Error())
		return
	}
	objType := types.ObjectType{AttrTypes: certInfoAttrTypes}
	var elems []attr.Value
	for _, c := range certs {
		info := pki.Describe(c)
		obj, diags := types.ObjectValue(certInfoAttrTypes, map[string]attr.Value{
			"cert_pem":            types.StringValue(pki.EncodeCertificatesPEM(c)),
			"subject":             types.StringValue(info.Subject),
			"issuer":              types.StringValue(info.Issuer),
			"common_name":         types.StringValue(info.CommonName),
			"dns_names":           stringList(info.DNSNames),
			"ip_addresses":        stringList(info.IPAddresses),
			"email_addresses":     stringList(info.EmailAddresses),
			"serial_number":       types.StringValue(info.Serial),
			"not_before":          types.StringValue(info.NotBefore.UTC().Format(time.RFC3339)),
			"not_after":           types.StringValue(info.NotAfter.UTC().Format(time.RFC3339)),
			"fingerprint_sha256":  types.StringValue(info.FingerprintSHA256),
			"fingerprint_sha1":    types.StringValue(info.FingerprintSHA1),
			"is_ca":               types.BoolValue(info.IsCA),
			"self_signed":         types.BoolValue(info.SelfSigned),
			"key_type":            types.StringValue(info.KeyType),
			"signature_algorithm": types.StringValue(info.SignatureAlgorithm),
			"subject_key_id":      types.StringValue(info.SubjectKeyID),
			"authority_key_id":    types.StringValue(info.AuthorityKeyID),
		})
		resp.Diagnostics.Append(diags...)
		elems = append(elems, obj)
	}
	list, diags := types.ListValue(objType, elems)
	resp.Diagnostics.Append(diags...)
	m.Certificates = list
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func stringList(vals []string) types.List {
	elems := make([]attr.Value, 0, len(vals))
	for _, v := range vals {
		elems = append(elems, types.StringValue(v))
	}
	return types.ListValueMust(types.StringType, elems)
}
