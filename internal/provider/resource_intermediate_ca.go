package provider

import (
	"context"
	"crypto"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
)

type intermediateCAModel struct {
	caModel
	issuerModel
	ChainPEM types.String `tfsdk:"chain_pem"`
}

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
		Attributes: mergeAttributes(
			caAttributes("intermediate CA", hoursIntermediateDefault, 0),
			issuerAttributes("intermediate CA", "It must be allowed to sign CAs (no `pathlen:0` on it or above). "),
			map[string]schema.Attribute{
				"chain_pem": output("This CA certificate followed by the intermediates above it, root excluded " +
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
	edits := planEdits{}
	defer edits.write(ctx, &resp.Plan, &resp.Diagnostics)
	if planCertificate(ctx, now, req, resp, edits) == planKeep || resp.Diagnostics.HasError() {
		return
	}
	var m intermediateCAModel
	resp.Diagnostics.Append(resp.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	_, ic := m.loadIssuer(r.data.issuers, &resp.Diagnostics)
	// The root is known at plan time when the issuer and its chain are.
	edits["ca_bundle_pem"] = bundleOf(ic)
	creq, known := m.request(ctx, &resp.Diagnostics)
	if !known {
		return
	}
	if err := creq.Validate(); err != nil {
		addIssueError(&resp.Diagnostics, caInputs, "Invalid CA request", err)
		return
	}
	if ic != nil {
		if err := creq.CheckIssuer(ic, now); err != nil {
			addIssueError(&resp.Diagnostics, caInputs, "The issuing CA cannot sign this CA", err)
		}
	}
}

func (r *intermediateCAResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.issue(ctx, req.Plan, nil, &resp.State, &resp.Diagnostics)
}

// issue signs the planned intermediate CA: with a new key, or with key (an
// in-place renewal that keeps it).
func (r *intermediateCAResource) issue(ctx context.Context, plan tfsdk.Plan, key crypto.Signer, state *tfsdk.State, diags *diag.Diagnostics) {
	var m intermediateCAModel
	diags.Append(plan.Get(ctx, &m)...)
	if diags.HasError() {
		return
	}
	iss, _ := m.loadIssuer(r.data.issuers, diags)
	creq, ok := m.request(ctx, diags)
	if !ok || iss == nil || diags.HasError() {
		return
	}
	now := r.data.now()
	var issued *pki.Issued
	var err error
	if key == nil {
		issued, err = pki.NewIntermediateCA(creq, iss, now, randReader)
	} else {
		issued, err = pki.RenewIntermediateCA(creq, iss, key, now, randReader)
	}
	if err != nil {
		addIssueError(diags, caInputs, "Could not create the intermediate CA", err)
		return
	}
	m.setIssued(ctx, issued, iss, now)
	m.ChainPEM = types.StringValue(issued.ChainPEM)
	diags.Append(state.Set(ctx, &m)...)
}

func (r *intermediateCAResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	readCertificate(ctx, r.data.now(), req, resp)
}

func (r *intermediateCAResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if renewingInPlace(ctx, req.Plan, &resp.Diagnostics) {
		if key := stateKey(ctx, req.State, &resp.Diagnostics); key != nil {
			r.issue(ctx, req.Plan, key, &resp.State, &resp.Diagnostics)
		}
		return
	}
	updateCertificate[intermediateCAModel](ctx, r.data.now(), req, resp)
}

func (r *intermediateCAResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
	// Logical resource: forgetting it is all there is to do.
}
