package provider

// The "rendered content known at plan time" resource pattern. A rendered
// resource exists only in state: its outputs are a pure function of its
// inputs (a domain renderer), computed in ModifyPlan so `terraform plan`
// shows them, recomputed identically at apply, and kept by Read.
//
// A new renderer (postgresql.conf, pgbouncer.ini, userlist.txt, ...) is one
// call:
//
//	func NewFooResource() resource.Resource {
//		return newRenderedResource("_foo", fooSchema(), buildFoo)
//	}
//
// with a model that embeds renderedFile (the masked/exact content pair),
// a schema that merges renderedFileAttributes, and a build function that
// validates, renders both copies with the domain package and calls
// m.renderedFile.set(exact, masked). Secrets: every input that can hold one
// is Sensitive in the schema and registered in the provider's sentinel test
// (secrets_test.go), which proves it reaches no plan, state display, id or
// log line.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
)

// buildFunc computes a rendered resource's outputs from its inputs. It
// returns false while inputs are unknown or when they are invalid (then
// diags say why, as attribute diagnostics).
type buildFunc[T any] func(ctx context.Context, data *providerData, m *T, diags *diag.Diagnostics) bool

// renderedResource implements a rendered resource for model T.
type renderedResource[T any] struct {
	typeName string // suffix after the provider name, like "_hba_file"
	schema   schema.Schema
	build    buildFunc[T]
	data     *providerData
}

var (
	_ resource.ResourceWithModifyPlan = (*renderedResource[struct{}])(nil)
	_ resource.ResourceWithConfigure  = (*renderedResource[struct{}])(nil)
)

// newRenderedResource returns a rendered resource: Metadata, Schema,
// Configure, and CRUD that compute the outputs with build at plan and apply
// time and never contact anything.
func newRenderedResource[T any](typeName string, s schema.Schema, build buildFunc[T]) resource.Resource {
	return &renderedResource[T]{typeName: typeName, schema: s, build: build}
}

// rendersInPlace marks a rendered resource for TestSchemaReplacement: every
// input is re-rendered in place by construction (outputs are a pure function
// of the inputs, nothing is issued or stored elsewhere), so its attributes
// need no per-attribute replacement decision.
func (r *renderedResource[T]) rendersInPlace() {}

func (r *renderedResource[T]) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + r.typeName
}

func (r *renderedResource[T]) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = r.schema
}

func (r *renderedResource[T]) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	r.data = configuredData(req.ProviderData)
}

func (r *renderedResource[T]) dataOrDefault() *providerData {
	if r.data == nil {
		return configuredData(nil)
	}
	return r.data
}

func (r *renderedResource[T]) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	planRendered(ctx, r.dataOrDefault(), r.build, req, resp)
}

func (r *renderedResource[T]) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	applyRendered(ctx, r.dataOrDefault(), r.build, req.Plan, &resp.State, &resp.Diagnostics)
}

func (r *renderedResource[T]) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	keepState(ctx, req, resp)
}

func (r *renderedResource[T]) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	applyRendered(ctx, r.dataOrDefault(), r.build, req.Plan, &resp.State, &resp.Diagnostics)
}

func (r *renderedResource[T]) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
}

// planRendered fills the outputs of a rendered resource at plan time.
func planRendered[T any](ctx context.Context, data *providerData, build buildFunc[T], req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var m T
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if !resp.Diagnostics.HasError() && build(ctx, data, &m, &resp.Diagnostics) {
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &m)...)
	}
}

// applyRendered computes the same outputs at apply time and stores them.
// Warnings were already shown in the plan; only errors are repeated.
func applyRendered[T any](ctx context.Context, data *providerData, build buildFunc[T], plan tfsdk.Plan, state *tfsdk.State, diags *diag.Diagnostics) {
	var m T
	diags.Append(plan.Get(ctx, &m)...)
	if diags.HasError() {
		return
	}
	var d diag.Diagnostics
	if build(ctx, data, &m, &d) {
		diags.Append(state.Set(ctx, &m)...)
		return
	}
	diags.Append(d.Errors()...)
	if !diags.HasError() {
		// Every input is known at apply; a build that still cannot finish
		// must say so rather than store a resource without outputs.
		diags.AddError("Cannot render", "the rendered content could not be computed from the planned inputs")
	}
}

// keepState is the Read of a rendered resource: its state depends only on
// its inputs, and the framework starts the response from the prior state,
// so there is nothing to decode or re-encode (for a file of thousands of
// rules both were a large share of a refresh).
func keepState(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

// renderedFile is the output pair of every rendered file: a review copy a
// plan may show, with every secret masked, and the exact bytes the program
// needs on disk, always sensitive. Embed it in the resource model.
type renderedFile struct {
	ID               types.String `tfsdk:"id"`
	Content          types.String `tfsdk:"content"`
	SensitiveContent types.String `tfsdk:"sensitive_content"`
	SHA256           types.String `tfsdk:"sha256"`
}

// renderedFileAttributes are the attributes of renderedFile; file names the
// file in descriptions ("pg_hba.conf").
func renderedFileAttributes(file string) map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"id": computedString("SHA-256 of `content` (the review copy), lowercase hex. Never derived from a secret."),
		"content": computedString("The rendered " + file + " for review, known at plan time: byte-identical to " +
			"`sensitive_content` when no secret is in it, otherwise every secret value is replaced by `(sensitive)`. " +
			"Show and diff this one; write `sensitive_content` to disk."),
		"sensitive_content": schema.StringAttribute{
			Computed:  true,
			Sensitive: true,
			MarkdownDescription: "The exact " + file + " (secrets included) that the program must read, known at plan " +
				"time. Always sensitive. Write this one to disk.",
		},
		"sha256": computedString("SHA-256 of `sensitive_content` (the bytes on disk), lowercase hex: use it to " +
			"trigger reloads. Changes when a secret changes. Like any hash of content, it lets someone who knows " +
			"the rest of the file test guesses of a low-entropy secret offline: use long random secrets."),
	}
}

// set stores the exact file and its review copy.
func (f *renderedFile) set(exact, masked string) {
	f.Content = types.StringValue(masked)
	f.SensitiveContent = types.StringValue(exact)
	f.SHA256 = types.StringValue(sha256Hex(exact))
	f.ID = types.StringValue(sha256Hex(masked))
}

// fullyKnown reports whether every value, including every element of lists,
// sets, maps and objects, is known: only then can content be rendered.
func fullyKnown(vals ...attr.Value) bool {
	for _, v := range vals {
		if v == nil {
			continue
		}
		if v.IsUnknown() {
			return false
		}
		if v.IsNull() {
			continue
		}
		switch x := v.(type) {
		case basetypes.ListValue:
			if !fullyKnown(x.Elements()...) {
				return false
			}
		case basetypes.SetValue:
			if !fullyKnown(x.Elements()...) {
				return false
			}
		case basetypes.TupleValue:
			if !fullyKnown(x.Elements()...) {
				return false
			}
		case basetypes.MapValue:
			for _, e := range x.Elements() {
				if !fullyKnown(e) {
					return false
				}
			}
		case basetypes.ObjectValue:
			for _, e := range x.Attributes() {
				if !fullyKnown(e) {
					return false
				}
			}
		}
	}
	return true
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
