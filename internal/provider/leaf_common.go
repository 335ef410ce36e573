package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
)

// leafModel holds what server and client certificates share.
type leafModel struct {
	certState
	issuerModel
	Subject      types.Object `tfsdk:"subject"`
	SubjectDN    types.String `tfsdk:"subject_dn"`
	DNSNames     types.List   `tfsdk:"dns_names"`
	FullchainPEM types.String `tfsdk:"fullchain_pem"`
}

func leafAttributes(kind, cnDefault, dnsDesc string) map[string]schema.Attribute {
	return mergeAttributes(commonCertAttributes(kind, hoursLeafDefault), issuerAttributes(kind, ""), map[string]schema.Attribute{
		"subject": subjectAttribute("Distinguished name of the "+kind+". Optional: without it the subject is just "+
			"the common name.", false, cnDefault),
		// Computed from the inputs, at plan time: no replacement of its own.
		"subject_dn": computedString("The subject DN in the RFC 2253 form OpenSSL prints (`openssl x509 -nameopt " +
			"RFC2253`) and PostgreSQL compares with `clientname=DN`. Known at plan time."),
		"fullchain_pem": output("This certificate followed by the intermediates above it, root excluded (PEM)."),
		"dns_names":     replaceList(stringListAttribute(dnsDesc, dnsNameValidator())),
	})
}

// leafRequest is what every leaf request needs from the model.
type leafRequest interface {
	Validate() error
	CheckIssuer(ic *pki.IssuerCert, now time.Time) error
	EffectiveSubject() pki.Subject
}

// planLeaf is the plan of a leaf certificate being issued (planCertificate
// decided it) once its request is built (known is false while inputs are
// unknown): subject_dn is known at plan time, and the certificate is
// checked at plan time against everything known: the request itself and,
// once the signing CA's certificate is known, every issuer-side rule
// (constraints, EKU, path length, validity window).
func planLeaf(data *providerData, now time.Time, m *leafModel, lreq leafRequest, known bool, paths inputPaths,
	resp *resource.ModifyPlanResponse, edits planEdits) {
	dn := types.StringUnknown()
	if known {
		dn = types.StringValue(pki.SubjectDNFor(lreq.EffectiveSubject()))
	}
	edits["subject_dn"] = dn
	_, ic := m.loadIssuer(data.issuers, &resp.Diagnostics)
	// The trust anchor is known at plan time when the issuer and its chain are.
	edits["ca_bundle_pem"] = bundleOf(ic)
	if !known {
		return
	}
	if err := lreq.Validate(); err != nil {
		addIssueError(&resp.Diagnostics, paths, "Invalid certificate request", err)
		return
	}
	if ic != nil {
		if err := lreq.CheckIssuer(ic, now); err != nil {
			addIssueError(&resp.Diagnostics, paths, "The issuing CA cannot sign this certificate", err)
		}
	}
}

// validateLeafConfig runs the configuration checks every leaf has (renewal
// window, subject). It reads the three attributes it needs instead of
// decoding the whole model, which was most of what validating a fleet of
// certificates cost the provider.
func validateLeafConfig(ctx context.Context, cfg tfsdk.Config, diags *diag.Diagnostics) {
	var validity, early types.Int64
	var subject types.Object
	diags.Append(cfg.GetAttribute(ctx, path.Root("validity_period_hours"), &validity)...)
	diags.Append(cfg.GetAttribute(ctx, path.Root("early_renewal_hours"), &early)...)
	diags.Append(cfg.GetAttribute(ctx, path.Root("subject"), &subject)...)
	if diags.HasError() {
		return
	}
	checkRenewalConfig(validity, early, diags)
	validateSubject(ctx, "subject", subject, diags)
}

// setLeaf records an issued leaf.
func (m *leafModel) setLeaf(ctx context.Context, is *pki.Issued, issuer *pki.Issuer, now time.Time) {
	m.setIssued(ctx, is, issuer, now)
	m.FullchainPEM = types.StringValue(is.FullchainPEM)
	m.SubjectDN = types.StringValue(pki.RFC2253(is.Cert))
}

// issuer parses the signing CA at apply time.
func (m *leafModel) issuer(cache *pki.IssuerCache, diags *diag.Diagnostics) *pki.Issuer {
	iss, _ := m.loadIssuer(cache, diags)
	return iss
}
