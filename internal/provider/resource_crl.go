package provider

// pgtls_crl: a certificate revocation list of one CA. Every input changes
// in place: a change re-issues the CRL with the next crl_number, so the
// number and the permanent entries survive (a replacement would start over).

import (
	"context"
	"crypto/x509"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
)

const (
	hoursCRLDefault      = 30 * 24 // a CRL is valid for 30 days
	hoursCRLEarlyDefault = 15 * 24 // and re-issued by any plan in its second half
	maxRevokedEntries    = 100000
)

type crlModel struct {
	CACertPEM           types.String `tfsdk:"ca_cert_pem"`
	CAPrivateKeyPEM     types.String `tfsdk:"ca_private_key_pem"`
	Revoked             types.List   `tfsdk:"revoked"`
	ValidityPeriodHours types.Int64  `tfsdk:"validity_period_hours"`
	EarlyRenewalHours   types.Int64  `tfsdk:"early_renewal_hours"`

	ID                 types.String `tfsdk:"id"`
	CRLNumber          types.Int64  `tfsdk:"crl_number"`
	CRLPEM             types.String `tfsdk:"crl_pem"`
	ThisUpdate         types.String `tfsdk:"this_update"`
	NextUpdate         types.String `tfsdk:"next_update"`
	ReadyForRenewal    types.Bool   `tfsdk:"ready_for_renewal"`
	IssuerDN           types.String `tfsdk:"issuer_dn"`
	IssuerHash         types.String `tfsdk:"issuer_hash"`
	AuthorityKeyID     types.String `tfsdk:"authority_key_id"`
	SignatureAlgorithm types.String `tfsdk:"signature_algorithm"`
	Entries            types.List   `tfsdk:"entries"`
}

type revokedModel struct {
	SerialNumber   types.String `tfsdk:"serial_number"`
	CertPEM        types.String `tfsdk:"cert_pem"`
	Reason         types.String `tfsdk:"reason"`
	RevocationTime types.String `tfsdk:"revocation_time"`
}

var crlEntryAttrTypes = map[string]attr.Type{
	"serial_number":   types.StringType,
	"revocation_time": types.StringType,
	"reason":          types.StringType,
	"expires_at":      types.StringType,
	"retained":        types.BoolType,
}

type crlResource struct{ data *providerData }

var (
	_ resource.ResourceWithModifyPlan     = (*crlResource)(nil)
	_ resource.ResourceWithValidateConfig = (*crlResource)(nil)
	_ resource.ResourceWithConfigure      = (*crlResource)(nil)
	_ resource.ResourceWithImportState    = (*crlResource)(nil)
)

// NewCRLResource is the pgtls_crl resource.
func NewCRLResource() resource.Resource { return &crlResource{} }

func (r *crlResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_crl"
}

func (r *crlResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	inPlace := " Changing it re-issues the CRL in place with the next `crl_number`."
	resp.Schema = schema.Schema{
		MarkdownDescription: "A certificate revocation list (CRL v2) of one CA: a `pgtls_root_ca`, a `pgtls_intermediate_ca` " +
			"or a CA brought as PEM. Put `crl_pem` in PostgreSQL's `ssl_crl_file`, libpq's `sslcrl` or Pgpool-II's " +
			"`ssl_crl_file`, together with the CRL of every other CA of the chain (see `pgtls_crl_bundle`): once a CRL is " +
			"configured, PostgreSQL, libpq and Pgpool-II refuse every certificate whose chain has a CA without a current " +
			"CRL. Every change (entries, CA, validity) and every renewal re-issues the CRL in place with a larger " +
			"`crl_number`; nothing replaces it. Revocation is permanent: an entry removed from `revoked` stays on the CRL " +
			"until the certificate expires (`entries` shows it as `retained`), except `certificate_hold` entries, which " +
			"are released when removed.",
		Attributes: map[string]schema.Attribute{
			"ca_cert_pem": schema.StringAttribute{
				MarkdownDescription: "Certificate of the CA that signs the CRL (PEM, exactly one): the CA that issued the " +
					"revoked certificates. It must be a CA whose keyUsage includes cRLSign (every pgtls CA has it)." + inPlace,
				Required:   true,
				Validators: []validator.String{certificatePEMValidator()},
			},
			"ca_private_key_pem": schema.StringAttribute{
				MarkdownDescription: "Private key of the CA (PEM: PKCS#8, PKCS#1 or SEC1). Must match `ca_cert_pem`: a CRL " +
					"signed by another key fails verification and refuses every certificate of the CA." + inPlace,
				Required:  true,
				Sensitive: true,
			},
			"revoked": schema.ListNestedAttribute{
				MarkdownDescription: fmt.Sprintf("The certificates to revoke, each a whole certificate resource "+
					"(`revoked = [pgtls_client_cert.app1]`), an object with its `cert_pem` and a reason "+
					"(`{ cert_pem = pgtls_client_cert.app1.cert_pem, reason = \"key_compromise\" }`) or a serial number "+
					"of a certificate made elsewhere (`{ serial_number = \"0x1A2B\" }`). At most %d entries, each "+
					"certificate once. A certificate given as PEM must have been issued by this CA (checked at plan "+
					"time). Removing an entry does not un-revoke the certificate before it expires (see `entries`).", maxRevokedEntries) + inPlace,
				Optional: true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"serial_number": schema.StringAttribute{
						MarkdownDescription: "Serial number: decimal as pgtls shows it (`serial_number` of a certificate " +
							"resource) or hex with a `0x` prefix or colons as openssl prints it. Taken from `cert_pem` when " +
							"that is given (then both must agree).",
						Optional:   true,
						Validators: []validator.String{serialValidator()},
					},
					"cert_pem": schema.StringAttribute{
						MarkdownDescription: "The revoked certificate (PEM, exactly one). Gives the serial number and the " +
							"expiry, after which the entry may leave the CRL.",
						Optional:   true,
						Validators: []validator.String{certificatePEMValidator()},
					},
					"reason": schema.StringAttribute{
						MarkdownDescription: "RFC 5280 reason: " + backtickList(pki.CRLReasonNames()) + ". Defaults to " +
							"`unspecified` (written as no reason code, as RFC 5280 asks). `certificate_hold` suspends: " +
							"removing the entry lifts it.",
						Optional:   true,
						Validators: []validator.String{stringvalidator.OneOf(pki.CRLReasonNames()...)},
					},
					"revocation_time": schema.StringAttribute{
						MarkdownDescription: "When the certificate was revoked (RFC 3339, not in the future). Defaults to " +
							"the time the CRL first lists it, kept from then on.",
						Optional:   true,
						Validators: []validator.String{rfc3339Validator()},
					},
				}},
				Validators: []validator.List{listvalidator.SizeAtMost(maxRevokedEntries)},
			},
			"validity_period_hours": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Hours from issuing to `next_update`: 1 to %d. Defaults to `%d` (%s). "+
					"An expired CRL refuses every certificate of the CA (PostgreSQL and libpq report \"certificate "+
					"expired\" to the client).", pki.MaxValidityHours, hoursCRLDefault, humanHours(hoursCRLDefault)) + inPlace,
				Optional:   true,
				Computed:   true,
				Default:    int64default.StaticInt64(hoursCRLDefault),
				Validators: []validator.Int64{validityValidator()},
			},
			"early_renewal_hours": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Re-issue the CRL this many hours before `next_update`: from then on "+
					"every `terraform plan` (also with `-refresh=false`) re-issues it in place. Must be less than "+
					"`validity_period_hours`. Defaults to `%d` (%s): apply at least that often. Changing it never "+
					"re-issues the CRL by itself.", hoursCRLEarlyDefault, humanHours(hoursCRLEarlyDefault)),
				Optional:   true,
				Computed:   true,
				Default:    int64default.StaticInt64(hoursCRLEarlyDefault),
				Validators: []validator.Int64{renewalValidator()},
			},
			"id": computedString("The CRL number (decimal) of the current CRL."),
			"crl_number": schema.Int64Attribute{
				Computed: true,
				MarkdownDescription: "The cRLNumber. The first CRL of the resource gets the Unix time of its issuing " +
					"in seconds; every re-issue after that the previous number + 1, known at plan time. Kept in state, so " +
					"it never goes back while the resource lives; because the first number comes from the clock, a " +
					"replaced or re-created resource (lost state, `-replace`) still continues above the old numbers " +
					"unless CRLs were re-issued more often than once per second on average. `terraform import` with the " +
					"last CRL (PEM) or its number continues the count exactly.",
			},
			"crl_pem": computedString("The CRL (PEM `X509 CRL`): for `ssl_crl_file`, `sslcrl` and Pgpool-II's " +
				"`ssl_crl_file`, next to the CRLs of the other CAs of the chain."),
			"this_update": computedString("Start of validity (RFC 3339): the issuing time, backdated a few minutes " +
				"for clock skew."),
			"next_update": computedString("End of validity (RFC 3339)."),
			"ready_for_renewal": schema.BoolAttribute{
				Computed:            true,
				MarkdownDescription: "Whether the CRL has entered its early renewal window (the plan then re-issues it).",
			},
			"issuer_dn": computedString("The CA's subject (RFC 2253), known at plan time."),
			"issuer_hash": computedString("OpenSSL's hash of the issuer name (`openssl crl -hash`), known at plan " +
				"time: the CRL's file is `<issuer_hash>.r0` in an `ssl_crl_dir` (see `pgtls_crl_bundle`)."),
			"authority_key_id":    computedString("The authority key identifier (the CA's subject key identifier), lowercase hex."),
			"signature_algorithm": computedString("The signature algorithm: the one the CA's key signs certificates with."),
			"entries": schema.ListNestedAttribute{
				Computed: true,
				MarkdownDescription: "Every entry of the CRL, known at plan time when the revoked certificates are: the " +
					"configured ones in order, then those that left `revoked` but stay until their certificate expires " +
					"(`retained`).",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"serial_number": computedString("Serial number (decimal)."),
					"revocation_time": computedString("Revocation time (RFC 3339); for a new entry without " +
						"`revocation_time`, the issuing time of the CRL that first lists it (known after apply)."),
					"reason": computedString("Reason name."),
					"expires_at": computedString("Expiry of the revoked certificate (RFC 3339) when known: after it " +
						"a retained entry leaves the CRL at the next re-issue."),
					"retained": schema.BoolAttribute{Computed: true, MarkdownDescription: "True when the entry is no " +
						"longer in `revoked` and stays because revocation is permanent until expiry."},
				}},
			},
		},
	}
}

func (r *crlResource) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	r.data = configuredData(req.ProviderData)
}

func (r *crlResource) now() time.Time {
	if r.data == nil {
		return configuredData(nil).now()
	}
	return r.data.now()
}

func (r *crlResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m crlModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	checkRenewalConfig(m.ValidityPeriodHours, m.EarlyRenewalHours, &resp.Diagnostics)
}

var revocationFieldAttr = map[pki.RevocationField]string{
	pki.FieldSerial: "serial_number", pki.FieldCert: "cert_pem", pki.FieldReason: "reason", pki.FieldTime: "revocation_time",
}

// crlCA is the signing CA as far as it is known: the certificate once
// ca_cert_pem is known and valid, the signer once the key is too.
type crlCA struct {
	cert   *x509.Certificate
	signer *pki.CRLSigner
}

// loadCA parses the CA inputs and reports problems on their attributes.
func (m *crlModel) loadCA(diags *diag.Diagnostics) crlCA {
	var ca crlCA
	if m.CACertPEM.IsUnknown() || m.CACertPEM.IsNull() {
		return ca
	}
	cert, err := pki.ParseCRLIssuerCert(m.CACertPEM.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("ca_cert_pem"), "This CA cannot sign a CRL", err.Error())
		return ca
	}
	ca.cert = cert
	if m.CAPrivateKeyPEM.IsUnknown() || m.CAPrivateKeyPEM.IsNull() {
		return ca
	}
	s, err := pki.ParseCRLSigner(m.CACertPEM.ValueString(), m.CAPrivateKeyPEM.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("ca_private_key_pem"), "Invalid CA key for the CRL", err.Error())
		return ca
	}
	ca.signer = s
	return ca
}

// configured parses the configured entries (checked against the CA when
// its certificate is known), reporting each problem on the entry's
// attribute. known is false while an entry is unknown; ok is false when
// one is invalid.
func (m *crlModel) configured(ctx context.Context, ca *x509.Certificate, now time.Time, diags *diag.Diagnostics) (revs []pki.Revocation, known, ok bool) {
	if m.Revoked.IsNull() {
		return nil, true, true
	}
	if !fullyKnown(m.Revoked) {
		return nil, false, true
	}
	var items []revokedModel
	diags.Append(m.Revoked.ElementsAs(ctx, &items, false)...)
	if diags.HasError() {
		return nil, true, false
	}
	ok = true
	revs = make([]pki.Revocation, 0, len(items))
	for i, it := range items {
		in := pki.RevocationInput{Serial: it.SerialNumber.ValueString(), CertPEM: it.CertPEM.ValueString(),
			Reason: it.Reason.ValueString(), Time: it.RevocationTime.ValueString()}
		rev, err := pki.ParseRevocation(in, ca)
		if err != nil {
			p := path.Root("revoked").AtListIndex(i)
			if a, has := revocationFieldAttr[pki.FieldOf(err)]; has {
				p = p.AtName(a)
			}
			diags.AddAttributeError(p, "Invalid revoked entry", err.Error())
			ok = false
			continue
		}
		revs = append(revs, rev)
	}
	if !ok {
		return nil, true, false
	}
	req := pki.CRLRequest{Number: big.NewInt(1), Validity: time.Hour, Revoked: revs}
	if err := req.Validate(now); err != nil {
		p := path.Root("revoked")
		if i := pki.EntryOf(err); i >= 0 {
			p = p.AtListIndex(i)
		}
		diags.AddAttributeError(p, "Invalid revoked entry", err.Error())
		return nil, true, false
	}
	return revs, true, true
}

// entriesValue renders CRL entries as the entries attribute; an entry
// without a time yet (a new one without revocation_time) gets an unknown
// time, filled with the issuing time at apply.
func entriesValue(revs []pki.Revocation) (types.List, diag.Diagnostics) {
	var diags diag.Diagnostics
	objType := types.ObjectType{AttrTypes: crlEntryAttrTypes}
	elems := make([]attr.Value, 0, len(revs))
	for _, r := range revs {
		expires := types.StringNull()
		if !r.NotAfter.IsZero() {
			expires = types.StringValue(r.NotAfter.UTC().Format(time.RFC3339))
		}
		at := types.StringUnknown() // set when the CRL is issued
		if !r.Time.IsZero() {
			at = types.StringValue(r.Time.UTC().Format(time.RFC3339))
		}
		o, d := types.ObjectValue(crlEntryAttrTypes, map[string]attr.Value{
			"serial_number":   types.StringValue(r.Serial.String()),
			"revocation_time": at,
			"reason":          types.StringValue(r.Reason.String()),
			"expires_at":      expires,
			"retained":        types.BoolValue(r.Retained),
		})
		diags.Append(d...)
		elems = append(elems, o)
	}
	l, d := types.ListValue(objType, elems)
	diags.Append(d...)
	return l, diags
}

type crlEntryModel struct {
	SerialNumber   types.String `tfsdk:"serial_number"`
	RevocationTime types.String `tfsdk:"revocation_time"`
	Reason         types.String `tfsdk:"reason"`
	ExpiresAt      types.String `tfsdk:"expires_at"`
	Retained       types.Bool   `tfsdk:"retained"`
}

// crlEntriesOf reads the entries attribute back (state, or the plan where a
// revocation time may still be unknown: zero).
func crlEntriesOf(ctx context.Context, l types.List) ([]pki.Revocation, error) {
	if l.IsNull() || l.IsUnknown() {
		return nil, nil
	}
	var items []crlEntryModel
	if d := l.ElementsAs(ctx, &items, false); d.HasError() {
		return nil, fmt.Errorf("cannot read the CRL entries from state")
	}
	out := make([]pki.Revocation, 0, len(items))
	for i, it := range items {
		n, ok := new(big.Int).SetString(it.SerialNumber.ValueString(), 10)
		if !ok {
			return nil, fmt.Errorf("entry %d of the state has serial number %q, not a decimal number", i+1, it.SerialNumber.ValueString())
		}
		var at time.Time
		if !it.RevocationTime.IsUnknown() {
			var err error
			if at, err = time.Parse(time.RFC3339, it.RevocationTime.ValueString()); err != nil {
				return nil, fmt.Errorf("entry %d of the state: revocation time: %w", i+1, err)
			}
		}
		reason, err := pki.ParseCRLReason(it.Reason.ValueString())
		if err != nil {
			return nil, fmt.Errorf("entry %d of the state: %w", i+1, err)
		}
		rev := pki.Revocation{Serial: n, Time: at.UTC(), Reason: reason, Retained: it.Retained.ValueBool()}
		if !it.ExpiresAt.IsNull() && it.ExpiresAt.ValueString() != "" {
			if rev.NotAfter, err = time.Parse(time.RFC3339, it.ExpiresAt.ValueString()); err != nil {
				return nil, fmt.Errorf("entry %d of the state: expiry: %w", i+1, err)
			}
		}
		out = append(out, rev)
	}
	return out, nil
}

func sameRevocations(a, b []pki.Revocation) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Serial.Cmp(y.Serial) != 0 || !x.Time.Equal(y.Time) || x.Reason != y.Reason || !x.NotAfter.Equal(y.NotAfter) || x.Retained != y.Retained {
			return false
		}
	}
	return true
}

// lastIssued is the thisUpdate of the CRL in state (zero when there is
// none): retained entries whose certificate expired before it are released.
// It is read from state, not the clock, so plan and apply agree.
func (m *crlModel) lastIssued() time.Time {
	if m == nil || m.ThisUpdate.IsNull() || m.ThisUpdate.IsUnknown() {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, m.ThisUpdate.ValueString())
	if err != nil {
		return time.Time{}
	}
	return t
}

// keepOutputs takes every output from the previous state (no re-issue):
// the inputs stay as configured, since a configuration can change its form
// without changing the CRL (a serial written in hex, a certificate resource
// instead of its cert_pem).
func (m *crlModel) keepOutputs(prior *crlModel) {
	m.ID, m.CRLNumber, m.CRLPEM = prior.ID, prior.CRLNumber, prior.CRLPEM
	m.ThisUpdate, m.NextUpdate = prior.ThisUpdate, prior.NextUpdate
	m.ReadyForRenewal = types.BoolValue(false)
	m.IssuerDN, m.IssuerHash, m.AuthorityKeyID, m.SignatureAlgorithm = prior.IssuerDN, prior.IssuerHash, prior.AuthorityKeyID, prior.SignatureAlgorithm
	m.Entries = prior.Entries
}

// setIssuerFacts fills the attributes known from the CA certificate.
func (m *crlModel) setIssuerFacts(ca *x509.Certificate, diags *diag.Diagnostics) {
	if ca == nil {
		m.IssuerDN, m.IssuerHash, m.AuthorityKeyID, m.SignatureAlgorithm = types.StringUnknown(), types.StringUnknown(), types.StringUnknown(), types.StringUnknown()
		return
	}
	f, err := pki.CRLIssuerFactsOf(ca)
	if err != nil {
		diags.AddAttributeError(path.Root("ca_cert_pem"), "This CA cannot sign a CRL", err.Error())
		return
	}
	m.IssuerDN, m.IssuerHash = types.StringValue(f.DN), types.StringValue(f.Hash)
	m.AuthorityKeyID, m.SignatureAlgorithm = types.StringValue(f.AuthorityKeyID), types.StringValue(f.SignatureAlgorithm)
}

// reissueReason says why the plan re-issues an existing CRL ("" when it
// does not).
func reissueReason(plan, prior *crlModel, configuredKnown bool, configured, previous []pki.Revocation, now time.Time) string {
	// The entries are compared without releasing expired ones: an expiry
	// alone does not re-issue, the next re-issue drops them.
	switch {
	case prior.CRLPEM.IsNull():
		return "adopted by import"
	case plan.CACertPEM.IsUnknown() || !plan.CACertPEM.Equal(prior.CACertPEM):
		return "the CA certificate changes"
	case plan.CAPrivateKeyPEM.IsUnknown() || !plan.CAPrivateKeyPEM.Equal(prior.CAPrivateKeyPEM):
		return "the CA key changes"
	case !plan.ValidityPeriodHours.Equal(prior.ValidityPeriodHours):
		return "the validity changes"
	case !configuredKnown:
		return "revoked entries are not known until apply"
	case !sameRevocations(pki.Revocations(configured, previous, time.Time{}), previous):
		return "the revoked entries change"
	}
	if due, known := readyForRenewal(prior.NextUpdate, plan.EarlyRenewalHours, now); known && due {
		return "the CRL is in its early renewal window"
	}
	return ""
}

func (r *crlResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	now := r.now()
	var plan crlModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var prior *crlModel
	if !req.State.Raw.IsNull() {
		prior = &crlModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, prior)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	ca := plan.loadCA(&resp.Diagnostics)
	configured, known, ok := plan.configured(ctx, ca.cert, now, &resp.Diagnostics)
	if !ok || resp.Diagnostics.HasError() {
		return
	}
	var previous []pki.Revocation
	var prevNumber *big.Int
	if prior != nil {
		var err error
		if previous, err = crlEntriesOf(ctx, prior.Entries); err != nil {
			resp.Diagnostics.AddError("Invalid pgtls_crl state", err.Error())
			return
		}
		if !prior.CRLNumber.IsNull() && !prior.CRLNumber.IsUnknown() {
			prevNumber = big.NewInt(prior.CRLNumber.ValueInt64())
		}
		if reissueReason(&plan, prior, known, configured, previous, now) == "" {
			// Nothing to issue: every output stays; only the renewal flag
			// follows a changed window.
			plan.keepOutputs(prior)
			resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
			return
		}
	}
	// The next number is known at plan time when there is a previous one.
	// The first number comes from the clock at apply: the apply re-plans
	// and must get the same values, so nothing planned depends on the clock.
	plan.CRLNumber, plan.ID = types.Int64Unknown(), types.StringUnknown()
	if prevNumber != nil {
		number := pki.NextCRLNumber(prevNumber, now)
		if !number.IsInt64() {
			resp.Diagnostics.AddError("CRL number out of range", fmt.Sprintf("the next CRL number %s does not fit the crl_number attribute (64 bits)", number))
			return
		}
		plan.CRLNumber, plan.ID = types.Int64Value(number.Int64()), types.StringValue(number.String())
	}
	plan.CRLPEM, plan.ThisUpdate, plan.NextUpdate = types.StringUnknown(), types.StringUnknown(), types.StringUnknown()
	plan.ReadyForRenewal = types.BoolValue(false)
	plan.setIssuerFacts(ca.cert, &resp.Diagnostics)
	plan.Entries = types.ListUnknown(types.ObjectType{AttrTypes: crlEntryAttrTypes})
	if known {
		revs := pki.Revocations(configured, previous, prior.lastIssued())
		var d diag.Diagnostics
		plan.Entries, d = entriesValue(revs)
		resp.Diagnostics.Append(d...)
		warnRetained(revs, previous, &resp.Diagnostics)
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// warnRetained tells, at plan time, about entries that leave `revoked` but
// stay on the CRL.
func warnRetained(revs, previous []pki.Revocation, diags *diag.Diagnostics) {
	wasRetained := make(map[string]bool, len(previous))
	for _, p := range previous {
		wasRetained[p.Serial.String()] = p.Retained
	}
	for _, r := range revs {
		if !r.Retained || wasRetained[r.Serial.String()] {
			continue
		}
		until := "for good: its expiry is unknown (it was given by serial number only); `terraform apply -replace` on this CRL starts a new list"
		if !r.NotAfter.IsZero() {
			until = "until the certificate expires at " + r.NotAfter.UTC().Format(time.RFC3339)
		}
		diags.AddAttributeWarning(path.Root("revoked"), "Revocation stays on the CRL",
			fmt.Sprintf("Serial number %s (%s) is no longer in revoked, but it stays on the CRL %s: revocation is permanent. "+
				"Only certificate_hold entries are released when removed.", r.Serial, r.Reason, until))
	}
}

// issue signs the planned CRL at apply time.
func (r *crlResource) issue(ctx context.Context, plan, prior *crlModel, diags *diag.Diagnostics) {
	now := r.now()
	ca := plan.loadCA(diags)
	if diags.HasError() {
		return
	}
	if ca.signer == nil {
		diags.AddError("Cannot issue the CRL", "the CA certificate and key are not known at apply time")
		return
	}
	validity, err := pki.ValidityHours(plan.ValidityPeriodHours.ValueInt64())
	if err != nil {
		diags.AddAttributeError(path.Root("validity_period_hours"), "Invalid validity period", err.Error())
		return
	}
	var previous []pki.Revocation
	var prevNumber *big.Int
	if prior != nil {
		if previous, err = crlEntriesOf(ctx, prior.Entries); err != nil {
			diags.AddError("Invalid pgtls_crl state", err.Error())
			return
		}
		if !prior.CRLNumber.IsNull() {
			prevNumber = big.NewInt(prior.CRLNumber.ValueInt64())
		}
	}
	var revs []pki.Revocation
	if !plan.Entries.IsUnknown() {
		// Planned: issue what the plan showed (new entries get the issuing
		// time).
		if revs, err = crlEntriesOf(ctx, plan.Entries); err != nil {
			diags.AddError("Invalid planned CRL entries", err.Error())
			return
		}
	} else {
		configured, _, ok := plan.configured(ctx, ca.cert, now, diags)
		if !ok {
			return
		}
		revs = pki.Revocations(configured, previous, prior.lastIssued())
	}
	at := now.UTC().Truncate(time.Second)
	for i := range revs {
		if revs[i].Time.IsZero() {
			revs[i].Time = at
		}
	}
	number := pki.NextCRLNumber(prevNumber, now)
	if !plan.CRLNumber.IsUnknown() && !plan.CRLNumber.IsNull() {
		number = big.NewInt(plan.CRLNumber.ValueInt64())
	}
	issued, err := pki.NewCRL(pki.CRLRequest{Number: number, Validity: validity, Revoked: revs}, ca.signer, now, randReader)
	if err != nil {
		p := path.Root("ca_cert_pem")
		switch {
		case pki.IsKeyError(err):
			p = path.Root("ca_private_key_pem")
		case pki.EntryOf(err) >= 0:
			p = path.Root("revoked")
		case pki.InputOf(err) == pki.InputValidity:
			p = path.Root("validity_period_hours")
		}
		diags.AddAttributeError(p, "Could not issue the CRL", err.Error())
		return
	}
	info := pki.DescribeCRL(issued.CRL)
	plan.CRLNumber = types.Int64Value(number.Int64())
	plan.ID = types.StringValue(number.String())
	plan.CRLPEM = types.StringValue(issued.PEM)
	plan.ThisUpdate = types.StringValue(info.ThisUpdate.Format(time.RFC3339))
	plan.NextUpdate = types.StringValue(info.NextUpdate.Format(time.RFC3339))
	plan.ReadyForRenewal = types.BoolValue(false)
	if due, known := readyForRenewal(plan.NextUpdate, plan.EarlyRenewalHours, now); known {
		plan.ReadyForRenewal = types.BoolValue(due)
	}
	plan.setIssuerFacts(ca.cert, diags)
	var d diag.Diagnostics
	plan.Entries, d = entriesValue(revs)
	diags.Append(d...)
	tflog.Info(logCtx(ctx, "pgtls_crl"), "issued CRL", map[string]any{
		"issuer": info.Issuer, "crl_number": info.Number, "entries": info.Entries,
		"next_update": plan.NextUpdate.ValueString(), "issuer_hash": info.IssuerHash,
	})
}

func (r *crlResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan crlModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.issue(ctx, &plan, nil, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *crlResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, prior crlModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if plan.CRLPEM.IsUnknown() {
		r.issue(ctx, &plan, &prior, &resp.Diagnostics)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Read keeps the state and refreshes ready_for_renewal.
func (r *crlResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m crlModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if due, known := readyForRenewal(m.NextUpdate, m.EarlyRenewalHours, r.now()); known {
		m.ReadyForRenewal = types.BoolValue(due)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *crlResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
	// Logical resource: forgetting it is all there is to do.
}

// ImportState adopts an existing CRL so numbering and revocations continue:
// the id is either the last CRL number (decimal) or the CRL itself (PEM),
// whose entries are kept (as retained entries) by the next CRL. The next
// plan re-issues the CRL with the configured CA.
func (r *crlResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	m := crlModel{
		Revoked:             types.ListNull(types.ObjectType{AttrTypes: revokedAttrTypes()}),
		Entries:             types.ListNull(types.ObjectType{AttrTypes: crlEntryAttrTypes}),
		ValidityPeriodHours: types.Int64Value(hoursCRLDefault),
		EarlyRenewalHours:   types.Int64Value(hoursCRLEarlyDefault),
		ReadyForRenewal:     types.BoolValue(false),
	}
	id := strings.TrimSpace(req.ID)
	if strings.HasPrefix(id, "-----BEGIN") {
		crls, err := pki.ParseCRLsPEM(id)
		if err != nil || len(crls) != 1 {
			if err == nil {
				err = fmt.Errorf("it holds %d CRLs", len(crls))
			}
			resp.Diagnostics.AddError("Cannot import the CRL", "the import id must be one PEM CRL or a CRL number: "+err.Error())
			return
		}
		crl := crls[0]
		if crl.Number == nil || !crl.Number.IsInt64() || crl.Number.Sign() < 0 {
			resp.Diagnostics.AddError("Cannot import the CRL", "the CRL has no CRL number that fits 64 bits; import with the number to continue from instead")
			return
		}
		revs := pki.RevocationsOf(crl)
		for i := range revs {
			revs[i].Retained = true
		}
		var d diag.Diagnostics
		m.Entries, d = entriesValue(revs)
		resp.Diagnostics.Append(d...)
		m.CRLNumber = types.Int64Value(crl.Number.Int64())
	} else {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n < 1 {
			resp.Diagnostics.AddError("Cannot import the CRL", fmt.Sprintf("the import id %q is neither a PEM CRL nor a positive CRL number", id))
			return
		}
		m.CRLNumber = types.Int64Value(n)
	}
	m.ID = types.StringValue(strconv.FormatInt(m.CRLNumber.ValueInt64(), 10))
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func revokedAttrTypes() map[string]attr.Type {
	return map[string]attr.Type{
		"serial_number": types.StringType, "cert_pem": types.StringType, "reason": types.StringType, "revocation_time": types.StringType,
	}
}

func serialValidator() validator.String {
	return funcValidator{
		desc:    "must be a positive serial number of at most 20 octets (decimal, or hex with 0x or colons)",
		summary: "Invalid serial number",
		check: func(s string) error {
			_, err := pki.ParseSerial(s)
			return err
		},
	}
}

func rfc3339Validator() validator.String {
	return funcValidator{
		desc:    "must be an RFC 3339 time such as 2026-01-02T15:04:05Z",
		summary: "Invalid time",
		check: func(s string) error {
			if _, err := time.Parse(time.RFC3339, s); err != nil {
				return fmt.Errorf("%q is not an RFC 3339 time such as 2026-01-02T15:04:05Z", s)
			}
			return nil
		},
	}
}
