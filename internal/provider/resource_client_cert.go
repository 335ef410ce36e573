package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
)

type clientCertModel struct {
	leafModel
	User         types.String `tfsdk:"user"`
	Subject      types.Object `tfsdk:"subject"`
	SubjectDN    types.String `tfsdk:"subject_dn"`
	PrivateKeyPK types.String `tfsdk:"private_key_pkcs8_der_base64"`
}

var clientIdentity = append([]string{"user", "subject"}, leafIssuerIdentity...)
var clientOutputs = withOutputs("fullchain_pem", "private_key_pkcs8_der_base64")

type clientCertResource struct{ data *providerData }

var (
	_ resource.ResourceWithModifyPlan     = (*clientCertResource)(nil)
	_ resource.ResourceWithValidateConfig = (*clientCertResource)(nil)
	_ resource.ResourceWithConfigure      = (*clientCertResource)(nil)
)

// NewClientCertResource is the pgtls_client_cert resource.
func NewClientCertResource() resource.Resource { return &clientCertResource{} }

func (r *clientCertResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_client_cert"
}

func (r *clientCertResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A TLS client certificate (EKU clientAuth) that logs a PostgreSQL role in with `cert` " +
			"authentication or `clientcert=verify-full`. The server compares the certificate's CN with the role " +
			"(or its RFC 2253 DN with `clientname=DN`, or maps it through `pg_ident.conf`). Give libpq `cert_pem` " +
			"(or `fullchain_pem`) as `sslcert` and `private_key_pem` as `sslkey` (mode 0600); pgJDBC wants " +
			"`private_key_pkcs8_der_base64` decoded into a `.pk8` file.",
		Attributes: mergeAttributes(leafAttributes("client certificate"), map[string]schema.Attribute{
			"user": schema.StringAttribute{
				MarkdownDescription: "The PostgreSQL role this certificate logs in as. It becomes the common name " +
					"unless `subject` is given. Must be a role name PostgreSQL accepts (1 to 63 bytes, not reserved).",
				Required:   true,
				Validators: []validator.String{roleNameValidator()},
			},
			"subject": subjectAttribute("Full distinguished name, when the CN is not simply `user` (for "+
				"`clientname=DN` rules or `pg_ident.conf` mappings). Changing it replaces the certificate.", false),
			"subject_dn": computedString("The subject DN in the exact RFC 2253 form PostgreSQL compares with " +
				"`clientname=DN` (and passes to `pg_ident.conf` maps). Known at plan time."),
			"private_key_pkcs8_der_base64": schema.StringAttribute{
				Computed:  true,
				Sensitive: true,
				MarkdownDescription: "The private key as base64 of unencrypted PKCS#8 DER: decode it into the `.pk8` " +
					"file pgJDBC's `sslkey` expects.",
			},
		}),
	}
}

func (r *clientCertResource) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	r.data = configuredData(req.ProviderData)
}

func (r *clientCertResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m clientCertModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	checkRenewalConfig(m.ValidityPeriodHours, m.EarlyRenewalHours, &resp.Diagnostics)
	validateSubject(ctx, "subject", m.Subject, &resp.Diagnostics)
}

// request builds the domain request; known is false while inputs are unknown.
func (m *clientCertModel) request(ctx context.Context, diags *diag.Diagnostics) (pki.ClientRequest, bool) {
	if m.User.IsUnknown() || m.Subject.IsUnknown() || m.KeyType.IsUnknown() || m.ValidityPeriodHours.IsUnknown() {
		return pki.ClientRequest{}, false
	}
	creq := pki.ClientRequest{
		User:     m.User.ValueString(),
		KeyType:  keyTypeOf(m.KeyType),
		Validity: hours(m.ValidityPeriodHours.ValueInt64()),
	}
	if !m.Subject.IsNull() {
		sub, ok := subjectOf(ctx, m.Subject, diags)
		if !ok {
			return pki.ClientRequest{}, false
		}
		creq.Subject = &sub
	}
	return creq, !diags.HasError()
}

func (r *clientCertResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	// subject_dn depends only on inputs: it is known at plan time (and kept
	// from state when nothing changes).
	var m clientCertModel
	resp.Diagnostics.Append(resp.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	creq, known := m.request(ctx, &resp.Diagnostics)
	dn := types.StringUnknown()
	if known {
		dn = types.StringValue(pki.SubjectDNFor(creq.EffectiveSubject()))
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("subject_dn"), dn)...)
	if planLeaf(ctx, r.data.now(), clientIdentity, clientOutputs, req, resp) == nil || !known {
		return
	}
	if err := creq.Validate(); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("user"), "Invalid client certificate request", err.Error())
	}
}

func (r *clientCertResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m clientCertModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	iss := m.issuer(&resp.Diagnostics)
	creq, ok := m.request(ctx, &resp.Diagnostics)
	if !ok || iss == nil || resp.Diagnostics.HasError() {
		return
	}
	now := r.data.now()
	issued, err := pki.NewClientCert(creq, iss, now, randReader)
	if err != nil {
		resp.Diagnostics.AddError("Could not create the client certificate", err.Error())
		return
	}
	key, err := pki.ParsePrivateKeyPEM(issued.PrivateKeyPEM)
	if err != nil {
		resp.Diagnostics.AddError("Could not read back the client key", err.Error())
		return
	}
	pk8, err := pki.PKCS8DERBase64(key)
	if err != nil {
		resp.Diagnostics.AddError("Could not encode the client key as PKCS#8", err.Error())
		return
	}
	m.setLeaf(issued, now)
	m.SubjectDN = types.StringValue(pki.RFC2253(issued.Cert))
	m.PrivateKeyPK = types.StringValue(pk8)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *clientCertResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	readCertificate[clientCertModel](ctx, r.data.now(), req, resp)
}

func (r *clientCertResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	updateCertificate[clientCertModel](ctx, r.data.now(), req, resp)
}

func (r *clientCertResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
}
