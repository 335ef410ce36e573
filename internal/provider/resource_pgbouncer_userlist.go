package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pgtls/terraform-provider-pgtls/internal/pooler"
	"github.com/pgtls/terraform-provider-pgtls/internal/scram"
)

type userlistUserModel struct {
	Name          types.String `tfsdk:"name"`
	Format        types.String `tfsdk:"format"`
	Password      types.String `tfsdk:"password"`
	SCRAMVerifier types.String `tfsdk:"scram_verifier"`
}

type pgbouncerUserlistModel struct {
	renderedFile
	Header          types.String `tfsdk:"header"`
	Users           types.List   `tfsdk:"users"`
	SCRAMIterations types.Int64  `tfsdk:"scram_iterations"`
	Salts           types.Map    `tfsdk:"salts"`
}

type pgbouncerUserlistResource struct{}

var _ resource.ResourceWithModifyPlan = (*pgbouncerUserlistResource)(nil)

// NewPgBouncerUserlistResource is the pgtls_pgbouncer_userlist resource.
func NewPgBouncerUserlistResource() resource.Resource { return &pgbouncerUserlistResource{} }

func (r *pgbouncerUserlistResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_pgbouncer_userlist"
}

func (r *pgbouncerUserlistResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	attrs := map[string]schema.Attribute{
		"header": optStr("Comment lines at the top (each gets `;; `: PgBouncer stops reading the file at a line starting with `#`)."),
		"users": schema.ListNestedAttribute{
			MarkdownDescription: "The users PgBouncer knows, in order (each once).",
			Required:            true,
			NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
				"name": schema.StringAttribute{Required: true, MarkdownDescription: "User name (quotes are doubled as PgBouncer expects)."},
				"format": optStr("`scram-sha-256` (default): a SCRAM-SHA-256 verifier, from `password` or given as `scram_verifier`. "+
					"`none`: no password (`auth_type = \"cert\"`, trust or peer lines). `md5` and `plain` store the md5 hash or the "+
					"password itself and are warned.", stringvalidator.OneOf(pooler.UserlistFormats...)),
				"password": schema.StringAttribute{Optional: true, Sensitive: true,
					MarkdownDescription: "The password (sensitive). For `scram-sha-256` the verifier is computed with a random salt drawn " +
						"once and kept in `salts`, so it changes only when the password or `scram_iterations` does."},
				"scram_verifier": schema.StringAttribute{Optional: true, Sensitive: true,
					MarkdownDescription: "A ready `SCRAM-SHA-256$...` verifier (sensitive), for example the one the role has in PostgreSQL: " +
						"PgBouncer can pass a client's SCRAM login through to PostgreSQL only when both hold the very same verifier."},
			}},
		},
		"scram_iterations": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(int64(scram.DefaultIterations)),
			MarkdownDescription: "Iterations of verifiers computed from passwords. Defaults to 4096 (PostgreSQL's default).",
			Validators:          []validator.Int64{int64validator.Between(scram.MinIterations, scram.MaxIterations)}},
		"salts": schema.MapAttribute{ElementType: types.StringType, Computed: true,
			MarkdownDescription: "The salt (base64) of each verifier computed from a password, by user name: drawn at random when " +
				"the user first appears (its verifier is then known after apply) and kept, so later plans show the exact file."},
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "PgBouncer's `auth_file` (userlist.txt): `\"user\" \"secret\"` lines with PgBouncer's quoting. " +
			"SCRAM-SHA-256 verifiers by default; clear-text and md5 entries only when asked for, with a warning. The review copy " +
			"`content` is always known at plan time; the exact file is known at plan time except for a user just added with a " +
			"password (a new random salt is drawn at apply, as PostgreSQL does).",
		Attributes: mergeAttributes(attrs, userlistFileAttributes()),
	}
}

// userlistFileAttributes are the rendered-file outputs; the exact file is
// unknown in a plan that adds a user with a password (its salt is drawn at
// apply).
func userlistFileAttributes() map[string]schema.Attribute {
	a := renderedFileAttributes("userlist.txt")
	a["sensitive_content"] = schema.StringAttribute{Computed: true, Sensitive: true,
		MarkdownDescription: "The exact userlist.txt (verifiers and passwords included) PgBouncer must read. Always sensitive. " +
			"Known at plan time, except in a plan that adds a user with a `password`: its salt is drawn at apply. Write this one to disk."}
	a["sha256"] = schema.StringAttribute{Computed: true,
		MarkdownDescription: "SHA-256 of `sensitive_content`, lowercase hex: use it to trigger reloads (PgBouncer re-reads auth_file on RELOAD or SIGHUP)."}
	return a
}

// userlist reads the domain userlist from the plan; ok is false while inputs
// are unknown.
func (m *pgbouncerUserlistModel) userlist(ctx context.Context, diags *diag.Diagnostics) (pooler.Userlist, bool) {
	if !fullyKnown(m.Header, m.Users, m.SCRAMIterations) {
		return pooler.Userlist{}, false
	}
	l := pooler.Userlist{Header: m.Header.ValueString(), Iterations: int(m.SCRAMIterations.ValueInt64())}
	var us []userlistUserModel
	diags.Append(m.Users.ElementsAs(ctx, &us, false)...)
	for _, u := range us {
		f := pooler.UserlistSCRAM
		if !u.Format.IsNull() {
			f = pooler.UserlistFormat(u.Format.ValueString())
		}
		l.Users = append(l.Users, pooler.UserlistUser{Name: u.Name.ValueString(), Format: f,
			Password: u.Password.ValueString(), Verifier: u.SCRAMVerifier.ValueString()})
	}
	return l, !diags.HasError()
}

// priorSalts reads the salts kept in state (none for a new resource).
func priorSalts(ctx context.Context, state tfsdk.State, diags *diag.Diagnostics) map[string][]byte {
	out := map[string][]byte{}
	if state.Raw.IsNull() {
		return out
	}
	var m types.Map
	diags.Append(state.GetAttribute(ctx, path.Root("salts"), &m)...)
	for name, v := range stringMapOf(ctx, m, diags) {
		if salt, ok := pooler.DecodeSalt(v); ok {
			out[name] = salt
		}
	}
	return out
}

// render fills the outputs. With draw, missing salts are drawn at random
// (apply); without, the exact outputs stay unknown when one is missing
// (plan). It returns false on invalid input.
func (m *pgbouncerUserlistModel) render(ctx context.Context, l pooler.Userlist, prior map[string][]byte, draw bool, diags *diag.Diagnostics) bool {
	ps := l.Validate()
	addPoolerProblems(ps, "Invalid userlist.txt entry", "userlist.txt: weak entry", diags)
	if ps.Err() != nil {
		return false
	}
	masked, err := l.RenderMasked()
	if err != nil {
		diags.AddAttributeError(path.Root("users"), "Cannot render userlist.txt", err.Error())
		return false
	}
	m.Content = types.StringValue(masked)
	m.ID = types.StringValue(sha256Hex(masked))
	salts := map[string][]byte{}
	missing := false
	for _, u := range l.Users {
		if !u.NeedsSalt() {
			continue
		}
		if s, ok := prior[u.Name]; ok {
			salts[u.Name] = s
			continue
		}
		if !draw {
			missing = true
			continue
		}
		s, err := scram.RandomSalt()
		if err != nil {
			diags.AddError("Cannot draw a salt", err.Error())
			return false
		}
		salts[u.Name] = s
	}
	if missing {
		m.SensitiveContent = types.StringUnknown()
		m.SHA256 = types.StringUnknown()
		m.Salts = types.MapUnknown(types.StringType)
		return true
	}
	exact, err := l.Render(salts)
	if err != nil {
		diags.AddAttributeError(path.Root("users"), "Cannot render userlist.txt", err.Error()) // never holds a secret
		return false
	}
	m.SensitiveContent = types.StringValue(exact)
	m.SHA256 = types.StringValue(sha256Hex(exact))
	sv := map[string]attr.Value{}
	for name, s := range salts {
		sv[name] = types.StringValue(pooler.EncodeSalt(s))
	}
	m.Salts = types.MapValueMust(types.StringType, sv)
	var secrets []string
	for _, u := range l.Users {
		secrets = append(secrets, u.Password, u.Verifier)
	}
	logRendered(ctx, "userlist.txt", &m.renderedFile, map[string]any{"users": len(l.Users), "warnings": len(ps.Warnings())}, secrets...)
	return true
}

func (r *pgbouncerUserlistResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var m pgbouncerUserlistModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	l, ok := m.userlist(ctx, &resp.Diagnostics)
	if !ok || resp.Diagnostics.HasError() {
		return
	}
	prior := priorSalts(ctx, req.State, &resp.Diagnostics)
	if m.render(ctx, l, prior, false, &resp.Diagnostics) {
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &m)...)
	}
}

func (r *pgbouncerUserlistResource) apply(ctx context.Context, plan tfsdk.Plan, prior map[string][]byte, state *tfsdk.State, diags *diag.Diagnostics) {
	var m pgbouncerUserlistModel
	diags.Append(plan.Get(ctx, &m)...)
	l, ok := m.userlist(ctx, diags)
	if !ok || diags.HasError() {
		if !diags.HasError() {
			diags.AddError("Cannot render userlist.txt", "inputs are still unknown at apply")
		}
		return
	}
	var d diag.Diagnostics
	if !m.render(ctx, l, prior, true, &d) {
		diags.Append(d.Errors()...)
		return
	}
	diags.Append(state.Set(ctx, &m)...)
}

func (r *pgbouncerUserlistResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.apply(ctx, req.Plan, map[string][]byte{}, &resp.State, &resp.Diagnostics)
}

func (r *pgbouncerUserlistResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	keepState(ctx, req, resp)
}

func (r *pgbouncerUserlistResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.apply(ctx, req.Plan, priorSalts(ctx, req.State, &resp.Diagnostics), &resp.State, &resp.Diagnostics)
}

func (r *pgbouncerUserlistResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
}
