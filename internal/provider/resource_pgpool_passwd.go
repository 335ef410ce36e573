package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pgtls/terraform-provider-pgtls/internal/pooler"
)

type poolPasswdUserModel struct {
	Name     types.String `tfsdk:"name"`
	Password types.String `tfsdk:"password"`
	Format   types.String `tfsdk:"format"`
}

type pgpoolPasswdModel struct {
	renderedFile
	Users          types.List   `tfsdk:"users"`
	EncryptionKey  types.String `tfsdk:"encryption_key"`
	KeyFileContent types.String `tfsdk:"key_file_content"`
}

var poolPasswdFormats = []string{string(pooler.PoolPasswdAES), string(pooler.PoolPasswdMD5), string(pooler.PoolPasswdText)}

func pgpoolPasswdSchema() schema.Schema {
	attrs := map[string]schema.Attribute{
		"users": schema.ListNestedAttribute{
			MarkdownDescription: "One entry per user, in order (each user once).",
			Required:            true,
			Validators:          []validator.List{listvalidator.SizeAtLeast(1)},
			NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
				"name": schema.StringAttribute{Required: true, MarkdownDescription: "PostgreSQL role name (`:` and `\\` are escaped)."},
				"password": schema.StringAttribute{Required: true, Sensitive: true,
					MarkdownDescription: "The role's password (sensitive). `aes` entries hold at most 79 bytes and `text` entries 124: " +
						"Pgpool-II 4.3 cuts longer pool_passwd entries at 128 characters."},
				"format": optStr("`aes` (default): encrypted with `encryption_key` exactly as `pg_enc` does; Pgpool-II decrypts it and can "+
					"then log in to a PostgreSQL that uses scram-sha-256. `md5`: the md5 hash (md5 logins only; warned). `text`: the "+
					"password in clear (`TEXT` prefix; warned).", stringvalidator.OneOf(poolPasswdFormats...)),
			}},
		},
		"encryption_key": schema.StringAttribute{Optional: true, Sensitive: true,
			MarkdownDescription: "Pgpool-II's pool key for `aes` entries (sensitive; up to 255 bytes, one line). Pgpool-II reads it from " +
				"the first line of its key file: `~/.pgpoolkey` of the user running it, `$PGPOOLKEYFILE`, or `pgpool -k FILE`. " +
				"Write `key_file_content` there with mode 0600."},
		"key_file_content": schema.StringAttribute{Computed: true, Sensitive: true,
			MarkdownDescription: "The key file for Pgpool-II (`encryption_key` and a newline); empty without `aes` entries. Sensitive."},
	}
	return schema.Schema{
		MarkdownDescription: "Pgpool-II 4.3's `pool_passwd`: `user:secret` lines in the forms Pgpool-II reads, computed at plan " +
			"time (AES encryption is deterministic, byte for byte what `pg_enc -K key` prints). Use `aes` with scram-sha-256: " +
			"Pgpool-II needs the password itself, both to check the client and to log in to PostgreSQL; Pgpool-II 4.3 refuses " +
			"a SCRAM verifier in pool_passwd (\"invalid password type\"). Pgpool-II has no comment syntax here, so there is no header.",
		Attributes: mergeAttributes(attrs, renderedFileAttributes("pool_passwd")),
	}
}

func buildPgpoolPasswd(ctx context.Context, _ *providerData, m *pgpoolPasswdModel, diags *diag.Diagnostics) bool {
	if !fullyKnown(m.Users, m.EncryptionKey) {
		return false
	}
	var us []poolPasswdUserModel
	diags.Append(m.Users.ElementsAs(ctx, &us, false)...)
	if diags.HasError() {
		return false
	}
	pp := pooler.PoolPasswd{Key: m.EncryptionKey.ValueString()}
	for _, u := range us {
		format := pooler.PoolPasswdAES
		if !u.Format.IsNull() {
			format = pooler.PoolPasswdFormat(u.Format.ValueString())
		}
		pp.Users = append(pp.Users, pooler.PoolPasswdUser{Name: u.Name.ValueString(), Password: u.Password.ValueString(), Format: format})
	}
	ps := pp.Validate()
	addPoolerProblems(ps, "Invalid pool_passwd entry", "pool_passwd: weak entry", diags)
	if ps.Err() != nil {
		return false
	}
	exact, masked, err := pp.Render()
	if err != nil {
		diags.AddAttributeError(path.Root("users"), "Cannot render pool_passwd", err.Error()) // never holds a secret
		return false
	}
	m.set(exact, masked)
	m.KeyFileContent = types.StringValue(pp.KeyFile())
	secrets := []string{pp.Key}
	for _, u := range pp.Users {
		secrets = append(secrets, u.Password)
	}
	logRendered(ctx, "pool_passwd", &m.renderedFile, map[string]any{"users": len(pp.Users), "warnings": len(ps.Warnings())}, secrets...)
	return true
}

// NewPgpoolPasswdResource is the pgtls_pgpool_passwd resource.
func NewPgpoolPasswdResource() resource.Resource {
	return newRenderedResource("_pgpool_passwd", pgpoolPasswdSchema(), buildPgpoolPasswd)
}
