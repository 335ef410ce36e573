package provider

// Every pgtls resource is logical: it exists only in state. These helpers
// hold the CRUD plumbing the resources share, so each resource file only
// says what it computes.

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
)

// cert gives access to the embedded certState of a certificate model.
func (s *certState) cert() *certState { return s }

type certModel[T any] interface {
	*T
	cert() *certState
}

// readCertificate keeps the state and refreshes ready_for_renewal.
func readCertificate[T any, P certModel[T]](ctx context.Context, now time.Time, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m T
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	P(&m).cert().refreshRenewal(now)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// updateCertificate finishes an in-place update (only early_renewal_hours
// changes in place; planCertificate carried everything else from state).
func updateCertificate[T any, P certModel[T]](ctx context.Context, now time.Time, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m T
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	P(&m).cert().applyUpdate(now)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// buildFunc computes a rendered resource's outputs from its inputs. It
// returns false while inputs are unknown or when they are invalid (then
// diags say why).
type buildFunc[T any] func(ctx context.Context, m *T, diags *diag.Diagnostics) bool

// planRendered fills the outputs of a rendered resource (hba rules and
// files, ident maps and files) at plan time.
func planRendered[T any](ctx context.Context, build buildFunc[T], req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var m T
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if !resp.Diagnostics.HasError() && build(ctx, &m, &resp.Diagnostics) {
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &m)...)
	}
}

// applyRendered computes the same outputs at apply time and stores them.
// Warnings were already shown in the plan; only errors are repeated.
func applyRendered[T any](ctx context.Context, build buildFunc[T], plan tfsdk.Plan, state *tfsdk.State, diags *diag.Diagnostics) {
	var m T
	diags.Append(plan.Get(ctx, &m)...)
	if diags.HasError() {
		return
	}
	var d diag.Diagnostics
	if build(ctx, &m, &d) {
		diags.Append(state.Set(ctx, &m)...)
		return
	}
	diags.Append(d.Errors()...)
}

// keepState is the Read of a rendered resource: its state depends only on
// its inputs.
func keepState[T any](ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m T
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
