package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
)

// leafModel holds what server and client certificates share.
type leafModel struct {
	certState
	CACertPEM       types.String `tfsdk:"ca_cert_pem"`
	CAPrivateKeyPEM types.String `tfsdk:"ca_private_key_pem"`
	CAChainPEM      types.String `tfsdk:"ca_chain_pem"`
	FullchainPEM    types.String `tfsdk:"fullchain_pem"`
}

var leafIssuerIdentity = []string{"ca_cert_pem", "ca_private_key_pem", "ca_chain_pem", "key_type", "validity_period_hours"}

func leafAttributes(kind string) map[string]schema.Attribute {
	return mergeAttributes(commonCertAttributes(kind, hoursLeafDefault), map[string]schema.Attribute{
		"ca_cert_pem": schema.StringAttribute{
			MarkdownDescription: "Certificate of the signing CA (PEM): a `pgtls_root_ca` or `pgtls_intermediate_ca` " +
				"`cert_pem`, or any CA brought from elsewhere. Changing it replaces the " + kind + ".",
			Required:   true,
			Validators: []validator.String{certificatePEMValidator()},
		},
		"ca_private_key_pem": pemInputAttribute("Private key of the signing CA (PEM: PKCS#8, PKCS#1 or SEC1). "+
			"Must match `ca_cert_pem`.", true, true),
		"ca_chain_pem": schema.StringAttribute{
			MarkdownDescription: "Certificates above the signing CA, in any order, when it is an intermediate: its " +
				"`chain_pem`, optionally followed by the root (its `ca_bundle_pem`). Intermediates end up in " +
				"`fullchain_pem`; the root ends up in `ca_bundle_pem`.",
			Optional:   true,
			Validators: []validator.String{certificatePEMValidator()},
		},
		"fullchain_pem": computedString("This certificate followed by the intermediates above it, root excluded " +
			"(PEM)."),
	})
}

// planLeaf runs the shared planning of leaf certificates. It returns the
// plan model when the plan issues a new certificate, so the resource can
// add its own plan-time values; nil otherwise.
func planLeaf(ctx context.Context, now time.Time, identity, outputs []string, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) *leafModel {
	if !planCertificate(ctx, now, identity, outputs, req, resp) || resp.Diagnostics.HasError() {
		return nil
	}
	var m leafModel
	for _, a := range []struct {
		name string
		dst  any
	}{
		{"ca_cert_pem", &m.CACertPEM}, {"ca_private_key_pem", &m.CAPrivateKeyPEM}, {"ca_chain_pem", &m.CAChainPEM},
		{"validity_period_hours", &m.ValidityPeriodHours},
	} {
		resp.Diagnostics.Append(resp.Plan.GetAttribute(ctx, path.Root(a.name), a.dst)...)
	}
	if resp.Diagnostics.HasError() {
		return nil
	}
	_, ic := loadIssuer("ca_cert_pem", "ca_private_key_pem", "ca_chain_pem",
		m.CACertPEM, m.CAPrivateKeyPEM, m.CAChainPEM, &resp.Diagnostics)
	checkOutliving(ic, now, m.ValidityPeriodHours, &resp.Diagnostics)
	// The trust anchor is known at plan time when the issuer and its chain are.
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("ca_bundle_pem"), bundleOf(ic))...)
	return &m
}

// issuer parses the signing CA at apply time.
func (m *leafModel) issuer(diags *diag.Diagnostics) *pki.Issuer {
	iss, _ := loadIssuer("ca_cert_pem", "ca_private_key_pem", "ca_chain_pem",
		m.CACertPEM, m.CAPrivateKeyPEM, m.CAChainPEM, diags)
	return iss
}

func (m *leafModel) setLeaf(is *pki.Issued, now time.Time) {
	m.setIssued(is, now, hours(m.EarlyRenewalHours.ValueInt64()))
	m.FullchainPEM = types.StringValue(is.FullchainPEM)
}
