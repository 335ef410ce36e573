package provider

import (
	"context"
	"encoding/base64"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pgtls/terraform-provider-pgtls/internal/scram"
)

type scramVerifierModel struct {
	ID         types.String `tfsdk:"id"`
	Password   types.String `tfsdk:"password"`
	Iterations types.Int64  `tfsdk:"iterations"`
	Salt       types.String `tfsdk:"salt"`
	Verifier   types.String `tfsdk:"verifier"`
}

// NewScramVerifierResource is the pgtls_scram_verifier resource.
func NewScramVerifierResource() resource.Resource { return &scramVerifierResource{} }

type scramVerifierResource struct{}

var _ resource.ResourceWithModifyPlan = (*scramVerifierResource)(nil)

func (r *scramVerifierResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_scram_verifier"
}

func (r *scramVerifierResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A SCRAM-SHA-256 verifier in PostgreSQL's format " +
			"(`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`) for " +
			"`CREATE ROLE ... PASSWORD '<verifier>'` / `ALTER ROLE` and PgBouncer's userlist.txt, so the plain-text " +
			"password never reaches the server, its logs or `pg_stat_statements`. (Pgpool-II 4.3 refuses SCRAM " +
			"verifiers in pool_passwd: give it an AES entry with `pgtls_pgpool_passwd`.) " +
			"The password goes through PostgreSQL's own SASLprep. The random salt is kept in state: the verifier " +
			"stays the same across plans and changes only when `password` or `iterations` changes (then with a " +
			"fresh salt, so the new verifier is known after apply). Give `salt` to make it known at plan time.",
		Attributes: map[string]schema.Attribute{
			"id": computedString("The salt (base64). Never derived from the password."),
			"password": schema.StringAttribute{Required: true, Sensitive: true,
				MarkdownDescription: "The password. Sensitive. Non-empty, no NUL byte, at most 4096 bytes."},
			"iterations": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(scram.DefaultIterations),
				MarkdownDescription: "PBKDF2 iterations (4096, PostgreSQL's default and RFC 7677's minimum, to 10000000). " +
					"Every login repeats them on the server and the client.",
				Validators: []validator.Int64{int64validator.Between(scram.MinIterations, scram.MaxIterations)}},
			"salt": schema.StringAttribute{Optional: true, Computed: true,
				MarkdownDescription: "The salt, standard base64 of 16 to 64 bytes. Leave unset for a random 16-byte salt " +
					"(PostgreSQL's length), made when the resource is created and whenever the password changes."},
			"verifier": schema.StringAttribute{Computed: true, Sensitive: true,
				MarkdownDescription: "The verifier. Sensitive: it allows offline guessing of the password and, to a " +
					"server-side attacker, impersonating the server."},
		},
	}
}

func decodeSalt(s types.String, diags *diag.Diagnostics) []byte {
	salt, err := base64.StdEncoding.Strict().DecodeString(s.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("salt"), "Invalid salt", "salt must be standard base64 (with padding): "+err.Error())
		return nil
	}
	if err := scram.CheckSalt(salt); err != nil {
		diags.AddAttributeError(path.Root("salt"), "Invalid salt", err.Error())
		return nil
	}
	return salt
}

func (r *scramVerifierResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan scramVerifierModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || plan.Password.IsUnknown() || plan.Iterations.IsUnknown() {
		return
	}
	if err := scram.CheckPassword(plan.Password.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("password"), "Invalid password", err.Error())
		return
	}
	var state *scramVerifierModel
	if !req.State.Raw.IsNull() {
		state = &scramVerifierModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
	}
	var configSalt types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("salt"), &configSalt)...)
	switch {
	case configSalt.IsUnknown():
		plan.Salt, plan.Verifier, plan.ID = types.StringUnknown(), types.StringUnknown(), types.StringUnknown()
	case !configSalt.IsNull():
		salt := decodeSalt(configSalt, &resp.Diagnostics)
		if salt == nil {
			return
		}
		if state != nil && state.Salt.Equal(configSalt) && state.Password.Equal(plan.Password) && state.Iterations.Equal(plan.Iterations) {
			plan.Verifier = state.Verifier
		} else {
			v, err := scram.New(plan.Password.ValueString(), salt, int(plan.Iterations.ValueInt64()))
			if err != nil {
				resp.Diagnostics.AddAttributeError(path.Root("password"), "Cannot compute the SCRAM verifier", err.Error())
				return
			}
			plan.Verifier = types.StringValue(v.String())
		}
		plan.Salt, plan.ID = configSalt, configSalt
	case state != nil && state.Password.Equal(plan.Password) && state.Iterations.Equal(plan.Iterations) && !state.Salt.IsNull():
		// Unchanged: keep the random salt and the verifier.
		plan.Salt, plan.Verifier, plan.ID = state.Salt, state.Verifier, state.ID
	default:
		// New or changed password: a fresh random salt at apply.
		plan.Salt, plan.Verifier, plan.ID = types.StringUnknown(), types.StringUnknown(), types.StringUnknown()
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

func (r *scramVerifierResource) apply(ctx context.Context, planIn interface {
	Get(context.Context, any) diag.Diagnostics
}, diags *diag.Diagnostics) (scramVerifierModel, bool) {
	var m scramVerifierModel
	diags.Append(planIn.Get(ctx, &m)...)
	if diags.HasError() {
		return m, false
	}
	if !m.Verifier.IsUnknown() && !m.Verifier.IsNull() {
		return m, true // known at plan time
	}
	var salt []byte
	if !m.Salt.IsUnknown() && !m.Salt.IsNull() {
		if salt = decodeSalt(m.Salt, diags); salt == nil {
			return m, false
		}
	} else {
		var err error
		if salt, err = scram.RandomSalt(); err != nil {
			diags.AddError("Cannot make a salt", err.Error())
			return m, false
		}
	}
	v, err := scram.New(m.Password.ValueString(), salt, int(m.Iterations.ValueInt64()))
	if err != nil {
		diags.AddAttributeError(path.Root("password"), "Cannot compute the SCRAM verifier", err.Error())
		return m, false
	}
	s := base64.StdEncoding.EncodeToString(salt)
	tflog.Debug(logCtx(ctx, "scram_verifier", m.Password.ValueString(), v.String()), "computed SCRAM-SHA-256 verifier", map[string]any{
		"iterations": v.Iterations, "salt_bytes": len(salt), "salt_given": !m.Salt.IsUnknown() && !m.Salt.IsNull(),
	})
	m.Salt, m.ID, m.Verifier = types.StringValue(s), types.StringValue(s), types.StringValue(v.String())
	return m, true
}

func (r *scramVerifierResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	if m, ok := r.apply(ctx, req.Plan, &resp.Diagnostics); ok {
		resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
	}
}

func (r *scramVerifierResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if m, ok := r.apply(ctx, req.Plan, &resp.Diagnostics); ok {
		resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
	}
}

func (r *scramVerifierResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	keepState(ctx, req, resp)
}

func (r *scramVerifierResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
}
