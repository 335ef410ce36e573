package provider

// pgtls_hba_file and pgtls_hba_parse get expectations and the access
// review from here. Wiring (in their files): embed hbaPolicyFields in the
// model, merge hbaPolicyAttributesRS/DS into the schema, wrap the resource
// with withHBAPolicy, call parsePolicy from the data source's Read.

import (
	"context"

	dschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pgtls/terraform-provider-pgtls/internal/hba"
)

// hbaPolicyFields are the policy attributes of pgtls_hba_file.
type hbaPolicyFields struct {
	Expect          types.List   `tfsdk:"expect"`
	ServerAddresses types.List   `tfsdk:"server_addresses"`
	AccessReview    types.Object `tfsdk:"access_review"`
	AccessChanges   types.Map    `tfsdk:"access_changes"`
}

// hbaPolicyAttributesRS are the schema attributes of hbaPolicyFields.
func hbaPolicyAttributesRS() map[string]rschema.Attribute {
	return map[string]rschema.Attribute{
		"expect": expectAttributeRS(),
		"server_addresses": rschema.ListAttribute{Optional: true, ElementType: types.StringType,
			MarkdownDescription: serverAddressesDescription},
		"access_review": rschema.SingleNestedAttribute{Optional: true,
			MarkdownDescription: accessReviewDescription + " The review runs at plan time between the content in state and " +
				"the planned content (not on create): `weakened` changes fail the plan unless acknowledged, every change " +
				"is a plan warning, and `access_changes` lists them. Only for `target = \"postgresql\"`.",
			Attributes: accessReviewAttributesRS()},
		"access_changes": accessChangesAttributeRS("The access diff of the last content change (previous -> planned " +
			"content), by change id; known at plan time and kept while the content does not change. Empty on create."),
	}
}

// hbaPolicyAttributesDS are the policy attributes of pgtls_hba_parse.
func hbaPolicyAttributesDS() map[string]dschema.Attribute {
	return map[string]dschema.Attribute{
		"expect": expectAttributeDS(),
		"files":  dschema.MapAttribute{Optional: true, ElementType: types.StringType, MarkdownDescription: hbaMatchInputDescriptions["files"]},
		"server_addresses": dschema.ListAttribute{Optional: true, ElementType: types.StringType,
			MarkdownDescription: serverAddressesDescription},
		"previous_content": dschema.StringAttribute{Optional: true, Sensitive: true,
			MarkdownDescription: "The file `content` replaces (for example the version on the main branch): the access diff " +
				"from it to `content` is `access_changes`, reviewed as `access_review` says."},
		"access_review": dschema.SingleNestedAttribute{Optional: true, MarkdownDescription: accessReviewDescription,
			Attributes: accessReviewAttributesDS()},
		"access_changes": accessChangesAttributeDS("The access diff from `previous_content` to `content` (empty without `previous_content`)."),
	}
}

// addAttributesDS adds attributes to a data source schema.
func addAttributesDS(to map[string]dschema.Attribute, from map[string]dschema.Attribute) {
	for k, a := range from {
		to[k] = a
	}
}

// hbaParsePolicyFields are the policy attributes of pgtls_hba_parse.
type hbaParsePolicyFields struct {
	Expect          types.List   `tfsdk:"expect"`
	Files           types.Map    `tfsdk:"files"`
	ServerAddresses types.List   `tfsdk:"server_addresses"`
	PreviousContent types.String `tfsdk:"previous_content"`
	AccessReview    types.Object `tfsdk:"access_review"`
	AccessChanges   types.List   `tfsdk:"access_changes"`
}

// parsePolicy runs expectations and the access review of pgtls_hba_parse
// and fills AccessChanges.
func parsePolicy(ctx context.Context, content string, version int, identContent types.String, f *hbaParsePolicyFields, diags *diag.Diagnostics) {
	f.AccessChanges = types.ListNull(types.ObjectType{AttrTypes: accessChangeAttrTypes})
	if f.Expect.IsNull() && f.PreviousContent.IsNull() {
		f.AccessChanges, _ = types.ListValue(types.ObjectType{AttrTypes: accessChangeAttrTypes}, nil)
		return
	}
	after, ok := matcherFor(ctx, content, version, identContent, f.Files, f.ServerAddresses, diags)
	if !ok {
		return
	}
	checkExpectations(ctx, after, f.Expect, diags)
	if f.PreviousContent.IsNull() {
		f.AccessChanges, _ = types.ListValue(types.ObjectType{AttrTypes: accessChangeAttrTypes}, nil)
		return
	}
	before, err := hba.NewMatcherContent(f.PreviousContent.ValueString(), version, after.Environment())
	if err != nil {
		diags.AddError("Cannot simulate the previous pg_hba.conf", err.Error())
		return
	}
	settings := reviewSettingsOf(ctx, f.AccessReview, diags)
	// Diagnostics not at content: its configuration line may hold a secret.
	if changes, _, ok := reviewAccess(ctx, before, after, settings, path.Empty(), diags); ok {
		f.AccessChanges = changes
	}
}

// withHBAPolicy wraps the pgtls_hba_file resource: its plan also checks
// `expect` and reviews the access change.
func withHBAPolicy(inner *renderedResource[hbaFileModel]) resource.Resource {
	return &hbaPolicyResource{inner: inner}
}

type hbaPolicyResource struct {
	inner *renderedResource[hbaFileModel]
}

var (
	_ resource.ResourceWithModifyPlan = (*hbaPolicyResource)(nil)
	_ resource.ResourceWithConfigure  = (*hbaPolicyResource)(nil)
)

// rendersInPlace: the wrapped resource is a rendered one, and the policy
// attributes only check and describe the plan (TestSchemaReplacement).
func (r *hbaPolicyResource) rendersInPlace() {}

func (r *hbaPolicyResource) Metadata(ctx context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	r.inner.Metadata(ctx, req, resp)
}

func (r *hbaPolicyResource) Schema(ctx context.Context, req resource.SchemaRequest, resp *resource.SchemaResponse) {
	r.inner.Schema(ctx, req, resp)
}

func (r *hbaPolicyResource) Configure(ctx context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.inner.Configure(ctx, req, resp)
}

func (r *hbaPolicyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.inner.Create(ctx, req, resp)
}

func (r *hbaPolicyResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	r.inner.Read(ctx, req, resp)
}

func (r *hbaPolicyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.inner.Update(ctx, req, resp)
}

func (r *hbaPolicyResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	r.inner.Delete(ctx, req, resp)
}

func (r *hbaPolicyResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	r.inner.ModifyPlan(ctx, req, resp)
	if req.Plan.Raw.IsNull() || resp.Diagnostics.HasError() {
		return
	}
	planHBAPolicy(ctx, r.inner.dataOrDefault(), req, resp)
}

// planHBAPolicy checks expectations against the planned content and
// reviews the access change from the content in state.
func planHBAPolicy(ctx context.Context, data *providerData, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var m hbaFileModel
	resp.Diagnostics.Append(resp.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || m.Content.IsUnknown() || m.Content.IsNull() || m.Target.IsUnknown() {
		return
	}
	if hba.Target(m.Target.ValueString()) != hba.TargetPostgreSQL {
		if !m.Expect.IsNull() || !m.AccessReview.IsNull() {
			resp.Diagnostics.AddAttributeError(path.Root("target"), "Expectations and the access review simulate PostgreSQL",
				"expect and access_review need target = \"postgresql\"")
		}
		m.AccessChanges, _ = types.MapValue(types.ObjectType{AttrTypes: accessChangeAttrTypes}, nil)
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("access_changes"), m.AccessChanges)...)
		return
	}
	if !fullyKnown(m.Expect, m.ServerAddresses, m.AccessReview, m.IdentMaps) {
		return
	}
	version := versionOf(m.PostgresVersion, data)
	idents, identsKnown := identMapsOf(ctx, m.IdentMaps, &resp.Diagnostics)
	ifaces, ifacesKnown := interfacePrefixes(ctx, m.ServerAddresses, path.Root("server_addresses"), &resp.Diagnostics)
	if !identsKnown || resp.Diagnostics.HasError() {
		return
	}
	env := environmentOf(ifaces, ifacesKnown, nil, idents, !m.IdentMaps.IsNull())
	after, err := hba.NewMatcherContent(m.Content.ValueString(), version, env)
	if err != nil {
		resp.Diagnostics.AddError("Cannot simulate the planned pg_hba.conf", err.Error())
		return
	}
	checkExpectations(ctx, after, m.Expect, &resp.Diagnostics)

	// The review: only when there is a previous content and it changes.
	var prior hbaFileModel
	priorContent, priorVersion := "", version
	hasPrior := !req.State.Raw.IsNull()
	if hasPrior {
		if d := req.State.Get(ctx, &prior); d.HasError() {
			resp.Diagnostics.Append(d...)
			return
		}
		priorContent = prior.Content.ValueString()
		priorVersion = versionOf(prior.PostgresVersion, data)
		if priorContent == m.Content.ValueString() && priorVersion == version && !prior.AccessChanges.IsNull() && !prior.AccessChanges.IsUnknown() {
			// Unchanged content keeps the diff of the last change.
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("access_changes"), prior.AccessChanges)...)
			return
		}
	}
	before, err := hba.NewMatcherContent(priorContent, priorVersion, env)
	if err != nil {
		// A previous file this version cannot read (for example state
		// from an older provider): no review, said loudly.
		resp.Diagnostics.AddAttributeWarning(path.Root("access_review"), "No access review for this change",
			"the content in state cannot be simulated: "+err.Error())
		before, _ = hba.NewMatcher(nil, version, env)
	}
	settings := reviewSettingsOf(ctx, m.AccessReview, &resp.Diagnostics)
	if !hasPrior {
		// Create: nothing to review (the file did not exist).
		empty, _ := types.MapValue(types.ObjectType{AttrTypes: accessChangeAttrTypes}, nil)
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("access_changes"), empty)...)
		return
	}
	var d diag.Diagnostics
	// Diagnostics on the resource, not at rules: a rules line may hold a
	// literal secret option, which Terraform would print with the message.
	changes, _, ok := reviewAccess(ctx, before, after, settings, path.Empty(), &d)
	resp.Diagnostics.Append(d...)
	if !ok {
		return
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("access_changes"), accessChangesMap(changes, &resp.Diagnostics))...)
}
