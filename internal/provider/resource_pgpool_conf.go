package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/float64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pgtls/terraform-provider-pgtls/internal/pooler"
)

type pgpoolBackendModel struct {
	Host            types.String  `tfsdk:"host"`
	Port            types.Int64   `tfsdk:"port"`
	Weight          types.Float64 `tfsdk:"weight"`
	Flag            types.String  `tfsdk:"flag"`
	DataDirectory   types.String  `tfsdk:"data_directory"`
	ApplicationName types.String  `tfsdk:"application_name"`
}

type pgpoolConfModel struct {
	renderedFile
	Header                     types.String `tfsdk:"header"`
	ListenAddresses            types.String `tfsdk:"listen_addresses"`
	Port                       types.Int64  `tfsdk:"port"`
	SSL                        types.Bool   `tfsdk:"ssl"`
	SSLKey                     types.String `tfsdk:"ssl_key"`
	SSLCert                    types.String `tfsdk:"ssl_cert"`
	SSLCACert                  types.String `tfsdk:"ssl_ca_cert"`
	SSLCACertDir               types.String `tfsdk:"ssl_ca_cert_dir"`
	SSLCRLFile                 types.String `tfsdk:"ssl_crl_file"`
	SSLCiphers                 types.String `tfsdk:"ssl_ciphers"`
	SSLPreferServerCiphers     types.Bool   `tfsdk:"ssl_prefer_server_ciphers"`
	SSLECDHCurve               types.String `tfsdk:"ssl_ecdh_curve"`
	SSLDHParamsFile            types.String `tfsdk:"ssl_dh_params_file"`
	SSLPassphraseCommand       types.String `tfsdk:"ssl_passphrase_command"`
	EnablePoolHBA              types.Bool   `tfsdk:"enable_pool_hba"`
	PoolPasswd                 types.String `tfsdk:"pool_passwd"`
	AllowClearTextFrontendAuth types.Bool   `tfsdk:"allow_clear_text_frontend_auth"`
	BackendClusteringMode      types.String `tfsdk:"backend_clustering_mode"`
	Backends                   types.List   `tfsdk:"backends"`
	Settings                   types.Map    `tfsdk:"settings"`
	SecretSettings             types.Map    `tfsdk:"secret_settings"`
}

func pgpoolConfSchema() schema.Schema {
	port := []validator.Int64{int64validator.Between(1024, 65535)}
	attrs := map[string]schema.Attribute{
		"header":           optStr("Comment lines at the top of the file (each gets `# `)."),
		"listen_addresses": optStr("`listen_addresses`: `*`, one IP address or host name (Pgpool-II 4.3 listens on one), or `\"\"` for the Unix socket only. Unset: `localhost`."),
		"port":             optInt64("`port` (Pgpool-II's default 9999; 1024 to 65535).", port...),
		"ssl": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false),
			MarkdownDescription: "`ssl`: TLS towards clients and (opportunistically, never verifying the host name) towards PostgreSQL. " +
				"Needs `ssl_cert` and `ssl_key`. Pgpool-II 4.3 starts WITHOUT TLS when its TLS setup fails, so everything that " +
				"can make it fail and is known at plan time is a plan error. Defaults to `false`."},
		"ssl_key":                   optStr("`ssl_key`: absolute path of Pgpool-II's private key."),
		"ssl_cert":                  optStr("`ssl_cert`: absolute path of its certificate (with intermediates)."),
		"ssl_ca_cert":               optStr("`ssl_ca_cert`: CA certificates for client certificates (`cert` in pool_hba.conf) and for PostgreSQL's certificate (verify-ca only: Pgpool-II 4.3 never checks the host name)."),
		"ssl_ca_cert_dir":           optStr("`ssl_ca_cert_dir`: hashed CA directory; without `ssl_ca_cert` Pgpool-II uses it for PostgreSQL's certificate only."),
		"ssl_crl_file":              optStr("`ssl_crl_file`: CRLs for client certificates (needs `ssl_ca_cert`; like PostgreSQL, a CRL is then needed for every CA in the chain)."),
		"ssl_ciphers":               optStr("`ssl_ciphers`: an OpenSSL cipher list (every name must be one OpenSSL 3.0 knows). Pgpool-II's default is `HIGH:MEDIUM:+3DES:!aNULL`."),
		"ssl_prefer_server_ciphers": schema.BoolAttribute{Optional: true, MarkdownDescription: "`ssl_prefer_server_ciphers`."},
		"ssl_ecdh_curve":            optStr("`ssl_ecdh_curve`: " + backtickList(pooler.PgpoolECDHCurves) + " (Pgpool-II 4.3 takes one EC curve; X25519 makes its TLS setup fail)."),
		"ssl_dh_params_file":        optStr("`ssl_dh_params_file`: absolute path of DH parameters (unreadable: Pgpool-II silently uses built-in 2048-bit ones)."),
		"ssl_passphrase_command": schema.StringAttribute{Optional: true, Sensitive: true,
			MarkdownDescription: "`ssl_passphrase_command` for an encrypted `ssl_key` (`%p` is the prompt). Sensitive: masked in `content`."},
		"enable_pool_hba": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(true),
			MarkdownDescription: "`enable_pool_hba`: check clients against pool_hba.conf (render it with `pgtls_hba_file` and `target = \"pgpool\"`, pass it with `pgpool -a`). Defaults to `true`."},
		"pool_passwd": optStr("`pool_passwd`: absolute path of pool_passwd (see `pgtls_pgpool_passwd`), or `\"\"` to disable it. Unset: `pool_passwd` beside pgpool.conf."),
		"allow_clear_text_frontend_auth": schema.BoolAttribute{Optional: true,
			MarkdownDescription: "`allow_clear_text_frontend_auth`: ask clients for a clear-text password when pool_passwd has none (warned)."},
		"backend_clustering_mode": optStr("`backend_clustering_mode`: `streaming_replication` (Pgpool-II's default), `native_replication`, `logical_replication`, `slony`, `raw` (one backend or no replication), `snapshot_isolation`."),
		"backends": schema.ListNestedAttribute{
			MarkdownDescription: "The PostgreSQL servers, in node order (`backend_hostname0`, `backend_port0`, ...).",
			Required:            true,
			Validators:          []validator.List{listvalidator.SizeBetween(1, 128)},
			NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
				"host":             schema.StringAttribute{Required: true, MarkdownDescription: "IP address, DNS name or absolute Unix socket directory."},
				"port":             schema.Int64Attribute{Required: true, MarkdownDescription: "Port (Pgpool-II 4.3 refuses ports below 1024).", Validators: port},
				"weight":           schema.Float64Attribute{Optional: true, MarkdownDescription: "Load-balancing weight.", Validators: []validator.Float64{float64validator.Between(0, 1e8)}},
				"flag":             optStr("`ALLOW_TO_FAILOVER`, `DISALLOW_TO_FAILOVER` and/or `ALWAYS_PRIMARY`, joined with `|`."),
				"data_directory":   optStr("Data directory (for online recovery)."),
				"application_name": optStr("`application_name` of the node (streaming replication)."),
			}},
		},
		"settings": schema.MapAttribute{ElementType: types.StringType, Optional: true,
			MarkdownDescription: "Other Pgpool-II 4.3 parameters (`num_init_children`, `socket_dir`, `pid_file_name`, `health_check_user0`, ...), " +
				"value as written inside quotes. Names Pgpool-II does not know (it would silently ignore them), values it would " +
				"misread (any non-boolean is read as `on`!) and parameters holding secrets are refused."},
		"secret_settings": schema.MapAttribute{ElementType: types.StringType, Optional: true, Sensitive: true,
			MarkdownDescription: "Parameters holding secrets (`sr_check_password`, `health_check_password`, `recovery_password`, " +
				"`wd_lifecheck_password`, `wd_authkey`). Sensitive: masked in `content`."},
	}
	return schema.Schema{
		MarkdownDescription: "The TLS, authentication, listen and backend part of `pgpool.conf` for Pgpool-II 4.3 (plus any " +
			"other parameter by name), checked at plan time against Pgpool-II 4.3.5's parameter table and its TLS setup. " +
			"Pgpool-II fails open in ways PostgreSQL does not: a failed TLS setup leaves it serving clear text, an unknown " +
			"parameter is ignored, an invalid boolean is read as `on`. pgtls refuses all of these.",
		Attributes: mergeAttributes(attrs, renderedFileAttributes("pgpool.conf")),
	}
}

func buildPgpoolConf(ctx context.Context, _ *providerData, m *pgpoolConfModel, diags *diag.Diagnostics) bool {
	if !fullyKnown(m.Header, m.ListenAddresses, m.Port, m.SSL, m.SSLKey, m.SSLCert, m.SSLCACert, m.SSLCACertDir, m.SSLCRLFile,
		m.SSLCiphers, m.SSLPreferServerCiphers, m.SSLECDHCurve, m.SSLDHParamsFile, m.SSLPassphraseCommand, m.EnablePoolHBA,
		m.PoolPasswd, m.AllowClearTextFrontendAuth, m.BackendClusteringMode, m.Backends, m.Settings, m.SecretSettings) {
		return false
	}
	c := pooler.PgpoolConf{
		Header: m.Header.ValueString(), ListenAddresses: optStringPtr(m.ListenAddresses), Port: optInt(m.Port),
		SSL: m.SSL.ValueBool(), SSLKey: optString(m.SSLKey), SSLCert: optString(m.SSLCert), SSLCACert: optString(m.SSLCACert),
		SSLCACertDir: optString(m.SSLCACertDir), SSLCRLFile: optString(m.SSLCRLFile), SSLCiphers: optString(m.SSLCiphers),
		SSLPreferServerCiphers: optBool(m.SSLPreferServerCiphers), SSLECDHCurve: optString(m.SSLECDHCurve),
		SSLDHParamsFile: optString(m.SSLDHParamsFile), SSLPassphraseCommand: optString(m.SSLPassphraseCommand),
		EnablePoolHBA: m.EnablePoolHBA.ValueBool(), PoolPasswd: optStringPtr(m.PoolPasswd),
		AllowClearTextFrontendAuth: optBool(m.AllowClearTextFrontendAuth), BackendClusteringMode: optString(m.BackendClusteringMode),
		Settings: stringMapOf(ctx, m.Settings, diags), SecretSettings: stringMapOf(ctx, m.SecretSettings, diags),
	}
	var bs []pgpoolBackendModel
	diags.Append(m.Backends.ElementsAs(ctx, &bs, false)...)
	for _, b := range bs {
		be := pooler.PgpoolBackend{Host: b.Host.ValueString(), Port: b.Port.ValueInt64(), Flag: optString(b.Flag),
			DataDirectory: optString(b.DataDirectory), ApplicationName: optString(b.ApplicationName)}
		if !b.Weight.IsNull() {
			w := b.Weight.ValueFloat64()
			be.Weight = &w
		}
		c.Backends = append(c.Backends, be)
	}
	if diags.HasError() {
		return false
	}
	ps := c.Validate()
	addPoolerProblems(ps, "Invalid pgpool.conf for Pgpool-II 4.3", "pgpool.conf: weak or unusual setting", diags)
	if ps.Err() != nil {
		return false
	}
	exact, err := c.Render()
	if err != nil {
		diags.AddError("Cannot render pgpool.conf", err.Error()) // problems never hold a secret
		return false
	}
	masked, _ := c.RenderMasked()
	m.set(exact, masked)
	secrets := []string{c.SSLPassphraseCommand}
	for _, v := range c.SecretSettings {
		secrets = append(secrets, v)
	}
	logRendered(ctx, "pgpool.conf", &m.renderedFile, map[string]any{"backends": len(c.Backends), "ssl": c.SSL,
		"enable_pool_hba": c.EnablePoolHBA, "warnings": len(ps.Warnings())}, secrets...)
	return true
}

// NewPgpoolConfResource is the pgtls_pgpool_conf resource.
func NewPgpoolConfResource() resource.Resource {
	return newRenderedResource("_pgpool_conf", pgpoolConfSchema(), buildPgpoolConf)
}
