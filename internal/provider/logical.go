package provider

// Every pgtls resource is logical: it exists only in state. These helpers
// hold the CRUD plumbing the resources share, so each resource file only
// says what it computes.

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/resource"
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
