package provider

// What the four certificate resources share: the attributes every one has
// (with replacement declared on each configurable attribute), the planning
// rule for the renewal window, the mapping of an issued certificate to state
// and the certificate CRUD plumbing. Every certificate resource exists only
// in state; its Delete forgets it.

import (
	"context"
	"crypto"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
)

const (
	hoursCADefault           = 10 * 365 * 24 // root CA: 10 years
	hoursIntermediateDefault = 5 * 365 * 24  // intermediate CA: 5 years
	hoursLeafDefault         = 365 * 24      // server and client certificates: 1 year
)

// randReader is the entropy source for keys and serials.
var randReader = rand.Reader

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
	ReuseKeyOnRenewal   types.Bool   `tfsdk:"reuse_key_on_renewal"`
}

// cert gives access to the embedded certState of a certificate model.
func (s *certState) cert() *certState { return s }

type certModel[T any] interface {
	*T
	cert() *certState
}

// Replacement is declared on the attributes. A configurable attribute of a
// certificate either replaces it when it changes (these wrappers) or is
// listed as in-place on purpose in TestSchemaReplacement.

func replaceString(a schema.StringAttribute) schema.StringAttribute {
	a.PlanModifiers = append(a.PlanModifiers, stringplanmodifier.RequiresReplace())
	return a
}

func replaceInt64(a schema.Int64Attribute) schema.Int64Attribute {
	a.PlanModifiers = append(a.PlanModifiers, int64planmodifier.RequiresReplace())
	return a
}

func replaceList(a schema.ListAttribute) schema.ListAttribute {
	a.PlanModifiers = append(a.PlanModifiers, listplanmodifier.RequiresReplace())
	return a
}

func replaceObject(a schema.SingleNestedAttribute) schema.SingleNestedAttribute {
	a.PlanModifiers = append(a.PlanModifiers, objectplanmodifier.RequiresReplace())
	return a
}

// output is a computed attribute that comes from the issued certificate:
// unknown when a certificate is issued (Terraform plans a replacement as a
// create, without prior state), the state value otherwise.
func output(desc string) schema.StringAttribute {
	return schema.StringAttribute{
		Computed:            true,
		MarkdownDescription: desc,
		PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
	}
}

func sensitiveOutput(desc string) schema.StringAttribute {
	a := output(desc)
	a.Sensitive = true
	return a
}

// int64Validator adapts a domain check to an int64 validator, so the
// diagnostic names the value and the limit the domain package enforces.
type int64Validator struct {
	desc    string
	summary string
	check   func(int64) error
}

var _ validator.Int64 = int64Validator{}

func (v int64Validator) Description(context.Context) string         { return v.desc }
func (v int64Validator) MarkdownDescription(context.Context) string { return v.desc }

func (v int64Validator) ValidateInt64(_ context.Context, req validator.Int64Request, resp *validator.Int64Response) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := v.check(req.ConfigValue.ValueInt64()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, v.summary, err.Error())
	}
}

func validityValidator() validator.Int64 {
	return int64Validator{
		desc:    fmt.Sprintf("must be between 1 and %d hours", pki.MaxValidityHours),
		summary: "Invalid validity period",
		check: func(h int64) error {
			_, err := pki.ValidityHours(h)
			return err
		},
	}
}

func renewalValidator() validator.Int64 {
	return int64Validator{
		desc:    fmt.Sprintf("must be between 0 and %d hours", pki.MaxValidityHours),
		summary: "Invalid early renewal window",
		check: func(h int64) error {
			_, err := pki.RenewalHours(h)
			return err
		},
	}
}

func maxPathLenValidator() validator.Int64 {
	return int64Validator{
		desc:    fmt.Sprintf("must be -1 (no limit) or between 0 and %d", pki.MaxPathLenLimit),
		summary: "Invalid max path length",
		check:   pki.CheckMaxPathLen,
	}
}

// commonCertAttributes returns the attributes shared by all certificate
// resources. kind is used in descriptions ("CA certificate", "server
// certificate", ...); defaultHours is the default validity.
func commonCertAttributes(kind string, defaultHours int64) map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"id": output("The serial number of the " + kind + " (decimal)."),
		"key_type": replaceString(schema.StringAttribute{
			MarkdownDescription: "Key algorithm of the " + kind + ": " + backtickList(pki.KeyTypes()) +
				". Defaults to `ecdsa-p256`. RSA keys shorter than 2048 bits are refused. Changing it replaces the " + kind + ".",
			Optional:   true,
			Computed:   true,
			Default:    stringdefault.StaticString(string(pki.KeyECDSAP256)),
			Validators: []validator.String{keyTypeValidator()},
		}),
		"validity_period_hours": replaceInt64(schema.Int64Attribute{
			MarkdownDescription: fmt.Sprintf("Hours the %s is valid for, counted from creation: 1 to %d (about %d years, "+
				"the longest period that can be computed); the certificate must also end by %s, the latest date "+
				"RFC 5280 allows, and not after its issuer. Defaults to `%d` (%s). Changing it replaces the %s.",
				kind, pki.MaxValidityHours, pki.MaxValidityHours/(365*24), pki.LatestCertTime.Format(time.RFC3339),
				defaultHours, humanHours(defaultHours), kind),
			Optional:   true,
			Computed:   true,
			Default:    int64default.StaticInt64(defaultHours),
			Validators: []validator.Int64{validityValidator()},
		}),
		// In place on purpose: the window only decides when the plan
		// replaces the certificate.
		"early_renewal_hours": schema.Int64Attribute{
			MarkdownDescription: "Replace the " + kind + " this many hours before it expires: once the clock reaches " +
				"`not_after - early_renewal_hours`, `terraform plan` shows a replacement (computed at plan time, also with " +
				"`-refresh=false`). Must be less than `validity_period_hours`. Defaults to `0` (replace once expired). " +
				"Changing it never replaces the " + kind + " by itself.",
			Optional:   true,
			Computed:   true,
			Default:    int64default.StaticInt64(0),
			Validators: []validator.Int64{renewalValidator()},
		},
		// In place on purpose: it only decides how a renewal is done.
		"reuse_key_on_renewal": schema.BoolAttribute{
			MarkdownDescription: "How a renewal (the plan inside `early_renewal_hours`) is done. `false` (default): the " +
				"resource is replaced, with a new key: a leaked key stops working at the next renewal. `true`: the " +
				"certificate is re-issued in place with the key in state (same `private_key_pem`, `public_key_pem` and " +
				"`subject_key_id`; new serial and validity), for clients that pin the public key" +
				map[bool]string{true: "; a CA renewed this way still anchors every certificate it signed before " +
					"(same name and key), so no trust bundle has to change", false: ""}[strings.Contains(kind, "CA")] +
				". Changing it never re-issues the " + kind + " by itself.",
			Optional: true,
			Computed: true,
			Default:  booldefault.StaticBool(false),
		},
		"cert_pem": output("The " + kind + " in PEM format (this certificate only)."),
		"private_key_pem": sensitiveOutput("The private key of the " + kind + " in PEM format (PKCS#8, `BEGIN PRIVATE KEY`). " +
			"Stored in state: protect the state accordingly."),
		"public_key_pem": output("The public key in PEM (PKIX) format."),
		"ca_bundle_pem": output("The self-signed root certificate that anchors this " + kind +
			", in PEM format: what clients put in `root.crt` (`sslrootcert`) and servers in `ssl_ca_file`. " +
			"Empty when the issuer's chain given to this resource does not reach a root."),
		"serial_number":      output("The certificate serial number (decimal): a random positive 128-bit number."),
		"fingerprint_sha256": output("SHA-256 fingerprint of the DER certificate, lowercase hex."),
		"subject_key_id":     output("Subject key identifier, lowercase hex."),
		"not_before": output("Start of validity (RFC 3339). Backdated a few minutes from creation " +
			"to tolerate clock skew."),
		"not_after": output("End of validity (RFC 3339)."),
		"ready_for_renewal": schema.BoolAttribute{
			Computed: true,
			MarkdownDescription: "Whether the " + kind + " has entered its early renewal window. When it has, the " +
				"plan replaces the resource.",
		},
	}
}

// issuerModel is the signing CA of an intermediate CA or a leaf.
type issuerModel struct {
	CACertPEM       types.String `tfsdk:"ca_cert_pem"`
	CAPrivateKeyPEM types.String `tfsdk:"ca_private_key_pem"`
	CAChainPEM      types.String `tfsdk:"ca_chain_pem"`
}

// issuerAttributes are the signing CA inputs; signs says what the CA must
// be allowed to sign.
func issuerAttributes(kind, signs string) map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"ca_cert_pem": replaceString(schema.StringAttribute{
			MarkdownDescription: "Certificate of the signing CA (PEM): a `pgtls_root_ca` or `pgtls_intermediate_ca` " +
				"`cert_pem`, or any CA brought from elsewhere. " + signs + "Changing it replaces the " + kind + ".",
			Required:   true,
			Validators: []validator.String{certificatePEMValidator()},
		}),
		"ca_private_key_pem": replaceString(schema.StringAttribute{
			MarkdownDescription: "Private key of the signing CA (PEM: PKCS#8, PKCS#1 or SEC1). Must match `ca_cert_pem`. " +
				"Changing it replaces the " + kind + ".",
			Required:  true,
			Sensitive: true,
		}),
		"ca_chain_pem": replaceString(schema.StringAttribute{
			MarkdownDescription: "Certificates above the signing CA, in any order, when it is an intermediate: its " +
				"`chain_pem`, optionally followed by the root (its `ca_bundle_pem`) so this " + kind + "'s " +
				"`ca_bundle_pem` knows the root. Changing it replaces the " + kind + ".",
			Optional:   true,
			Validators: []validator.String{certificatePEMValidator()},
		}),
	}
}

// loadIssuer parses the signing CA and reports problems on the attribute
// they belong to. The certificate side (ic) is returned as soon as it is
// known and valid; the full issuer only when the key is known too (at plan
// time the key may still be unknown). Parses go through the provider's
// cache: a fleet signed by one CA parses it once.
func (m *issuerModel) loadIssuer(cache *pki.IssuerCache, diags *diag.Diagnostics) (*pki.Issuer, *pki.IssuerCert) {
	if m.CACertPEM.IsUnknown() || m.CAChainPEM.IsUnknown() {
		return nil, nil
	}
	ic, err := cache.IssuerCert(m.CACertPEM.ValueString(), m.CAChainPEM.ValueString())
	if err != nil {
		p := path.Root("ca_cert_pem")
		if pki.IsChainError(err) {
			p = path.Root("ca_chain_pem")
		}
		diags.AddAttributeError(p, "Invalid issuing CA", err.Error())
		return nil, nil
	}
	if m.CAPrivateKeyPEM.IsUnknown() {
		return nil, ic
	}
	iss, err := cache.Issuer(m.CACertPEM.ValueString(), m.CAPrivateKeyPEM.ValueString(), m.CAChainPEM.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("ca_private_key_pem"), "Invalid issuing CA key", err.Error())
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

// inputPaths maps the input a pki refusal blames to the attribute that
// holds it in one resource.
type inputPaths map[pki.Input]path.Path

// common are the inputs every certificate resource has.
func commonInputs(extra inputPaths) inputPaths {
	out := inputPaths{
		pki.InputIssuer:   path.Root("ca_cert_pem"),
		pki.InputValidity: path.Root("validity_period_hours"),
		pki.InputKeyType:  path.Root("key_type"),
		pki.InputSubject:  path.Root("subject"),
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// addIssueError reports a pki refusal on the attribute it blames (the
// resource diagnostic when no attribute holds the input).
func addIssueError(diags *diag.Diagnostics, paths inputPaths, summary string, err error) {
	if p, ok := paths[pki.InputOf(err)]; ok {
		diags.AddAttributeError(p, summary, err.Error())
		return
	}
	diags.AddError(summary, err.Error())
}

// keyTypeOf converts a validated key_type attribute.
func keyTypeOf(v types.String) pki.KeyType {
	kt, err := pki.ParseKeyType(v.ValueString())
	if err != nil {
		return pki.KeyECDSAP256 // unreachable: the validator refused it
	}
	return kt
}

// validity converts a known validity_period_hours, reporting a value out of
// range on the attribute (the validator already does; this keeps every
// caller safe on its own).
func (s *certState) validity(diags *diag.Diagnostics) (time.Duration, bool) {
	d, err := pki.ValidityHours(s.ValidityPeriodHours.ValueInt64())
	if err != nil {
		diags.AddAttributeError(path.Root("validity_period_hours"), "Invalid validity period", err.Error())
		return 0, false
	}
	return d, true
}

// checkRenewalConfig refuses an early renewal window as long as the
// validity: such a certificate would be replaced on every plan.
func checkRenewalConfig(validity, early types.Int64, diags *diag.Diagnostics) {
	if validity.IsUnknown() || validity.IsNull() || early.IsUnknown() || early.IsNull() {
		return
	}
	if err := pki.CheckRenewalWindow(validity.ValueInt64(), early.ValueInt64()); err != nil {
		diags.AddAttributeError(path.Root("early_renewal_hours"), "Early renewal window covers the whole validity", err.Error())
	}
}

// readyForRenewal decides whether a certificate ending at notAfter (RFC
// 3339) is inside its renewal window of early hours at now. known is false
// when it cannot be decided (unknown or unparsable inputs).
func readyForRenewal(notAfter types.String, early types.Int64, now time.Time) (due, known bool) {
	if notAfter.IsNull() || notAfter.IsUnknown() || early.IsNull() || early.IsUnknown() {
		return false, false
	}
	na, err := time.Parse(time.RFC3339, notAfter.ValueString())
	if err != nil {
		return false, false
	}
	window, err := pki.RenewalHours(early.ValueInt64())
	if err != nil {
		return false, false
	}
	return pki.ReadyForRenewal(na, window, now), true
}

// certPlan is what planCertificate decided.
type certPlan int

const (
	planKeep         certPlan = iota // nothing is issued (or the resource is destroyed)
	planCreate                       // a new certificate (create, or the create half of a replacement)
	planRenewInPlace                 // re-issued in place with the key in state (reuse_key_on_renewal)
)

// renewedOutputs are the outputs an in-place renewal changes; the key and
// what derives from it stay.
var renewedOutputs = []string{"id", "cert_pem", "serial_number", "fingerprint_sha256", "not_before", "not_after", "chain_pem", "fullchain_pem"}

// planCertificate is the plan rule shared by the certificate resources
// besides the replacements the schema declares: a certificate inside its
// renewal window is renewed, by replacement (a new key) or, with
// reuse_key_on_renewal, in place with the same key. The decision uses the
// state's not_after and the provider's clock, so it holds with
// -refresh=false and with ignore_changes = all. The caller runs its
// plan-time checks unless it returns planKeep.
//
// An update that is not a renewal (planKeep with a prior state) changes
// nothing the caller computes: every input its computed values derive from
// requires replacement, so they stay as in state and the caller returns.
func planCertificate(ctx context.Context, now time.Time, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse, edits planEdits) certPlan {
	if req.Plan.Raw.IsNull() {
		return planKeep // destroy
	}
	if req.State.Raw.IsNull() {
		// Create: the outputs are unknown, but a new certificate is never
		// due for renewal (early_renewal_hours < validity_period_hours).
		edits["ready_for_renewal"] = types.BoolValue(false)
		return planCreate
	}
	var notAfter types.String
	var early types.Int64
	var reuse types.Bool
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("not_after"), &notAfter)...)
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("early_renewal_hours"), &early)...)
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("reuse_key_on_renewal"), &reuse)...)
	if resp.Diagnostics.HasError() {
		return planKeep
	}
	renewal := types.BoolUnknown()
	action := planKeep
	if due, known := readyForRenewal(notAfter, early, now); known {
		tflog.Debug(logCtx(ctx, "certificate"), "renewal decision", map[string]any{
			"not_after":            notAfter.ValueString(),
			"early_renewal_hours":  early.ValueInt64(),
			"now":                  now.UTC().Format(time.RFC3339),
			"renew":                due,
			"reuse_key_on_renewal": reuse.ValueBool(),
		})
		renewal = types.BoolValue(due)
		switch {
		case due && reuse.ValueBool():
			// Re-issued in place with the same key: the new certificate is
			// not due, its identity outputs are unknown until apply.
			renewal = types.BoolValue(false)
			for _, name := range renewedOutputs {
				edits[name] = types.StringUnknown()
			}
			if _, d := req.Plan.Schema.AttributeAtPath(ctx, path.Root("ca_cert_pem")); d.HasError() {
				// A root is its own trust anchor: ca_bundle_pem is the
				// certificate itself.
				edits["ca_bundle_pem"] = types.StringUnknown()
			}
			action = planRenewInPlace
		case due:
			// The prior ready_for_renewal may already be true (a refresh
			// saw it). Planning it as unknown always differs from the
			// prior value, so Terraform honours the replacement either way.
			renewal = types.BoolUnknown()
			resp.RequiresReplace = append(resp.RequiresReplace, path.Root("ready_for_renewal"))
		}
	}
	edits["ready_for_renewal"] = renewal
	return action
}

// planEdits are values for top-level attributes of a plan, written by write
// in one pass over the planned value; names the schema does not have are
// skipped. The framework's SetAttribute rebuilds the whole plan value on
// each call, which was a large share of what planning a fleet of
// certificates cost.
type planEdits map[string]attr.Value

func (e planEdits) write(ctx context.Context, plan *tfsdk.Plan, diags *diag.Diagnostics) {
	if len(e) == 0 || plan.Raw.IsNull() || !plan.Raw.IsKnown() {
		return
	}
	var vals map[string]tftypes.Value
	if err := plan.Raw.As(&vals); err != nil {
		diags.AddError("Cannot update the plan", err.Error())
		return
	}
	for name, v := range e {
		if _, ok := vals[name]; !ok {
			continue
		}
		tv, err := v.ToTerraformValue(ctx)
		if err != nil {
			diags.AddAttributeError(path.Root(name), "Cannot update the plan", err.Error())
			return
		}
		vals[name] = tv
	}
	if err := tftypes.ValidateValue(plan.Raw.Type(), vals); err != nil {
		diags.AddError("Cannot update the plan", err.Error())
		return
	}
	plan.Raw = tftypes.NewValue(plan.Raw.Type(), vals)
}

// renewingInPlace reports whether an update is an in-place renewal (the
// plan left cert_pem unknown).
func renewingInPlace(ctx context.Context, plan tfsdk.Plan, diags *diag.Diagnostics) bool {
	var certPEM types.String
	diags.Append(plan.GetAttribute(ctx, path.Root("cert_pem"), &certPEM)...)
	return certPEM.IsUnknown()
}

// stateKey reads the key kept by an in-place renewal from the prior state.
func stateKey(ctx context.Context, state tfsdk.State, diags *diag.Diagnostics) crypto.Signer {
	var keyPEM types.String
	diags.Append(state.GetAttribute(ctx, path.Root("private_key_pem"), &keyPEM)...)
	if diags.HasError() {
		return nil
	}
	key, err := pki.ParsePrivateKeyPEM(keyPEM.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("private_key_pem"), "Cannot renew with the key in state", err.Error())
		return nil
	}
	return key
}

// setIssued records an issued certificate in the state model and logs it.
// issuer is the signing CA (nil for a root).
func (s *certState) setIssued(ctx context.Context, is *pki.Issued, issuer *pki.Issuer, now time.Time) {
	info := pki.Describe(is.Cert)
	fields := map[string]any{
		"serial":     info.Serial,
		"subject":    info.Subject,
		"issuer":     info.Issuer,
		"is_ca":      info.IsCA,
		"key_type":   info.KeyType,
		"not_before": info.NotBefore.UTC().Format(time.RFC3339),
		"not_after":  info.NotAfter.UTC().Format(time.RFC3339),
		"dns_names":  info.DNSNames,
		"ips":        info.IPAddresses,
	}
	if issuer != nil {
		fields["issuer_serial"] = pki.SerialString(issuer.Cert)
	}
	tflog.Info(logCtx(ctx, "certificate"), "issued certificate", fields)
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
	s.refreshRenewal(now)
}

// refreshRenewal sets ready_for_renewal from the state at now.
func (s *certState) refreshRenewal(now time.Time) {
	if due, known := readyForRenewal(s.NotAfter, s.EarlyRenewalHours, now); known {
		s.ReadyForRenewal = types.BoolValue(due)
	}
}

// readCertificate refreshes ready_for_renewal; every other value stays as
// in state. It reads the three attributes it needs instead of decoding the
// whole model and writes back only a changed value: decoding and encoding
// every attribute was most of what a refresh of a fleet cost.
func readCertificate(ctx context.Context, now time.Time, req resource.ReadRequest, resp *resource.ReadResponse) {
	var notAfter types.String
	var early types.Int64
	var ready types.Bool
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("not_after"), &notAfter)...)
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("early_renewal_hours"), &early)...)
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("ready_for_renewal"), &ready)...)
	if resp.Diagnostics.HasError() {
		return
	}
	due, known := readyForRenewal(notAfter, early, now)
	if !known || ready.Equal(types.BoolValue(due)) {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("ready_for_renewal"), types.BoolValue(due))...)
}

// updateCertificate finishes an in-place update. Only early_renewal_hours
// changes in place; the plan carries every other value from state, and
// ready_for_renewal when it could be decided at plan time.
func updateCertificate[T any, P certModel[T]](ctx context.Context, now time.Time, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m T
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if c := P(&m).cert(); c.ReadyForRenewal.IsUnknown() {
		c.ReadyForRenewal = types.BoolValue(false)
		c.refreshRenewal(now)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
