package provider

import (
	"context"
	"crypto"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
)

type serverCertModel struct {
	leafModel
	IPAddresses types.List `tfsdk:"ip_addresses"`
}

type serverCertResource struct{ data *providerData }

var (
	_ resource.ResourceWithModifyPlan     = (*serverCertResource)(nil)
	_ resource.ResourceWithValidateConfig = (*serverCertResource)(nil)
	_ resource.ResourceWithConfigure      = (*serverCertResource)(nil)
)

// NewServerCertResource is the pgtls_server_cert resource.
func NewServerCertResource() resource.Resource { return &serverCertResource{} }

func (r *serverCertResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_server_cert"
}

func (r *serverCertResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A TLS server certificate for PostgreSQL, PgBouncer or Pgpool-II (EKU serverAuth), signed " +
			"by a pgtls CA or a CA brought as PEM. Put `fullchain_pem` in `ssl_cert_file`, `private_key_pem` in " +
			"`ssl_key_file` (mode 0600) and give clients `ca_bundle_pem` as `sslrootcert` so `sslmode=verify-full` works.",
		Attributes: mergeAttributes(
			leafAttributes("server certificate",
				"Defaults to the first DNS name (of at most 64 characters), else the first IP address. Clients match host names against the SANs "+
					"(libpq falls back to the CN only when no SAN of the host's type exists; Go and pgx never do), so the "+
					"CN is informational.",
				"DNS names clients connect with (subjectAltName dNSName). A wildcard is allowed only as a single "+
					"leading `*.` label, matching exactly one label, as in libpq. At least one DNS name or IP address is "+
					"required. Changing them replaces the certificate."),
			map[string]schema.Attribute{
				"ip_addresses": replaceList(stringListAttribute("IP addresses clients connect with (subjectAltName "+
					"iPAddress). Changing them replaces the certificate.", ipAddressValidator())),
			}),
	}
}

func (r *serverCertResource) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	r.data = configuredData(req.ProviderData)
}

func (r *serverCertResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	validateLeafConfig(ctx, req.Config, &resp.Diagnostics)
	var dnsNames, ips types.List
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("dns_names"), &dnsNames)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("ip_addresses"), &ips)...)
	if resp.Diagnostics.HasError() || dnsNames.IsUnknown() || ips.IsUnknown() {
		return
	}
	if len(dnsNames.Elements())+len(ips.Elements()) == 0 {
		resp.Diagnostics.AddAttributeError(path.Root("dns_names"), "Server certificate without subjectAltName",
			"Set at least one of dns_names or ip_addresses: Go and pgx clients never fall back to the common name, "+
				"and libpq uses it only when no SAN of the host's type exists.")
	}
}

var serverInputs = commonInputs(inputPaths{
	pki.InputDNSNames:    path.Root("dns_names"),
	pki.InputIPAddresses: path.Root("ip_addresses"),
})

// request builds the domain request; known is false while inputs are
// unknown.
func (m *serverCertModel) request(ctx context.Context, diags *diag.Diagnostics) (pki.ServerRequest, bool) {
	if !listKnown(m.DNSNames) || !listKnown(m.IPAddresses) || m.KeyType.IsUnknown() || m.ValidityPeriodHours.IsUnknown() {
		return pki.ServerRequest{}, false
	}
	sub, known := optionalSubject(ctx, m.Subject, diags)
	if !known {
		return pki.ServerRequest{}, false
	}
	validity, ok := m.validity(diags)
	if !ok {
		return pki.ServerRequest{}, false
	}
	return pki.ServerRequest{
		Subject:     sub,
		DNSNames:    stringsOf(ctx, m.DNSNames, diags),
		IPAddresses: addrsOf(ctx, m.IPAddresses, diags),
		KeyType:     keyTypeOf(m.KeyType),
		Validity:    validity,
	}, !diags.HasError()
}

func (r *serverCertResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	now := r.data.now()
	edits := planEdits{}
	defer edits.write(ctx, &resp.Plan, &resp.Diagnostics)
	if planCertificate(ctx, now, req, resp, edits) == planKeep || resp.Diagnostics.HasError() {
		return
	}
	var m serverCertModel
	resp.Diagnostics.Append(resp.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	paths := serverInputs
	if m.Subject.IsNull() {
		// The common name comes from the SANs: blame them.
		paths = commonInputs(inputPaths{pki.InputSubject: path.Root("ip_addresses"),
			pki.InputDNSNames: path.Root("dns_names"), pki.InputIPAddresses: path.Root("ip_addresses")})
	}
	sreq, known := m.request(ctx, &resp.Diagnostics)
	planLeaf(r.data, now, &m.leafModel, sreq, known, paths, resp, edits)
}

func (r *serverCertResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.issue(ctx, req.Plan, nil, &resp.State, &resp.Diagnostics)
}

// issue signs the planned server certificate: with a new key, or with key
// (an in-place renewal that keeps it).
func (r *serverCertResource) issue(ctx context.Context, plan tfsdk.Plan, key crypto.Signer, state *tfsdk.State, diags *diag.Diagnostics) {
	var m serverCertModel
	diags.Append(plan.Get(ctx, &m)...)
	if diags.HasError() {
		return
	}
	iss := m.issuer(r.data.issuers, diags)
	sreq, ok := m.request(ctx, diags)
	if !ok || iss == nil || diags.HasError() {
		return
	}
	now := r.data.now()
	var issued *pki.Issued
	var err error
	if key == nil {
		issued, err = pki.NewServerCert(sreq, iss, now, randReader)
	} else {
		issued, err = pki.RenewServerCert(sreq, iss, key, now, randReader)
	}
	if err != nil {
		addIssueError(diags, serverInputs, "Could not create the server certificate", err)
		return
	}
	m.setLeaf(ctx, issued, iss, now)
	diags.Append(state.Set(ctx, &m)...)
}

func (r *serverCertResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	readCertificate(ctx, r.data.now(), req, resp)
}

func (r *serverCertResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if renewingInPlace(ctx, req.Plan, &resp.Diagnostics) {
		if key := stateKey(ctx, req.State, &resp.Diagnostics); key != nil {
			r.issue(ctx, req.Plan, key, &resp.State, &resp.Diagnostics)
		}
		return
	}
	updateCertificate[serverCertModel](ctx, r.data.now(), req, resp)
}

func (r *serverCertResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
	// Logical resource: forgetting it is all there is to do.
}
