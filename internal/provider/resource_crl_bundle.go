package provider

// pgtls_crl_bundle: the CRLs of every CA of a chain, as the servers and
// clients read them, and the check that none is missing or stale.

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
)

const maxBundleCRLs = 1000

type crlBundleModel struct {
	CRLs       types.List   `tfsdk:"crls"`
	CACertsPEM types.String `tfsdk:"ca_certs_pem"`

	ID          types.String `tfsdk:"id"`
	CRLPEM      types.String `tfsdk:"crl_pem"`
	CRLDirFiles types.Map    `tfsdk:"crl_dir_files"`
	NextUpdate  types.String `tfsdk:"next_update"`
}

type bundleCRLModel struct {
	CRLPEM    types.String `tfsdk:"crl_pem"`
	CACertPEM types.String `tfsdk:"ca_cert_pem"`
}

// NewCRLBundleResource is the pgtls_crl_bundle resource (rendered content
// known at plan time, see rendered.go).
func NewCRLBundleResource() resource.Resource {
	return newRenderedResource("_crl_bundle", crlBundleSchema(), buildCRLBundle)
}

func crlBundleSchema() schema.Schema {
	return schema.Schema{
		MarkdownDescription: "The CRLs of every CA of a chain in the forms PostgreSQL, libpq and Pgpool-II read: one " +
			"PEM file (`ssl_crl_file`, `sslcrl`, Pgpool-II's `ssl_crl_file`) and a hashed directory as `openssl rehash` " +
			"lays it out (`ssl_crl_dir` on PostgreSQL 14+, `sslcrldir`). With `ca_certs_pem` it fails the plan when a CA " +
			"has no current CRL in the bundle: once any CRL is configured, PostgreSQL, libpq and Pgpool-II check the CRL " +
			"of EVERY CA of a chain, the root included (OpenSSL's CRL_CHECK_ALL), and refuse every certificate below a " +
			"CA without one.",
		Attributes: map[string]schema.Attribute{
			"crls": schema.ListNestedAttribute{
				MarkdownDescription: fmt.Sprintf("The CRLs, one per CA: `pgtls_crl` resources (`crls = [pgtls_crl.root, "+
					"pgtls_crl.issuing]`) or objects with `crl_pem` (and optionally the CA's `ca_cert_pem`) for CRLs made "+
					"elsewhere. At most %d.", maxBundleCRLs),
				Required: true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					// Optional in the schema only: Terraform validates a whole
					// resource passed as an element before its attributes exist.
					"crl_pem": schema.StringAttribute{
						MarkdownDescription: "One or more CRLs (PEM `X509 CRL`). Required.",
						Optional:            true,
					},
					"ca_cert_pem": schema.StringAttribute{
						MarkdownDescription: "The CA that signs this CRL. Lets the plan check coverage while the CRL " +
							"itself is being re-issued (unknown until apply), and checks the CRL's signature.",
						Optional:   true,
						Validators: []validator.String{certificatePEMValidator()},
					},
				}},
				Validators: []validator.List{listvalidator.SizeBetween(1, maxBundleCRLs)},
			},
			"ca_certs_pem": schema.StringAttribute{
				MarkdownDescription: "The CA certificates whose certificates the server or client verifies with these CRLs: " +
					"the roots of `ssl_ca_file` (or `sslrootcert`) and every intermediate of the chains (also those the " +
					"peer sends). Each one needs a current CRL in `crls`, or the plan fails naming it.",
				Optional:   true,
				Validators: []validator.String{certificatePEMValidator()},
			},
			"id": computedString("SHA-256 of `crl_pem`, lowercase hex."),
			"crl_pem": computedString("Every CRL once, concatenated (PEM), known at plan time when the CRLs are: for " +
				"PostgreSQL's `ssl_crl_file`, libpq's `sslcrl` and Pgpool-II's `ssl_crl_file`. PostgreSQL reads it at " +
				"start and reload; Pgpool-II 4.3 only at start (restart it)."),
			"crl_dir_files": schema.MapAttribute{
				Computed:    true,
				ElementType: types.StringType,
				MarkdownDescription: "The hashed directory for PostgreSQL's `ssl_crl_dir` (14+) and libpq's " +
					"`sslcrldir`: file name (`<issuer hash>.r<n>`, as `openssl rehash` names it) to CRL PEM. Write " +
					"exactly these files (remove others). PostgreSQL reads the directory at each connection, so a new " +
					"CRL there applies without a reload.",
			},
			"next_update": computedString("The earliest `next_update` of the CRLs (RFC 3339): when the first of them " +
				"expires, and with it every certificate login below its CA."),
		},
	}
}

// buildCRLBundle renders the bundle and runs the coverage check with what is
// known (coverage can be decided at plan time from the CAs of CRLs being
// re-issued).
func buildCRLBundle(ctx context.Context, data *providerData, m *crlBundleModel, diags *diag.Diagnostics) bool {
	if m.CRLs.IsUnknown() {
		return false
	}
	var items []bundleCRLModel
	diags.Append(m.CRLs.ElementsAs(ctx, &items, true)...)
	if diags.HasError() {
		return false
	}
	now := data.now()
	var crls []*x509.RevocationList
	var pending []*x509.Certificate
	complete, undecidable := true, false
	for i, it := range items {
		p := path.Root("crls").AtListIndex(i)
		var ca *x509.Certificate
		if !it.CACertPEM.IsUnknown() && !it.CACertPEM.IsNull() {
			certs, err := pki.ParseCertificatesPEM(it.CACertPEM.ValueString())
			if err != nil || len(certs) != 1 {
				if err == nil {
					err = fmt.Errorf("it holds %d certificates: give exactly the CA that signs the CRL", len(certs))
				}
				diags.AddAttributeError(p.AtName("ca_cert_pem"), "Invalid CA certificate", err.Error())
				continue
			}
			ca = certs[0]
		}
		if it.CRLPEM.IsNull() {
			diags.AddAttributeError(p.AtName("crl_pem"), "Missing CRL", "every element of crls needs crl_pem (a pgtls_crl resource has it)")
			continue
		}
		if it.CRLPEM.IsUnknown() {
			complete = false
			if ca != nil {
				pending = append(pending, ca)
			} else {
				undecidable = true
			}
			continue
		}
		parsed, err := pki.ParseCRLsPEM(it.CRLPEM.ValueString())
		if err != nil {
			diags.AddAttributeError(p.AtName("crl_pem"), "Invalid CRL", err.Error())
			continue
		}
		if ca != nil {
			for _, crl := range parsed {
				if !bytes.Equal(crl.RawIssuer, ca.RawSubject) || crl.CheckSignatureFrom(ca) != nil {
					diags.AddAttributeError(p.AtName("crl_pem"), "CRL not signed by the given CA",
						fmt.Sprintf("the CRL of %q is not signed by the CA in ca_cert_pem (%q): OpenSSL would refuse it (\"CRL signature failure\")",
							pki.DescribeCRL(crl).Issuer, pki.RFC2253(ca)))
				}
			}
		}
		crls = append(crls, parsed...)
	}
	if diags.HasError() {
		return false
	}
	if err := pki.CheckCRLsDistinct(crls); err != nil {
		diags.AddAttributeError(path.Root("crls"), "Two CRLs of one CA", err.Error())
		return false
	}
	for _, crl := range crls {
		if info := pki.DescribeCRL(crl); !info.NextUpdate.IsZero() && !now.Before(info.NextUpdate) {
			diags.AddAttributeError(path.Root("crls"), "Expired CRL",
				fmt.Sprintf("the CRL of %q (number %s) expired at %s (now is %s): PostgreSQL, libpq and Pgpool-II refuse every "+
					"certificate below that CA (clients see \"certificate expired\"); re-issue it", info.Issuer, info.Number,
					info.NextUpdate.Format(time.RFC3339), now.UTC().Format(time.RFC3339)))
		}
	}
	if !m.CACertsPEM.IsUnknown() && !m.CACertsPEM.IsNull() && !undecidable {
		cas, err := pki.ParseCertificatesPEM(m.CACertsPEM.ValueString())
		if err != nil {
			diags.AddAttributeError(path.Root("ca_certs_pem"), "Invalid CA certificates", err.Error())
			return false
		}
		for _, pr := range pki.CheckCRLCoverage(cas, crls, pending, now) {
			diags.AddAttributeError(path.Root("ca_certs_pem"), "A CA of the chain has no usable CRL: certificate logins below it would fail",
				pr.Err.Error())
		}
	}
	if diags.HasError() || !complete {
		return false
	}
	pemText, files, err := pki.BundleCRLs(crls)
	if err != nil {
		diags.AddAttributeError(path.Root("crls"), "Cannot bundle the CRLs", err.Error())
		return false
	}
	dir := make(map[string]attr.Value, len(files))
	names := make([]string, 0, len(files))
	for _, f := range files {
		dir[f.Name] = types.StringValue(f.PEM)
		names = append(names, f.Name)
	}
	tflog.Debug(logCtx(ctx, "crl_bundle"), "bundled CRLs", map[string]any{"crls": len(crls), "crl_dir_files": names})
	mv, d := types.MapValue(types.StringType, dir)
	diags.Append(d...)
	var earliest time.Time
	for _, crl := range crls {
		if nu := crl.NextUpdate; !nu.IsZero() && (earliest.IsZero() || nu.Before(earliest)) {
			earliest = nu
		}
	}
	m.NextUpdate = types.StringNull()
	if !earliest.IsZero() {
		m.NextUpdate = types.StringValue(earliest.UTC().Format(time.RFC3339))
	}
	m.CRLPEM = types.StringValue(pemText)
	m.CRLDirFiles = mv
	m.ID = types.StringValue(sha256Hex(pemText))
	return !diags.HasError()
}
