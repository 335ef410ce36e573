package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
)

type intermediateCAModel struct {
	caModel
	IssuerCertPEM       types.String `tfsdk:"issuer_cert_pem"`
	IssuerPrivateKeyPEM types.String `tfsdk:"issuer_private_key_pem"`
	IssuerChainPEM      types.String `tfsdk:"issuer_chain_pem"`
	ChainPEM            types.String `tfsdk:"chain_pem"`
}

var intermediateIdentity = append([]string{"issuer_cert_pem", "issuer_private_key_pem", "issuer_chain_pem"}, caIdentity...)

type intermediateCAResource struct{ data *providerData }

var (
	_ resource.ResourceWithModifyPlan     = (*intermediateCAResource)(nil)
	_ resource.ResourceWithValidateConfig = (*intermediateCAResource)(nil)
	_ resource.ResourceWithConfigure      = (*intermediateCAResource)(nil)
)

// NewIntermediateCAResource is the pgtls_intermediate_ca resource.
func NewIntermediateCAResource() resource.Resource { return &intermediateCAResource{} }

func (r *intermediateCAResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_intermediate_ca"
}

func (r *intermediateCAResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "An intermediate certificate authority signed by a root CA or by another intermediate " +
			"(from pgtls or brought from elsewhere as PEM). `chain_pem` is what goes after a server certificate " +
			"in PostgreSQL's `ssl_cert_file`.",
		Attributes: mergeAttributes(caAttributes("intermediate CA", hoursIntermediateDefault, 0), map[string]schema.Attribute{
			"issuer_cert_pem": schema.StringAttribute{
				MarkdownDescription: "Certificate of the signing CA (PEM). Must be a CA certificate allowed to sign CAs.",
				Required:            true,
				Validators:          []validator.String{certificatePEMValidator()},
			},
			"issuer_private_key_pem": pemInputAttribute("Private key of the signing CA (PEM: PKCS#8, PKCS#1 or SEC1). "+
				"Must match `issuer_cert_pem`.", true, true),
			"issuer_chain_pem": schema.StringAttribute{
				MarkdownDescription: "Certificates above the signing CA, in any order, when the signing CA is itself an " +
					"intermediate: pass its `chain_pem`, followed by its `ca_bundle_pem` so this CA's `ca_bundle_pem` " +
					"knows the root.",
				Optional:   true,
				Validators: []validator.String{certificatePEMValidator()},
			},
			"chain_pem": computedString("This CA certificate followed by the intermediates above it, root excluded " +
				"(PEM): append it to a server certificate for `ssl_cert_file`."),
		}),
	}
}

func (r *intermediateCAResource) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	r.data = configuredData(req.ProviderData)
}

func (r *intermediateCAResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m intermediateCAModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	validateCAConfig(ctx, &m.caModel, &resp.Diagnostics)
}

func (r *intermediateCAResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	now := r.data.now()
	if !planCertificate(ctx, now, intermediateIdentity, withOutputs("chain_pem"), req, resp) || resp.Diagnostics.HasError() {
		return
	}
	var m intermediateCAModel
	resp.Diagnostics.Append(resp.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	_, ic := loadIssuer("issuer_cert_pem", "issuer_private_key_pem", "issuer_chain_pem",
		m.IssuerCertPEM, m.IssuerPrivateKeyPEM, m.IssuerChainPEM, &resp.Diagnostics)
	checkOutliving(ic, now, m.ValidityPeriodHours, &resp.Diagnostics)
	if ic != nil {
		if err := pki.CheckCanSignCA(ic.Cert); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("issuer_cert_pem"), "Issuer cannot sign this CA", err.Error())
		}
	}
	// The root is known at plan time when the issuer and its chain are.
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("ca_bundle_pem"), bundleOf(ic))...)
}

func (r *intermediateCAResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m intermediateCAModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	iss, _ := loadIssuer("issuer_cert_pem", "issuer_private_key_pem", "issuer_chain_pem",
		m.IssuerCertPEM, m.IssuerPrivateKeyPEM, m.IssuerChainPEM, &resp.Diagnostics)
	creq, ok := m.request(ctx, &resp.Diagnostics)
	if !ok || iss == nil || resp.Diagnostics.HasError() {
		return
	}
	now := r.data.now()
	issued, err := pki.NewIntermediateCA(creq, iss, now, randReader)
	if err != nil {
		resp.Diagnostics.AddError("Could not create the intermediate CA", err.Error())
		return
	}
	m.setIssued(issued, now, hours(m.EarlyRenewalHours.ValueInt64()))
	m.ChainPEM = types.StringValue(issued.ChainPEM)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *intermediateCAResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	readCertificate[intermediateCAModel](ctx, r.data.now(), req, resp)
}

func (r *intermediateCAResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	updateCertificate[intermediateCAModel](ctx, r.data.now(), req, resp)
}

func (r *intermediateCAResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
}
