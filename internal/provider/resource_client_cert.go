package provider

import (
	"context"
	"crypto"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
)

type clientCertModel struct {
	leafModel
	User           types.String `tfsdk:"user"`
	EmailAddresses types.List   `tfsdk:"email_addresses"`
	URIs           types.List   `tfsdk:"uris"`
	PrivateKeyPK   types.String `tfsdk:"private_key_pkcs8_der_base64"`
}

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

const sanIgnored = "PostgreSQL's `cert` authentication (and `clientcert=verify-full`) reads only the subject, " +
	"never the subjectAltName, and a name constraint of a CA above still applies to the SANs. PgBouncer 1.18 is " +
	"different: its `auth_type = cert` matches the user like a host name, DNS SANs first, then the CN (ignoring " +
	"case), so a DNS SAN on a client certificate is an identity PgBouncer will log in as."

func (r *clientCertResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A TLS client certificate (EKU clientAuth) that logs a PostgreSQL role in with `cert` " +
			"authentication or `clientcert=verify-full`. The server compares the certificate's CN with the role " +
			"(or its RFC 2253 DN with `clientname=DN`, or maps it through `pg_ident.conf`). Give libpq `cert_pem` " +
			"(or `fullchain_pem`) as `sslcert` and `private_key_pem` as `sslkey` (mode 0600); pgJDBC wants " +
			"`private_key_pkcs8_der_base64` decoded into a `.pk8` file.",
		Attributes: mergeAttributes(
			leafAttributes("client certificate", "Defaults to `user`.",
				"Optional DNS names (subjectAltName dNSName). "+sanIgnored+" Changing them replaces the certificate."),
			map[string]schema.Attribute{
				"user": replaceString(schema.StringAttribute{
					MarkdownDescription: "The PostgreSQL role this certificate logs in as. It becomes the common name " +
						"unless `subject.common_name` is given. Must be a role name PostgreSQL accepts (1 to 63 bytes, not " +
						"reserved). Changing it replaces the certificate.",
					Required:   true,
					Validators: []validator.String{roleNameValidator()},
				}),
				"email_addresses": replaceList(stringListAttribute("Optional email addresses (subjectAltName rfc822Name), "+
					"plain ASCII like `dba@example.com`. "+sanIgnored+" Changing them replaces the certificate.",
					emailAddressValidator())),
				"uris": replaceList(stringListAttribute("Optional URIs (subjectAltName uniformResourceIdentifier), "+
					"absolute and in printable ASCII, such as `spiffe://example.org/db/app`. "+sanIgnored+
					" Changing them replaces the certificate.", uriValidator())),
				"private_key_pkcs8_der_base64": sensitiveOutput("The private key as base64 of unencrypted PKCS#8 DER: " +
					"decode it into the `.pk8` file pgJDBC's `sslkey` expects."),
			}),
	}
}

func (r *clientCertResource) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	r.data = configuredData(req.ProviderData)
}

func (r *clientCertResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	validateLeafConfig(ctx, req.Config, &resp.Diagnostics)
}

func clientInputs(m *clientCertModel) inputPaths {
	subject := path.Root("subject")
	if m.Subject.IsNull() {
		subject = path.Root("user") // the common name is the user
	}
	return commonInputs(inputPaths{
		pki.InputSubject:        subject,
		pki.InputUser:           path.Root("user"),
		pki.InputDNSNames:       path.Root("dns_names"),
		pki.InputEmailAddresses: path.Root("email_addresses"),
		pki.InputURIs:           path.Root("uris"),
	})
}

// request builds the domain request; known is false while inputs are unknown.
func (m *clientCertModel) request(ctx context.Context, diags *diag.Diagnostics) (pki.ClientRequest, bool) {
	if m.User.IsUnknown() || m.KeyType.IsUnknown() || m.ValidityPeriodHours.IsUnknown() ||
		!listKnown(m.DNSNames) || !listKnown(m.EmailAddresses) || !listKnown(m.URIs) {
		return pki.ClientRequest{}, false
	}
	sub, known := optionalSubject(ctx, m.Subject, diags)
	if !known {
		return pki.ClientRequest{}, false
	}
	validity, ok := m.validity(diags)
	if !ok {
		return pki.ClientRequest{}, false
	}
	return pki.ClientRequest{
		User:           m.User.ValueString(),
		Subject:        sub,
		DNSNames:       stringsOf(ctx, m.DNSNames, diags),
		EmailAddresses: stringsOf(ctx, m.EmailAddresses, diags),
		URIs:           stringsOf(ctx, m.URIs, diags),
		KeyType:        keyTypeOf(m.KeyType),
		Validity:       validity,
	}, !diags.HasError()
}

func (r *clientCertResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	now := r.data.now()
	edits := planEdits{}
	defer edits.write(ctx, &resp.Plan, &resp.Diagnostics)
	if planCertificate(ctx, now, req, resp, edits) == planKeep || resp.Diagnostics.HasError() {
		return
	}
	var m clientCertModel
	resp.Diagnostics.Append(resp.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	creq, known := m.request(ctx, &resp.Diagnostics)
	planLeaf(r.data, now, &m.leafModel, creq, known, clientInputs(&m), resp, edits)
}

func (r *clientCertResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.issue(ctx, req.Plan, nil, &resp.State, &resp.Diagnostics)
}

// issue signs the planned client certificate: with a new key, or with
// reuse (an in-place renewal that keeps it).
func (r *clientCertResource) issue(ctx context.Context, plan tfsdk.Plan, reuse crypto.Signer, state *tfsdk.State, diags *diag.Diagnostics) {
	var m clientCertModel
	diags.Append(plan.Get(ctx, &m)...)
	if diags.HasError() {
		return
	}
	iss := m.issuer(r.data.issuers, diags)
	creq, ok := m.request(ctx, diags)
	if !ok || iss == nil || diags.HasError() {
		return
	}
	now := r.data.now()
	var issued *pki.Issued
	var err error
	if reuse == nil {
		issued, err = pki.NewClientCert(creq, iss, now, randReader)
	} else {
		issued, err = pki.RenewClientCert(creq, iss, reuse, now, randReader)
	}
	if err != nil {
		addIssueError(diags, clientInputs(&m), "Could not create the client certificate", err)
		return
	}
	key, err := pki.ParsePrivateKeyPEM(issued.PrivateKeyPEM)
	if err != nil {
		diags.AddError("Could not read back the client key", err.Error())
		return
	}
	pk8, err := pki.PKCS8DERBase64(key)
	if err != nil {
		diags.AddError("Could not encode the client key as PKCS#8", err.Error())
		return
	}
	m.setLeaf(ctx, issued, iss, now)
	m.PrivateKeyPK = types.StringValue(pk8)
	diags.Append(state.Set(ctx, &m)...)
}

func (r *clientCertResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	readCertificate(ctx, r.data.now(), req, resp)
}

func (r *clientCertResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if renewingInPlace(ctx, req.Plan, &resp.Diagnostics) {
		if key := stateKey(ctx, req.State, &resp.Diagnostics); key != nil {
			r.issue(ctx, req.Plan, key, &resp.State, &resp.Diagnostics)
		}
		return
	}
	updateCertificate[clientCertModel](ctx, r.data.now(), req, resp)
}

func (r *clientCertResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
	// Logical resource: forgetting it is all there is to do.
}
