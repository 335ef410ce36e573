package provider

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pgtls/terraform-provider-pgtls/internal/pgconf"
)

// postgresqlConfModel holds one field per pgconf setting (tfsdk name = the
// setting's name) plus the outputs.
type postgresqlConfModel struct {
	renderedFile
	PostgresVersion types.Int64  `tfsdk:"postgres_version"`
	HBAContent      types.String `tfsdk:"hba_content"`

	ListenAddresses                    types.List   `tfsdk:"listen_addresses"`
	SSL                                types.Bool   `tfsdk:"ssl"`
	SSLCertFile                        types.String `tfsdk:"ssl_cert_file"`
	SSLKeyFile                         types.String `tfsdk:"ssl_key_file"`
	SSLCAFile                          types.String `tfsdk:"ssl_ca_file"`
	SSLCRLFile                         types.String `tfsdk:"ssl_crl_file"`
	SSLCRLDir                          types.String `tfsdk:"ssl_crl_dir"`
	SSLCiphers                         types.String `tfsdk:"ssl_ciphers"`
	SSLPreferServerCiphers             types.Bool   `tfsdk:"ssl_prefer_server_ciphers"`
	SSLMinProtocolVersion              types.String `tfsdk:"ssl_min_protocol_version"`
	SSLMaxProtocolVersion              types.String `tfsdk:"ssl_max_protocol_version"`
	SSLECDHCurve                       types.String `tfsdk:"ssl_ecdh_curve"`
	SSLGroups                          types.String `tfsdk:"ssl_groups"`
	SSLTLS13Ciphers                    types.String `tfsdk:"ssl_tls13_ciphers"`
	SSLDHParamsFile                    types.String `tfsdk:"ssl_dh_params_file"`
	SSLPassphraseCommand               types.String `tfsdk:"ssl_passphrase_command"`
	SSLPassphraseCommandSupportsReload types.Bool   `tfsdk:"ssl_passphrase_command_supports_reload"`
	PasswordEncryption                 types.String `tfsdk:"password_encryption"`
	HBAFile                            types.String `tfsdk:"hba_file"`
	IdentFile                          types.String `tfsdk:"ident_file"`

	Parameters          types.Map `tfsdk:"parameters"`
	SensitiveParameters types.Map `tfsdk:"sensitive_parameters"`
}

// settingValues maps each setting name to its model field.
func (m *postgresqlConfModel) settingValues() map[string]attr.Value {
	return map[string]attr.Value{
		"listen_addresses": m.ListenAddresses, "ssl": m.SSL, "ssl_cert_file": m.SSLCertFile,
		"ssl_key_file": m.SSLKeyFile, "ssl_ca_file": m.SSLCAFile, "ssl_crl_file": m.SSLCRLFile,
		"ssl_crl_dir": m.SSLCRLDir, "ssl_ciphers": m.SSLCiphers, "ssl_prefer_server_ciphers": m.SSLPreferServerCiphers,
		"ssl_min_protocol_version": m.SSLMinProtocolVersion, "ssl_max_protocol_version": m.SSLMaxProtocolVersion,
		"ssl_ecdh_curve": m.SSLECDHCurve, "ssl_groups": m.SSLGroups, "ssl_tls13_ciphers": m.SSLTLS13Ciphers,
		"ssl_dh_params_file": m.SSLDHParamsFile, "ssl_passphrase_command": m.SSLPassphraseCommand,
		"ssl_passphrase_command_supports_reload": m.SSLPassphraseCommandSupportsReload,
		"password_encryption":                    m.PasswordEncryption, "hba_file": m.HBAFile, "ident_file": m.IdentFile,
	}
}

// NewPostgresqlConfResource is the pgtls_postgresql_conf resource.
func NewPostgresqlConfResource() resource.Resource {
	return newRenderedResource("_postgresql_conf", postgresqlConfSchema(), buildPostgresqlConf)
}

func postgresqlConfSchema() schema.Schema {
	attrs := map[string]schema.Attribute{
		"postgres_version": versionAttribute(),
		"hba_content": schema.StringAttribute{Optional: true,
			MarkdownDescription: "The pg_hba.conf the server runs with (for example `pgtls_hba_file.main.content`). " +
				"When given, the plan fails for combinations PostgreSQL refuses when it loads it: hostssl rules with " +
				"`ssl = false`, `cert` or `clientcert=` without `ssl_ca_file`."},
		"parameters": schema.MapAttribute{Computed: true, ElementType: types.StringType,
			MarkdownDescription: "Setting to raw value (booleans `on`/`off`), for tools that take parameters: " +
				"`ALTER SYSTEM SET`, CloudNativePG's `postgresql.parameters`, ... `ssl_passphrase_command` is shown as " +
				"`(sensitive)`: use `sensitive_parameters`."},
		"sensitive_parameters": schema.MapAttribute{Computed: true, Sensitive: true, ElementType: types.StringType,
			MarkdownDescription: "`parameters` with every value exact. Always sensitive."},
	}
	for _, s := range pgconf.Settings {
		desc := s.Description
		if s.MinVersion > pgconf.MinVersion {
			desc += " The plan fails when `postgres_version` is older."
		}
		if s.Restart {
			desc += " Takes effect at server start."
		}
		switch s.Kind {
		case pgconf.KindBool:
			attrs[s.Name] = schema.BoolAttribute{Optional: true, MarkdownDescription: desc}
		case pgconf.KindList:
			attrs[s.Name] = schema.ListAttribute{Optional: true, ElementType: types.StringType, MarkdownDescription: desc,
				Validators: []validator.List{listvalidator.SizeAtMost(64)}}
		default:
			a := schema.StringAttribute{Optional: true, Sensitive: s.Secret, MarkdownDescription: desc,
				Validators: []validator.String{stringvalidator.LengthAtMost(4096)}}
			if s.Kind == pgconf.KindEnum {
				a.Validators = append(a.Validators, stringvalidator.OneOf(s.Enum...))
			}
			attrs[s.Name] = a
		}
	}
	return schema.Schema{
		MarkdownDescription: "The TLS and authentication part of `postgresql.conf` for one PostgreSQL major version " +
			"(13 to 18), known at plan time: a snippet for `include` / `conf.d` with PostgreSQL's quoting and a map " +
			"of setting to value. Settings the chosen version does not know, values the server refuses and " +
			"combinations it refuses with the given pg_hba.conf fail the plan; settings that weaken TLS (NULL, " +
			"aNULL, eNULL, EXPORT, RC4 ciphers, TLS below 1.2, `ssl = false`, md5) are plan warnings. Unset " +
			"settings are not rendered except `ssl` (on), `ssl_min_protocol_version` (TLSv1.2) and " +
			"`password_encryption` (scram-sha-256). `content` replaces the `ssl_passphrase_command` line by a " +
			"comment; `sensitive_content` is the exact snippet to load with `include` (or from an `include_dir` " +
			"such as `conf.d`).",
		Attributes: mergeAttributes(renderedFileAttributes("postgresql.conf snippet"), attrs),
	}
}

func buildPostgresqlConf(ctx context.Context, data *providerData, m *postgresqlConfModel, diags *diag.Diagnostics) bool {
	vals := m.settingValues()
	all := []attr.Value{m.PostgresVersion, m.HBAContent}
	for _, v := range vals {
		all = append(all, v)
	}
	for _, v := range all {
		if v.IsUnknown() {
			return false
		}
	}
	if l, ok := vals["listen_addresses"].(types.List); ok && !l.IsNull() {
		for _, e := range l.Elements() {
			if e.IsUnknown() {
				return false
			}
		}
	}
	cfg := pgconf.Config{Version: versionOf(m.PostgresVersion, data), Values: map[string]string{}, HBA: m.HBAContent.ValueString()}
	for name, v := range vals {
		if v.IsNull() {
			continue
		}
		switch x := v.(type) {
		case types.Bool:
			cfg.Values[name] = map[bool]string{true: "on", false: "off"}[x.ValueBool()]
		case types.String:
			cfg.Values[name] = x.ValueString()
		case types.List:
			var elems []string
			diags.Append(x.ElementsAs(ctx, &elems, false)...)
			cfg.Values[name] = strings.Join(elems, ",")
		}
	}
	for _, p := range cfg.Validate() {
		at := path.Root(p.Setting)
		switch p.Setting {
		case "hba":
			at = path.Root("hba_content")
		}
		if p.Severity == pgconf.Error {
			diags.AddAttributeError(at, p.Summary, p.Message)
		} else {
			diags.AddAttributeWarning(at, p.Summary, p.Message)
		}
	}
	if diags.HasError() {
		return false
	}
	out, err := cfg.Render()
	if err != nil {
		diags.AddError("Cannot render postgresql.conf settings", err.Error())
		return false
	}
	m.set(out.Snippet, out.MaskedSnippet)
	tflog.Debug(logCtx(ctx, "postgresql_conf", cfg.Values["ssl_passphrase_command"]), "rendered postgresql.conf settings", map[string]any{
		"postgres_version": cfg.Version, "settings": len(out.Parameters), "sha256": m.SHA256.ValueString(),
		"has_secret": out.HasSecret, "warnings": len(diags.Warnings()),
	})
	var d diag.Diagnostics
	m.Parameters, d = types.MapValueFrom(ctx, types.StringType, out.MaskedParameters)
	diags.Append(d...)
	m.SensitiveParameters, d = types.MapValueFrom(ctx, types.StringType, out.Parameters)
	diags.Append(d...)
	return !diags.HasError()
}
