package provider

// Shared code of the four certificate resources: the attributes they all
// have, the planning rules (replacement, plan-time renewal) and the mapping
// of an issued certificate to state.

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/netip"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
)

const (
	hoursCADefault           = 10 * 365 * 24 // root CA: 10 years
	hoursIntermediateDefault = 5 * 365 * 24  // intermediate CA: 5 years
	hoursLeafDefault         = 365 * 24      // server and client certificates: 1 year
)

// certState holds the attributes every certificate resource has. It is
// embedded in each resource's model.
type certState struct {
	ID                  types.String `tfsdk:"id"`
	KeyType             types.String `tfsdk:"key_type"`
	ValidityPeriodHours types.Int64  `tfsdk:"validity_period_hours"`
	EarlyRenewalHours   types.Int64  `tfsdk:"early_renewal_hours"`
	CertPEM             types.String `tfsdk:"cert_pem"`
	PrivateKeyPEM       types.String `tfsdk:"private_key_pem"`
	PublicKeyPEM        types.String `tfsdk:"public_key_pem"`
	CABundlePEM         types.String `tfsdk:"ca_bundle_pem"`
	SerialNumber        types.String `tfsdk:"serial_number"`
	FingerprintSHA256   types.String `tfsdk:"fingerprint_sha256"`
	SubjectKeyID        types.String `tfsdk:"subject_key_id"`
	NotBefore           types.String `tfsdk:"not_before"`
	NotAfter            types.String `tfsdk:"not_after"`
	ReadyForRenewal     types.Bool   `tfsdk:"ready_for_renewal"`
}

// outputAttrs names the computed attributes that come from the issued
// certificate. They are unknown in a plan that creates or replaces the
// resource (except the ones a resource can compute at plan time) and keep
// their state values otherwise.
var outputAttrs = []string{
	"id", "cert_pem", "private_key_pem", "public_key_pem", "ca_bundle_pem", "serial_number",
	"fingerprint_sha256", "subject_key_id", "not_before", "not_after",
	"ready_for_renewal",
}

func withOutputs(extra ...string) []string {
	return append(append([]string{}, outputAttrs...), extra...)
}

func computedString(desc string) schema.StringAttribute {
	return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
}

// commonCertAttributes returns the attributes shared by all certificate
// resources. kind is used in descriptions ("CA certificate", "server
// certificate", ...); defaultHours is the default validity.
func commonCertAttributes(kind string, defaultHours int64) map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"id": computedString("The serial number of the " + kind + " (decimal)."),
		"key_type": schema.StringAttribute{
			MarkdownDescription: "Key algorithm of the " + kind + ": " + backtickList(pki.KeyTypes()) +
				". Defaults to `ecdsa-p256`. RSA keys shorter than 2048 bits are refused. Changing it replaces the " + kind + ".",
			Optional:   true,
			Computed:   true,
			Default:    stringdefault.StaticString(string(pki.KeyECDSAP256)),
			Validators: []validator.String{keyTypeValidator()},
		},
		"validity_period_hours": schema.Int64Attribute{
			MarkdownDescription: fmt.Sprintf("Hours the %s is valid for, counted from creation. Defaults to `%d` (%s). "+
				"Changing it replaces the %s.", kind, defaultHours, humanHours(defaultHours), kind),
			Optional:   true,
			Computed:   true,
			Default:    int64default.StaticInt64(defaultHours),
			Validators: []validator.Int64{int64validator.AtLeast(1)},
		},
		"early_renewal_hours": schema.Int64Attribute{
			MarkdownDescription: "Replace the " + kind + " this many hours before it expires: once the clock reaches " +
				"`not_after - early_renewal_hours`, `terraform plan` shows a replacement (computed at plan time, also with " +
				"`-refresh=false`). Must be less than `validity_period_hours`. Defaults to `0` (replace once expired). " +
				"Changing it never replaces the " + kind + " by itself.",
			Optional:   true,
			Computed:   true,
			Default:    int64default.StaticInt64(0),
			Validators: []validator.Int64{int64validator.AtLeast(0)},
		},
		"cert_pem":        computedString("The " + kind + " in PEM format (this certificate only)."),
		"private_key_pem": privateKeyAttribute(kind),
		"public_key_pem":  computedString("The public key in PEM (PKIX) format."),
		"ca_bundle_pem": computedString("The self-signed root certificate that anchors this " + kind +
			", in PEM format: what clients put in `root.crt` (`sslrootcert`) and servers in `ssl_ca_file`. " +
			"Empty when the issuer's chain given to this resource does not reach a root."),
		"serial_number":      computedString("The certificate serial number (decimal): a random positive 128-bit number."),
		"fingerprint_sha256": computedString("SHA-256 fingerprint of the DER certificate, lowercase hex."),
		"subject_key_id":     computedString("Subject key identifier, lowercase hex."),
		"not_before": computedString("Start of validity (RFC 3339). Backdated a few minutes from creation " +
			"to tolerate clock skew."),
		"not_after": computedString("End of validity (RFC 3339)."),
		"ready_for_renewal": schema.BoolAttribute{
			Computed: true,
			MarkdownDescription: "Whether the " + kind + " has entered its early renewal window. When it has, the " +
				"plan replaces the resource.",
		},
	}
}

// privateKeyAttribute is set separately so it can be sensitive.
func privateKeyAttribute(kind string) schema.StringAttribute {
	return schema.StringAttribute{
		Computed:  true,
		Sensitive: true,
		MarkdownDescription: "The private key of the " + kind + " in PEM format (PKCS#8, `BEGIN PRIVATE KEY`). " +
			"Stored in state: protect the state accordingly.",
	}
}

func mergeAttributes(maps ...map[string]schema.Attribute) map[string]schema.Attribute {
	out := map[string]schema.Attribute{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func pemInputAttribute(desc string, required, sensitive bool) schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: desc,
		Required:            required,
		Optional:            !required,
		Sensitive:           sensitive,
	}
}

func stringListAttribute(desc string, elem ...validator.String) schema.ListAttribute {
	return schema.ListAttribute{
		MarkdownDescription: desc,
		ElementType:         types.StringType,
		Optional:            true,
		Validators:          []validator.List{listvalidator.ValueStringsAre(elem...), listvalidator.UniqueValues()},
	}
}

// planCertificate applies the planning rules shared by all certificate
// resources. identity lists the configurable attributes whose change
// replaces the certificate (everything except early_renewal_hours).
// outputs lists the computed attributes that come from the issued
// certificate (outputAttrs plus the resource's own).
//
// It returns true when the plan creates a new certificate (create or
// replace), so the caller runs its issuer checks and fills plan-time values.
func planCertificate(ctx context.Context, now time.Time, identity, outputs []string, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) bool {
	if req.Plan.Raw.IsNull() {
		return false // destroy
	}
	if req.State.Raw.IsNull() {
		return true // create: computed outputs are already unknown
	}

	var replace path.Paths
	for _, name := range identity {
		p := path.Root(name)
		var planned, prior attr.Value
		resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, p, &planned)...)
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, p, &prior)...)
		if resp.Diagnostics.HasError() {
			return false
		}
		if planned == nil || prior == nil {
			continue
		}
		if planned.IsUnknown() || !planned.Equal(prior) {
			replace = append(replace, p)
		}
	}

	var notAfterStr types.String
	var early types.Int64
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("not_after"), &notAfterStr)...)
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("early_renewal_hours"), &early)...)
	if resp.Diagnostics.HasError() {
		return false
	}
	renewal := types.BoolUnknown()
	if !early.IsUnknown() && !notAfterStr.IsNull() {
		if notAfter, err := time.Parse(time.RFC3339, notAfterStr.ValueString()); err == nil {
			due := pki.ReadyForRenewal(notAfter, hours(early.ValueInt64()), now)
			renewal = types.BoolValue(due)
			if due {
				// The prior ready_for_renewal may already be true (a
				// refresh saw it). Planning it as unknown always differs
				// from the prior value, so Terraform honours the
				// replacement either way.
				replace = append(replace, path.Root("ready_for_renewal"))
			}
		}
	}

	if len(replace) == 0 {
		// In-place update (only early_renewal_hours may differ) or no
		// change: every output keeps its state value, and
		// ready_for_renewal follows the (possibly new) renewal window.
		for _, name := range outputs {
			copyFromState(ctx, name, req, resp)
		}
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("ready_for_renewal"), renewal)...)
		return false
	}
	for _, name := range outputs {
		var v attr.Value
		resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root(name), &v)...)
		if v != nil {
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(name), unknownLike(v))...)
		}
	}
	resp.RequiresReplace = append(resp.RequiresReplace, replace...)
	return true
}

func copyFromState(ctx context.Context, name string, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var v attr.Value
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root(name), &v)...)
	if v != nil {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(name), v)...)
	}
}

func unknownLike(v attr.Value) attr.Value {
	switch v.(type) {
	case types.Bool:
		return types.BoolUnknown()
	case types.Int64:
		return types.Int64Unknown()
	default:
		return types.StringUnknown()
	}
}

// checkRenewalConfig refuses an early renewal window as long as the
// validity: such a certificate would be replaced on every plan.
func checkRenewalConfig(validity, early types.Int64, diags *diag.Diagnostics) {
	if validity.IsUnknown() || validity.IsNull() || early.IsUnknown() || early.IsNull() {
		return
	}
	if early.ValueInt64() >= validity.ValueInt64() {
		diags.AddAttributeError(path.Root("early_renewal_hours"), "Early renewal window covers the whole validity",
			fmt.Sprintf("early_renewal_hours (%d) must be less than validity_period_hours (%d): otherwise every plan "+
				"would replace the certificate.", early.ValueInt64(), validity.ValueInt64()))
	}
}

// setIssued records an issued certificate in the state model.
func (s *certState) setIssued(is *pki.Issued, now time.Time, early time.Duration) {
	info := pki.Describe(is.Cert)
	s.ID = types.StringValue(info.Serial)
	s.CertPEM = types.StringValue(is.CertPEM)
	s.PrivateKeyPEM = types.StringValue(is.PrivateKeyPEM)
	s.PublicKeyPEM = types.StringValue(is.PublicKeyPEM)
	s.CABundlePEM = types.StringValue(is.CABundlePEM)
	s.SerialNumber = types.StringValue(info.Serial)
	s.FingerprintSHA256 = types.StringValue(info.FingerprintSHA256)
	s.SubjectKeyID = types.StringValue(info.SubjectKeyID)
	s.NotBefore = types.StringValue(is.Cert.NotBefore.UTC().Format(time.RFC3339))
	s.NotAfter = types.StringValue(is.Cert.NotAfter.UTC().Format(time.RFC3339))
	s.ReadyForRenewal = types.BoolValue(pki.ReadyForRenewal(is.Cert.NotAfter, early, now))
}

// applyUpdate finishes an in-place update. Only early_renewal_hours changes
// in place; the plan already carries every other value from state, and
// ready_for_renewal when it could be computed at plan time.
func (s *certState) applyUpdate(now time.Time) {
	if s.ReadyForRenewal.IsUnknown() {
		s.refreshRenewal(now)
	}
}

// refreshRenewal updates ready_for_renewal during Read.
func (s *certState) refreshRenewal(now time.Time) {
	if s.NotAfter.IsNull() || s.NotAfter.IsUnknown() || s.EarlyRenewalHours.IsUnknown() {
		return
	}
	notAfter, err := time.Parse(time.RFC3339, s.NotAfter.ValueString())
	if err != nil {
		return
	}
	s.ReadyForRenewal = types.BoolValue(pki.ReadyForRenewal(notAfter, hours(s.EarlyRenewalHours.ValueInt64()), now))
}

func hours(h int64) time.Duration { return time.Duration(h) * time.Hour }

func humanHours(h int64) string {
	switch {
	case h%(365*24) == 0:
		return fmt.Sprintf("%d years", h/(365*24))
	case h%24 == 0:
		return fmt.Sprintf("%d days", h/24)
	}
	return fmt.Sprintf("%d hours", h)
}

func backtickList(vals []string) string {
	out := ""
	for i, v := range vals {
		if i > 0 {
			out += ", "
		}
		out += "`" + v + "`"
	}
	return out
}

// keyTypeOf converts a validated key_type attribute.
func keyTypeOf(v types.String) pki.KeyType {
	kt, err := pki.ParseKeyType(v.ValueString())
	if err != nil {
		return pki.KeyECDSAP256 // unreachable: the validator refused it
	}
	return kt
}

// stringsOf returns the elements of a known list of strings.
func stringsOf(ctx context.Context, l types.List, diags *diag.Diagnostics) []string {
	if l.IsNull() || l.IsUnknown() {
		return nil
	}
	var out []string
	diags.Append(l.ElementsAs(ctx, &out, false)...)
	return out
}

func prefixesOf(ctx context.Context, l types.List, diags *diag.Diagnostics) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range stringsOf(ctx, l, diags) {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			continue // refused by the validator
		}
		out = append(out, p.Masked())
	}
	return out
}

func addrsOf(ctx context.Context, l types.List, diags *diag.Diagnostics) []netip.Addr {
	var out []netip.Addr
	for _, s := range stringsOf(ctx, l, diags) {
		a, err := netip.ParseAddr(s)
		if err != nil {
			continue // refused by the validator
		}
		out = append(out, a)
	}
	return out
}

// loadIssuer parses a signing CA from its attributes and reports problems on
// the attribute they belong to. The certificate side (ic) is returned as soon
// as it is known and valid; the full issuer only when the key is known too
// (at plan time the key may still be unknown).
func loadIssuer(certAttr, keyAttr, chainAttr string, cert, key, chain types.String, diags *diag.Diagnostics) (*pki.Issuer, *pki.IssuerCert) {
	if cert.IsUnknown() || chain.IsUnknown() {
		return nil, nil
	}
	ic, err := pki.ParseIssuerCert(cert.ValueString(), chain.ValueString())
	if err != nil {
		diags.AddAttributeError(issuerErrorPath(err, certAttr, chainAttr), "Invalid issuing CA", err.Error())
		return nil, nil
	}
	if key.IsUnknown() {
		return nil, ic
	}
	iss, err := pki.ParseIssuer(cert.ValueString(), key.ValueString(), chain.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root(keyAttr), "Invalid issuing CA key", err.Error())
		return nil, ic
	}
	return iss, ic
}

// bundleOf is the plan-time ca_bundle_pem: the root above a known issuer.
func bundleOf(ic *pki.IssuerCert) types.String {
	if ic == nil {
		return types.StringUnknown()
	}
	return types.StringValue(ic.RootPEM())
}

func issuerErrorPath(err error, certAttr, chainAttr string) path.Path {
	if pki.IsChainError(err) {
		return path.Root(chainAttr)
	}
	return path.Root(certAttr)
}

// checkOutliving reports, on validity_period_hours, a certificate that would
// outlive its issuer.
func checkOutliving(issuer *pki.IssuerCert, now time.Time, validity types.Int64, diags *diag.Diagnostics) {
	if issuer == nil || validity.IsUnknown() {
		return
	}
	if err := pki.CheckNotOutliving(issuer.Cert, now, hours(validity.ValueInt64())); err != nil {
		diags.AddAttributeError(path.Root("validity_period_hours"), "Certificate would outlive its issuer", err.Error())
	}
}

// randReader is the entropy source for keys and serials.
var randReader = rand.Reader
