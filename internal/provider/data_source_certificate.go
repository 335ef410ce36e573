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
	"github.com/hashicorp/terraform-plugin-log/tflog"

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
			"elsewhere, and exposes their fields as OpenSSL reads them, including certificates Go's crypto/x509 " +
			"refuses (negative serial numbers, elliptic curves Go lacks, Ed448, RSA-PSS keys). Text around the PEM " +
			"blocks is ignored as OpenSSL ignores it; a PEM marker outside a well-formed block is an error. Nothing is contacted.",
		Attributes: map[string]schema.Attribute{
			"pem": schema.StringAttribute{
				MarkdownDescription: "One or more PEM `CERTIFICATE` blocks.",
				Required:            true,
				Validators:          []validator.String{describablePEMValidator()},
			},
			"certificates": schema.ListNestedAttribute{
				MarkdownDescription: "The certificates, in the order they appear in `pem`.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"cert_pem":           str("This certificate alone, in PEM format."),
					"subject":            str("Subject DN in RFC 2253 form (as PostgreSQL's `clientname=DN` compares it)."),
					"issuer":             str("Issuer DN in RFC 2253 form."),
					"common_name":        str("The first subject common name (the one PostgreSQL and libpq use)."),
					"dns_names":          list("subjectAltName DNS names."),
					"ip_addresses":       list("subjectAltName IP addresses."),
					"email_addresses":    list("subjectAltName e-mail addresses."),
					"serial_number":      str("Serial number in decimal, with a leading `-` for the negative serials some old CAs wrote (OpenSSL reads them; Go refuses them)."),
					"not_before":         str("Start of validity (RFC 3339)."),
					"not_after":          str("End of validity (RFC 3339)."),
					"fingerprint_sha256": str("SHA-256 fingerprint of the DER certificate, lowercase hex."),
					"fingerprint_sha1":   str("SHA-1 fingerprint of the DER certificate, lowercase hex."),
					"is_ca":              schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether basicConstraints says CA:TRUE."},
					"self_signed": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the certificate is self-signed: its " +
						"subject names itself as issuer and its signature verifies with its own public key. `null` when the names match but " +
						"the signature cannot be checked (ECDSA on curves Go lacks such as brainpool or secp256k1, RSA-PSS with an MGF1 hash " +
						"other than the message hash)."},
					"key_type": str("Public key type, in `key_type` terms (`ecdsa-p256`, `rsa-2048`, `ed25519`, ...), extended to keys " +
						"pgtls does not issue: `rsa-pss-<bits>`, `ed448`, `x25519`, `x448`, `dsa-<bits>`, `ecdsa-<curve>` with OpenSSL's " +
						"lower-case curve name (`ecdsa-brainpoolp256r1`), `ecdsa-explicit`; the dotted OID of any other algorithm."),
					"signature_algorithm": str("Signature algorithm in Go's naming (`ECDSA-SHA256`, `SHA256-RSA`, `SHA256-RSAPSS`, `Ed25519`), " +
						"extended in the same style to what Go does not name (`Ed448`, `ECDSA-SHA224`, `SHA3-256-RSA`, `DSA-SHA256`, " +
						"`SHA256-RSAPSS (MGF1-SHA256, salt 222)` for RSA-PSS parameters Go does not accept); the dotted OID of an algorithm " +
						"neither knows."),
					"subject_key_id":   str("Subject key identifier, lowercase hex."),
					"authority_key_id": str("Authority key identifier, lowercase hex."),
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
	infos, err := pki.DescribeCertificatesPEM(m.PEM.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("pem"), "Invalid certificate PEM", err.Error())
		return
	}
	objType := types.ObjectType{AttrTypes: certInfoAttrTypes}
	var elems []attr.Value
	for i, info := range infos {
		tflog.Debug(logCtx(ctx, "certificate_data_source"), "described certificate", map[string]any{
			"index": i, "serial": info.Serial, "subject": info.Subject, "issuer": info.Issuer, "is_ca": info.IsCA,
			"key_type": info.KeyType, "signature_algorithm": info.SignatureAlgorithm, "not_after": info.NotAfter.UTC().Format(time.RFC3339),
		})
		obj, diags := types.ObjectValue(certInfoAttrTypes, map[string]attr.Value{
			"cert_pem":            types.StringValue(info.PEM),
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
			"self_signed":         types.BoolPointerValue(info.SelfSigned),
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

// describablePEMValidator accepts what pgtls_certificate can describe: every
// certificate OpenSSL reads, not only those Go verifies with.
func describablePEMValidator() validator.String {
	return funcValidator{
		desc:    "must hold one or more PEM certificates",
		summary: "Invalid certificate PEM",
		check: func(s string) error {
			_, err := pki.DescribeCertificatesPEM(s)
			return err
		},
	}
}
