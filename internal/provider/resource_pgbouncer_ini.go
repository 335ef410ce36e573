package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pgtls/terraform-provider-pgtls/internal/pooler"
)

type bouncerDatabaseModel struct {
	Name             types.String `tfsdk:"name"`
	Host             types.String `tfsdk:"host"`
	Port             types.Int64  `tfsdk:"port"`
	DBName           types.String `tfsdk:"dbname"`
	User             types.String `tfsdk:"user"`
	Password         types.String `tfsdk:"password"`
	AuthUser         types.String `tfsdk:"auth_user"`
	AuthDBName       types.String `tfsdk:"auth_dbname"`
	AuthQuery        types.String `tfsdk:"auth_query"`
	PoolSize         types.Int64  `tfsdk:"pool_size"`
	MinPoolSize      types.Int64  `tfsdk:"min_pool_size"`
	ReservePool      types.Int64  `tfsdk:"reserve_pool"`
	MaxDBConnections types.Int64  `tfsdk:"max_db_connections"`
	PoolMode         types.String `tfsdk:"pool_mode"`
	ConnectQuery     types.String `tfsdk:"connect_query"`
	ApplicationName  types.String `tfsdk:"application_name"`
	ClientEncoding   types.String `tfsdk:"client_encoding"`
	Datestyle        types.String `tfsdk:"datestyle"`
	Timezone         types.String `tfsdk:"timezone"`
}

type bouncerUserModel struct {
	Name               types.String `tfsdk:"name"`
	PoolMode           types.String `tfsdk:"pool_mode"`
	MaxUserConnections types.Int64  `tfsdk:"max_user_connections"`
}

type pgbouncerINIModel struct {
	renderedFile
	PgBouncerVersion   types.String `tfsdk:"pgbouncer_version"`
	Header             types.String `tfsdk:"header"`
	Databases          types.List   `tfsdk:"databases"`
	Users              types.List   `tfsdk:"users"`
	ListenAddr         types.List   `tfsdk:"listen_addr"`
	ListenPort         types.Int64  `tfsdk:"listen_port"`
	UnixSocketDir      types.String `tfsdk:"unix_socket_dir"`
	AuthType           types.String `tfsdk:"auth_type"`
	AuthFile           types.String `tfsdk:"auth_file"`
	AuthHBAFile        types.String `tfsdk:"auth_hba_file"`
	AuthIdentFile      types.String `tfsdk:"auth_ident_file"`
	AuthUser           types.String `tfsdk:"auth_user"`
	AuthQuery          types.String `tfsdk:"auth_query"`
	AuthDBName         types.String `tfsdk:"auth_dbname"`
	AdminUsers         types.List   `tfsdk:"admin_users"`
	StatsUsers         types.List   `tfsdk:"stats_users"`
	PoolMode           types.String `tfsdk:"pool_mode"`
	LogFile            types.String `tfsdk:"logfile"`
	PidFile            types.String `tfsdk:"pidfile"`
	ClientTLSSSLMode   types.String `tfsdk:"client_tls_sslmode"`
	ClientTLSCAFile    types.String `tfsdk:"client_tls_ca_file"`
	ClientTLSCertFile  types.String `tfsdk:"client_tls_cert_file"`
	ClientTLSKeyFile   types.String `tfsdk:"client_tls_key_file"`
	ClientTLSProtocols types.String `tfsdk:"client_tls_protocols"`
	ClientTLSCiphers   types.String `tfsdk:"client_tls_ciphers"`
	ClientTLS13Ciphers types.String `tfsdk:"client_tls13_ciphers"`
	ClientTLSDHEParams types.String `tfsdk:"client_tls_dheparams"`
	ClientTLSECDHCurve types.String `tfsdk:"client_tls_ecdhcurve"`
	ServerTLSSSLMode   types.String `tfsdk:"server_tls_sslmode"`
	ServerTLSCAFile    types.String `tfsdk:"server_tls_ca_file"`
	ServerTLSCertFile  types.String `tfsdk:"server_tls_cert_file"`
	ServerTLSKeyFile   types.String `tfsdk:"server_tls_key_file"`
	ServerTLSProtocols types.String `tfsdk:"server_tls_protocols"`
	ServerTLSCiphers   types.String `tfsdk:"server_tls_ciphers"`
	ServerTLS13Ciphers types.String `tfsdk:"server_tls13_ciphers"`
	Settings           types.Map    `tfsdk:"settings"`
}

func optStr(desc string, v ...validator.String) schema.StringAttribute {
	return schema.StringAttribute{MarkdownDescription: desc, Optional: true, Validators: v}
}

func optInt64(desc string, v ...validator.Int64) schema.Int64Attribute {
	return schema.Int64Attribute{MarkdownDescription: desc, Optional: true, Validators: v}
}

func sslModeAttr(side, def string) schema.StringAttribute {
	return optStr("`"+side+"_tls_sslmode`: "+backtickList(pooler.SSLModes)+". "+def, stringvalidator.OneOf(pooler.SSLModes...))
}

func pgBouncerINISchema() schema.Schema {
	count := []validator.Int64{int64validator.Between(0, 1<<31-1)}
	dbAttrs := map[string]schema.Attribute{
		"name": schema.StringAttribute{Required: true, MarkdownDescription: "Database name clients connect to " +
			"(letters, digits, `_`, `.`, `-`; `*` is the fallback for any other name). `pgbouncer` is the admin console."},
		"host": optStr("PostgreSQL's IP address, DNS name, or absolute directory of its Unix socket. Unset: the socket in " +
			"`/tmp`. PgBouncer never uses TLS on a Unix socket, so with `server_tls_sslmode` `require` or stronger the " +
			"host must be a TCP address."),
		"port":               optInt64("PostgreSQL's port (default 5432).", int64validator.Between(1, 65535)),
		"dbname":             optStr("Database name on PostgreSQL (default: `name`)."),
		"user":               optStr("Forced user: every client of this database logs in to PostgreSQL as this role."),
		"password":           schema.StringAttribute{Optional: true, Sensitive: true, MarkdownDescription: "Password of the forced `user` (sensitive: masked in `content`)."},
		"auth_user":          optStr("User whose connection runs `auth_query` for this database."),
		"auth_dbname":        optStr("Database `auth_query` runs in (PgBouncer 1.19+)."),
		"auth_query":         optStr("Per-database `auth_query` (PgBouncer 1.22+)."),
		"pool_size":          optInt64("Pool size for this database.", count...),
		"min_pool_size":      optInt64("Minimum pool size.", count...),
		"reserve_pool":       optInt64("Extra connections allowed under load.", count...),
		"max_db_connections": optInt64("Limit of server connections to this database.", count...),
		"pool_mode":          optStr("`session`, `transaction` or `statement`.", stringvalidator.OneOf(pooler.PoolModes...)),
		"connect_query":      optStr("Query run on every new server connection."),
		"application_name":   optStr("`application_name` sent to PostgreSQL."),
		"client_encoding":    optStr("`client_encoding` sent to PostgreSQL."),
		"datestyle":          optStr("`DateStyle` sent to PostgreSQL."),
		"timezone":           optStr("`TimeZone` sent to PostgreSQL."),
	}
	attrs := map[string]schema.Attribute{
		"pgbouncer_version": schema.StringAttribute{
			MarkdownDescription: "PgBouncer version the file is written for and checked against: " + backtickList(pooler.PgBouncerVersions()) +
				". Defaults to `1.18` (Debian bookworm). Settings later versions added are refused for earlier ones, naming the version that has them.",
			Optional: true, Computed: true, Default: stringdefault.StaticString("1.18"),
			Validators: []validator.String{stringvalidator.OneOf(pooler.PgBouncerVersions()...)},
		},
		"header": optStr("Comment lines at the top of the file (each gets `;; `)."),
		"databases": schema.ListNestedAttribute{
			MarkdownDescription: "The `[databases]` section, in order. Values are quoted the way PgBouncer's connection-string parser reads them.",
			Optional:            true,
			NestedObject:        schema.NestedAttributeObject{Attributes: dbAttrs},
		},
		"users": schema.ListNestedAttribute{
			MarkdownDescription: "The `[users]` section: per-user `pool_mode` / `max_user_connections`. PgBouncer 1.18 then knows the user with an " +
				"empty password even if `auth_file` does not list it: no `auth_query` lookup for it, and trust lets it in (a plan warning).",
			Optional: true,
			NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
				"name":                 schema.StringAttribute{Required: true, MarkdownDescription: "User name (letters, digits, `_`, `.`, `-`)."},
				"pool_mode":            optStr("`session`, `transaction` or `statement`.", stringvalidator.OneOf(pooler.PoolModes...)),
				"max_user_connections": optInt64("Limit of server connections for this user.", count...),
			}},
		},
		"listen_addr": schema.ListAttribute{ElementType: types.StringType, Optional: true,
			MarkdownDescription: "`listen_addr`: `[\"*\"]` or IP addresses / host names. Empty or unset: Unix socket only."},
		"listen_port":     optInt64("`listen_port` (PgBouncer's default 6432).", int64validator.Between(1, 65535)),
		"unix_socket_dir": optStr("`unix_socket_dir`: absolute directory, `@name` (Linux abstract namespace) or `\"\"` to disable the socket. Unset: `/tmp`."),
		"auth_type": schema.StringAttribute{Required: true, MarkdownDescription: "`auth_type`: " + backtickList(pooler.PgBouncerAuthTypes(pooler.MaxPgBouncerVersion)) +
			" (`ldap` from 1.25). `cert` needs `client_tls_sslmode = \"verify-full\"` and `client_tls_ca_file`; `hba` needs `auth_hba_file` " +
			"(render it with `pgtls_hba_file` and `target = \"pgbouncer\"`). PgBouncer compares the user name with the client certificate " +
			"like a host name: DNS SANs first, then the CN, case-insensitively."},
		"auth_file":       optStr("`auth_file` (userlist.txt, see `pgtls_pgbouncer_userlist`): absolute path."),
		"auth_hba_file":   optStr("`auth_hba_file`: absolute path; only with `auth_type = \"hba\"`."),
		"auth_ident_file": optStr("`auth_ident_file` (PgBouncer 1.23+, `map=` in auth_hba_file)."),
		"auth_user":       optStr("`auth_user`: the user whose connection runs `auth_query` for users missing from `auth_file`."),
		"auth_query":      optStr("`auth_query` (only used with an `auth_user`)."),
		"auth_dbname":     optStr("`auth_dbname` (PgBouncer 1.19+)."),
		"admin_users": schema.ListAttribute{ElementType: types.StringType, Optional: true,
			MarkdownDescription: "`admin_users`: users allowed on the admin console (`pgbouncer` database)."},
		"stats_users": schema.ListAttribute{ElementType: types.StringType, Optional: true,
			MarkdownDescription: "`stats_users`: users allowed read-only SHOW commands on the admin console."},
		"pool_mode": optStr("`pool_mode`: `session` (PgBouncer's default), `transaction` or `statement`.", stringvalidator.OneOf(pooler.PoolModes...)),
		"logfile":   optStr("`logfile`: absolute path."),
		"pidfile":   optStr("`pidfile`: absolute path."),
		"client_tls_sslmode": sslModeAttr("client", "Defaults to `require` when `client_tls_cert_file` and `client_tls_key_file` "+
			"are set, else `disable`; always written explicitly. `verify-ca`/`verify-full` require a client certificate."),
		"client_tls_ca_file":   optStr("`client_tls_ca_file`: CA certificates client certificates must chain to. Required with `verify-ca`, `verify-full`, `auth_type = \"cert\"` or `\"hba\"` (without it PgBouncer trusts the operating system's public CAs)."),
		"client_tls_cert_file": optStr("`client_tls_cert_file`: PgBouncer's server certificate (with intermediates)."),
		"client_tls_key_file":  optStr("`client_tls_key_file`: its private key."),
		"client_tls_protocols": optStr("`client_tls_protocols`: `secure` (TLS 1.2 and 1.3), `tlsv1.2`, `tlsv1.3`, ... separated by commas."),
		"client_tls_ciphers":   optStr("`client_tls_ciphers`: `fast`, `normal`, `secure`, `default` or an OpenSSL cipher list (every name must be one OpenSSL 3.0 knows)."),
		"client_tls13_ciphers": optStr("`client_tls13_ciphers` (PgBouncer 1.25+): TLS 1.3 suites separated by `:`."),
		"client_tls_dheparams": optStr("`client_tls_dheparams`: `none`, `auto` or `legacy`."),
		"client_tls_ecdhcurve": optStr("`client_tls_ecdhcurve`: `none`, `auto`, `prime256v1`, `secp384r1` or `secp521r1`."),
		"server_tls_sslmode": sslModeAttr("server", "Defaults to PgBouncer's own default for the version (`disable` up to 1.19, "+
			"`prefer` from 1.20); always written explicitly. Only `verify-full` checks PostgreSQL's identity."),
		"server_tls_ca_file":   optStr("`server_tls_ca_file`: CA certificates PostgreSQL's certificate must chain to (required with `verify-ca`/`verify-full`)."),
		"server_tls_cert_file": optStr("`server_tls_cert_file`: PgBouncer's client certificate for PostgreSQL (for `cert` authentication there)."),
		"server_tls_key_file":  optStr("`server_tls_key_file`: its private key."),
		"server_tls_protocols": optStr("`server_tls_protocols`, as `client_tls_protocols`."),
		"server_tls_ciphers":   optStr("`server_tls_ciphers`, as `client_tls_ciphers`."),
		"server_tls13_ciphers": optStr("`server_tls13_ciphers` (PgBouncer 1.25+)."),
		"settings": schema.MapAttribute{ElementType: types.StringType, Optional: true,
			MarkdownDescription: "Any other `[pgbouncer]` setting of the version, value as PgBouncer reads it (numbers, seconds, strings). " +
				"Unknown names, names of later versions and settings that have their own attribute are refused."},
	}
	return schema.Schema{
		MarkdownDescription: "A whole `pgbouncer.ini` (`[databases]`, `[users]`, `[pgbouncer]`) for PgBouncer 1.18 (or a later " +
			"`pgbouncer_version`), checked at plan time against what that PgBouncer accepts. Everything PgBouncer would refuse " +
			"(it stops), ignore or silently weaken is a plan error: TLS settings without the files they need, `verify-*` " +
			"without a CA file (PgBouncer would fall back to the system's public CAs), `server_tls_sslmode` on a Unix-socket " +
			"database (PgBouncer would connect in clear text), unknown cipher names, an `auth_hba_file` without `auth_type = \"hba\"`, ...",
		Attributes: mergeAttributes(attrs, renderedFileAttributes("pgbouncer.ini")),
	}
}

func buildPgBouncerINI(ctx context.Context, _ *providerData, m *pgbouncerINIModel, diags *diag.Diagnostics) bool {
	if !fullyKnown(m.PgBouncerVersion, m.Header, m.Databases, m.Users, m.ListenAddr, m.ListenPort, m.UnixSocketDir, m.AuthType,
		m.AuthFile, m.AuthHBAFile, m.AuthIdentFile, m.AuthUser, m.AuthQuery, m.AuthDBName, m.AdminUsers, m.StatsUsers, m.PoolMode,
		m.LogFile, m.PidFile, m.ClientTLSSSLMode, m.ClientTLSCAFile, m.ClientTLSCertFile, m.ClientTLSKeyFile, m.ClientTLSProtocols,
		m.ClientTLSCiphers, m.ClientTLS13Ciphers, m.ClientTLSDHEParams, m.ClientTLSECDHCurve, m.ServerTLSSSLMode, m.ServerTLSCAFile,
		m.ServerTLSCertFile, m.ServerTLSKeyFile, m.ServerTLSProtocols, m.ServerTLSCiphers, m.ServerTLS13Ciphers, m.Settings) {
		return false
	}
	v, err := pooler.ParsePgBouncerVersion(m.PgBouncerVersion.ValueString())
	if err != nil {
		diags.AddAttributeError(poolerPath(pooler.At("pgbouncer_version")), "Unsupported PgBouncer version", err.Error())
		return false
	}
	c := pooler.PgBouncerINI{
		Version: v, Header: m.Header.ValueString(),
		ListenAddr: stringsOf(ctx, m.ListenAddr, diags), ListenPort: optInt(m.ListenPort), UnixSocketDir: optStringPtr(m.UnixSocketDir),
		AuthType: m.AuthType.ValueString(), AuthFile: optString(m.AuthFile), AuthHBAFile: optString(m.AuthHBAFile),
		AuthIdentFile: optString(m.AuthIdentFile), AuthUser: optString(m.AuthUser), AuthQuery: optString(m.AuthQuery),
		AuthDBName: optString(m.AuthDBName), AdminUsers: stringsOf(ctx, m.AdminUsers, diags), StatsUsers: stringsOf(ctx, m.StatsUsers, diags),
		PoolMode: optString(m.PoolMode), LogFile: optString(m.LogFile), PidFile: optString(m.PidFile),
		ClientTLS: pooler.PgBouncerTLS{
			SSLMode: optString(m.ClientTLSSSLMode), CAFile: optString(m.ClientTLSCAFile), CertFile: optString(m.ClientTLSCertFile),
			KeyFile: optString(m.ClientTLSKeyFile), Protocols: optString(m.ClientTLSProtocols), Ciphers: optString(m.ClientTLSCiphers),
			TLS13Ciphers: optString(m.ClientTLS13Ciphers), DHEParams: optString(m.ClientTLSDHEParams), ECDHCurve: optString(m.ClientTLSECDHCurve),
		},
		ServerTLS: pooler.PgBouncerTLS{
			SSLMode: optString(m.ServerTLSSSLMode), CAFile: optString(m.ServerTLSCAFile), CertFile: optString(m.ServerTLSCertFile),
			KeyFile: optString(m.ServerTLSKeyFile), Protocols: optString(m.ServerTLSProtocols), Ciphers: optString(m.ServerTLSCiphers),
			TLS13Ciphers: optString(m.ServerTLS13Ciphers),
		},
		Settings: stringMapOf(ctx, m.Settings, diags),
	}
	if !m.Databases.IsNull() {
		var dbs []bouncerDatabaseModel
		diags.Append(m.Databases.ElementsAs(ctx, &dbs, false)...)
		for _, d := range dbs {
			c.Databases = append(c.Databases, pooler.PgBouncerDatabase{
				Name: d.Name.ValueString(), Host: optString(d.Host), Port: optInt(d.Port), DBName: optString(d.DBName),
				User: optString(d.User), Password: optString(d.Password), AuthUser: optString(d.AuthUser),
				AuthDBName: optString(d.AuthDBName), AuthQuery: optString(d.AuthQuery), PoolSize: optInt(d.PoolSize),
				MinPoolSize: optInt(d.MinPoolSize), ReservePool: optInt(d.ReservePool), MaxDBConnections: optInt(d.MaxDBConnections),
				PoolMode: optString(d.PoolMode), ConnectQuery: optString(d.ConnectQuery), ApplicationName: optString(d.ApplicationName),
				ClientEncoding: optString(d.ClientEncoding), Datestyle: optString(d.Datestyle), Timezone: optString(d.Timezone),
			})
		}
	}
	if !m.Users.IsNull() {
		var us []bouncerUserModel
		diags.Append(m.Users.ElementsAs(ctx, &us, false)...)
		for _, u := range us {
			c.Users = append(c.Users, pooler.PgBouncerUser{Name: u.Name.ValueString(), PoolMode: optString(u.PoolMode), MaxUserConnections: optInt(u.MaxUserConnections)})
		}
	}
	if diags.HasError() {
		return false
	}
	ps := c.Validate()
	addPoolerProblems(ps, "Invalid pgbouncer.ini for PgBouncer "+v.String(), "pgbouncer.ini: weak or unusual setting", diags)
	if ps.Err() != nil {
		return false
	}
	exact, err := c.Render()
	if err != nil {
		diags.AddError("Cannot render pgbouncer.ini", err.Error())
		return false
	}
	masked, _ := c.RenderMasked()
	m.set(exact, masked)
	var secrets []string
	for _, d := range c.Databases {
		secrets = append(secrets, d.Password)
	}
	logRendered(ctx, "pgbouncer.ini", &m.renderedFile, map[string]any{"pgbouncer_version": v.String(), "databases": len(c.Databases),
		"auth_type": c.AuthType, "warnings": len(ps.Warnings())}, secrets...)
	return true
}

// NewPgBouncerINIResource is the pgtls_pgbouncer_ini resource.
func NewPgBouncerINIResource() resource.Resource {
	return newRenderedResource("_pgbouncer_ini", pgBouncerINISchema(), buildPgBouncerINI)
}
