package provider

import (
	"context"
	"crypto"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
)

// caModel holds what root and intermediate CAs share.
type caModel struct {
	certState
	Subject             types.Object `tfsdk:"subject"`
	MaxPathLength       types.Int64  `tfsdk:"max_path_length"`
	PermittedDNSDomains types.List   `tfsdk:"permitted_dns_domains"`
	ExcludedDNSDomains  types.List   `tfsdk:"excluded_dns_domains"`
	PermittedIPRanges   types.List   `tfsdk:"permitted_ip_ranges"`
	ExcludedIPRanges    types.List   `tfsdk:"excluded_ip_ranges"`
}

func caAttributes(kind string, defaultHours, defaultPathLen int64) map[string]schema.Attribute {
	changing := " Changing it replaces the " + kind + "."
	return mergeAttributes(commonCertAttributes(kind, defaultHours), map[string]schema.Attribute{
		"subject": subjectAttribute("Distinguished name of the "+kind+". `common_name` is required.", true, ""),
		"max_path_length": replaceInt64(schema.Int64Attribute{
			MarkdownDescription: fmt.Sprintf("Maximum number of intermediate CAs allowed below this %s "+
				"(basicConstraints pathLenConstraint). `-1` sets no limit, `0` lets it sign only server and "+
				"client certificates; at most %d. Defaults to `%d`.", kind, pki.MaxPathLenLimit, defaultPathLen) + changing,
			Optional:   true,
			Computed:   true,
			Default:    int64default.StaticInt64(defaultPathLen),
			Validators: []validator.Int64{maxPathLenValidator()},
		}),
		"permitted_dns_domains": replaceList(stringListAttribute("Name constraint: DNS domains certificates below this "+kind+
			" may name. A leading `.` permits subdomains only."+changing, domainConstraintValidator())),
		"excluded_dns_domains": replaceList(stringListAttribute("Name constraint: DNS domains certificates below this "+kind+
			" may not name."+changing, domainConstraintValidator())),
		"permitted_ip_ranges": replaceList(stringListAttribute("Name constraint: IP ranges (CIDR) certificates below this "+kind+
			" may name."+changing, cidrValidator())),
		"excluded_ip_ranges": replaceList(stringListAttribute("Name constraint: IP ranges (CIDR) certificates below this "+kind+
			" may not name."+changing, cidrValidator())),
	})
}

var caInputs = commonInputs(inputPaths{
	pki.InputMaxPathLen:      path.Root("max_path_length"),
	pki.InputNameConstraints: path.Root("permitted_dns_domains"),
})

// request builds the domain request; known is false while inputs are
// unknown.
func (m *caModel) request(ctx context.Context, diags *diag.Diagnostics) (pki.CARequest, bool) {
	if m.KeyType.IsUnknown() || m.ValidityPeriodHours.IsUnknown() || m.MaxPathLength.IsUnknown() ||
		!listKnown(m.PermittedDNSDomains) || !listKnown(m.ExcludedDNSDomains) ||
		!listKnown(m.PermittedIPRanges) || !listKnown(m.ExcludedIPRanges) {
		return pki.CARequest{}, false
	}
	sub, ok := subjectOf(ctx, m.Subject, diags)
	if !ok {
		return pki.CARequest{}, false
	}
	validity, ok := m.validity(diags)
	if !ok {
		return pki.CARequest{}, false
	}
	if err := pki.CheckMaxPathLen(m.MaxPathLength.ValueInt64()); err != nil {
		diags.AddAttributeError(path.Root("max_path_length"), "Invalid max path length", err.Error())
		return pki.CARequest{}, false
	}
	return pki.CARequest{
		Subject:             sub,
		KeyType:             keyTypeOf(m.KeyType),
		Validity:            validity,
		MaxPathLen:          int(m.MaxPathLength.ValueInt64()),
		PermittedDNSDomains: stringsOf(ctx, m.PermittedDNSDomains, diags),
		ExcludedDNSDomains:  stringsOf(ctx, m.ExcludedDNSDomains, diags),
		PermittedIPRanges:   prefixesOf(ctx, m.PermittedIPRanges, diags),
		ExcludedIPRanges:    prefixesOf(ctx, m.ExcludedIPRanges, diags),
	}, !diags.HasError()
}

// validateCAConfig runs the checks shared by both CA resources.
func validateCAConfig(ctx context.Context, m *caModel, diags *diag.Diagnostics) {
	validateSubject(ctx, "subject", m.Subject, diags)
	checkRenewalConfig(m.ValidityPeriodHours, m.EarlyRenewalHours, diags)
	if !m.KeyType.IsNull() && !m.KeyType.IsUnknown() {
		if kt, err := pki.ParseKeyType(m.KeyType.ValueString()); err == nil {
			if w := pki.CAKeyTypeWarning(kt); w != "" {
				diags.AddAttributeWarning(path.Root("key_type"), "Ed25519 CA breaks SCRAM channel binding", w)
			}
		}
	}
}

type rootCAResource struct{ data *providerData }

var (
	_ resource.ResourceWithModifyPlan     = (*rootCAResource)(nil)
	_ resource.ResourceWithValidateConfig = (*rootCAResource)(nil)
	_ resource.ResourceWithConfigure      = (*rootCAResource)(nil)
)

// NewRootCAResource is the pgtls_root_ca resource.
func NewRootCAResource() resource.Resource { return &rootCAResource{} }

func (r *rootCAResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_root_ca"
}

func (r *rootCAResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A self-signed root certificate authority for a PostgreSQL PKI. " +
			"The key is generated by the provider and kept in state. Nothing is contacted: the CA exists only in state.",
		Attributes: caAttributes("root CA", hoursCADefault, -1),
	}
}

func (r *rootCAResource) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	r.data = configuredData(req.ProviderData)
}

func (r *rootCAResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m caModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	validateCAConfig(ctx, &m, &resp.Diagnostics)
}

func (r *rootCAResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	now := r.data.now()
	edits := planEdits{}
	defer edits.write(ctx, &resp.Plan, &resp.Diagnostics)
	if planCertificate(ctx, now, req, resp, edits) == planKeep || resp.Diagnostics.HasError() {
		return
	}
	var m caModel
	resp.Diagnostics.Append(resp.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	creq, known := m.request(ctx, &resp.Diagnostics)
	if !known {
		return
	}
	if err := creq.Validate(); err != nil {
		addIssueError(&resp.Diagnostics, caInputs, "Invalid CA request", err)
		return
	}
	if err := creq.CheckRoot(now); err != nil {
		addIssueError(&resp.Diagnostics, caInputs, "The root CA cannot be issued", err)
	}
}

func (r *rootCAResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.issue(ctx, req.Plan, nil, &resp.State, &resp.Diagnostics)
}

// issue signs the planned root CA: with a new key, or with key (an
// in-place renewal that keeps it).
func (r *rootCAResource) issue(ctx context.Context, plan tfsdk.Plan, key crypto.Signer, state *tfsdk.State, diags *diag.Diagnostics) {
	var m caModel
	diags.Append(plan.Get(ctx, &m)...)
	if diags.HasError() {
		return
	}
	creq, ok := m.request(ctx, diags)
	if !ok {
		return
	}
	now := r.data.now()
	var issued *pki.Issued
	var err error
	if key == nil {
		issued, err = pki.NewRootCA(creq, now, randReader)
	} else {
		issued, err = pki.RenewRootCA(creq, key, now, randReader)
	}
	if err != nil {
		addIssueError(diags, caInputs, "Could not create the root CA", err)
		return
	}
	m.setIssued(ctx, issued, nil, now)
	diags.Append(state.Set(ctx, &m)...)
}

func (r *rootCAResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	readCertificate(ctx, r.data.now(), req, resp)
}

func (r *rootCAResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if renewingInPlace(ctx, req.Plan, &resp.Diagnostics) {
		if key := stateKey(ctx, req.State, &resp.Diagnostics); key != nil {
			r.issue(ctx, req.Plan, key, &resp.State, &resp.Diagnostics)
		}
		return
	}
	updateCertificate[caModel](ctx, r.data.now(), req, resp)
}

func (r *rootCAResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
	// Logical resource: forgetting it is all there is to do.
}
