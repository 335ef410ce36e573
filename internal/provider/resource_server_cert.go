package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
)

type serverCertModel struct {
	leafModel
	CommonName  types.String `tfsdk:"common_name"`
	DNSNames    types.List   `tfsdk:"dns_names"`
	IPAddresses types.List   `tfsdk:"ip_addresses"`
}

var serverIdentity = append([]string{"common_name", "dns_names", "ip_addresses"}, leafIssuerIdentity...)
var serverOutputs = withOutputs("fullchain_pem")

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
		Attributes: mergeAttributes(leafAttributes("server certificate"), map[string]schema.Attribute{
			"common_name": schema.StringAttribute{
				MarkdownDescription: "Subject common name. Defaults to the first DNS name, else the first IP address. " +
					"Clients match host names against the SANs (libpq falls back to the CN only when no SAN of the " +
					"host's type exists; Go and pgx never do), so the CN is informational.",
				Optional: true,
				Computed: true,
			},
			"dns_names": stringListAttribute("DNS names clients connect with (subjectAltName dNSName). A wildcard is "+
				"allowed only as a single leading `*.` label, matching exactly one label, as in libpq. At least one "+
				"DNS name or IP address is required.", dnsNameValidator()),
			"ip_addresses": stringListAttribute("IP addresses clients connect with (subjectAltName iPAddress).",
				ipAddressValidator()),
		}),
	}
}

func (r *serverCertResource) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	r.data = configuredData(req.ProviderData)
}

func (r *serverCertResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m serverCertModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	checkRenewalConfig(m.ValidityPeriodHours, m.EarlyRenewalHours, &resp.Diagnostics)
	if m.DNSNames.IsUnknown() || m.IPAddresses.IsUnknown() {
		return
	}
	if len(m.DNSNames.Elements())+len(m.IPAddresses.Elements()) == 0 {
		resp.Diagnostics.AddAttributeError(path.Root("dns_names"), "Server certificate without subjectAltName",
			"Set at least one of dns_names or ip_addresses: Go and pgx clients never fall back to the common name, "+
				"and libpq uses it only when no SAN of the host's type exists.")
	}
}

func (r *serverCertResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	// Resolve the default common name first, so a plan that changes
	// nothing else compares the effective name with state, not "unknown".
	var m serverCertModel
	resp.Diagnostics.Append(resp.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var cfgCN types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("common_name"), &cfgCN)...)
	sreq, known := m.request(ctx, cfgCN, &resp.Diagnostics)
	if known {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("common_name"), sreq.CommonName)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if planLeaf(ctx, r.data.now(), serverIdentity, serverOutputs, req, resp) == nil || !known {
		return
	}
	if err := sreq.Validate(); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("dns_names"), "Invalid server certificate request", err.Error())
	}
}

// request builds the domain request; known is false while inputs are
// unknown. cn is the configured common name (null: default to the first
// SAN), so plan and apply agree on it.
func (m *serverCertModel) request(ctx context.Context, cn types.String, diags *diag.Diagnostics) (pki.ServerRequest, bool) {
	if m.DNSNames.IsUnknown() || m.IPAddresses.IsUnknown() || cn.IsUnknown() || m.KeyType.IsUnknown() || m.ValidityPeriodHours.IsUnknown() {
		return pki.ServerRequest{}, false
	}
	sreq := pki.ServerRequest{
		CommonName:  cn.ValueString(),
		DNSNames:    stringsOf(ctx, m.DNSNames, diags),
		IPAddresses: addrsOf(ctx, m.IPAddresses, diags),
		KeyType:     keyTypeOf(m.KeyType),
		Validity:    hours(m.ValidityPeriodHours.ValueInt64()),
	}
	sreq.CommonName = sreq.EffectiveCommonName()
	return sreq, !diags.HasError()
}

func (r *serverCertResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m serverCertModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	iss := m.issuer(&resp.Diagnostics)
	var cfgCN types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("common_name"), &cfgCN)...)
	sreq, ok := m.request(ctx, cfgCN, &resp.Diagnostics)
	if !ok || iss == nil || resp.Diagnostics.HasError() {
		return
	}
	now := r.data.now()
	issued, err := pki.NewServerCert(sreq, iss, now, randReader)
	if err != nil {
		resp.Diagnostics.AddError("Could not create the server certificate", err.Error())
		return
	}
	m.setLeaf(issued, now)
	m.CommonName = types.StringValue(sreq.CommonName)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *serverCertResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	readCertificate[serverCertModel](ctx, r.data.now(), req, resp)
}

func (r *serverCertResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	updateCertificate[serverCertModel](ctx, r.data.now(), req, resp)
}

func (r *serverCertResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
}
