package provider

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pgtls/terraform-provider-pgtls/internal/libpq"
	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
)

type libpqBundleModel struct {
	Hosts         types.List   `tfsdk:"hosts"`
	Ports         types.List   `tfsdk:"ports"`
	DBName        types.String `tfsdk:"dbname"`
	User          types.String `tfsdk:"user"`
	IdentMap      types.String `tfsdk:"ident_map"`
	SSLMode       types.String `tfsdk:"sslmode"`
	Directory     types.String `tfsdk:"directory"`
	CertPEM       types.String `tfsdk:"cert_pem"`
	PrivateKeyPEM types.String `tfsdk:"private_key_pem"`
	RootCertPEM   types.String `tfsdk:"root_cert_pem"`
	CRLPEM        types.String `tfsdk:"crl_pem"`
	Params        types.Map    `tfsdk:"params"`
	ServiceName   types.String `tfsdk:"service_name"`

	ID             types.String `tfsdk:"id"`
	Files          types.List   `tfsdk:"files"`
	KeyPK8Base64   types.String `tfsdk:"private_key_pk8_base64"`
	Env            types.Map    `tfsdk:"env"`
	Conninfo       types.String `tfsdk:"conninfo"`
	URI            types.String `tfsdk:"uri"`
	PgxConninfo    types.String `tfsdk:"pgx_conninfo"`
	PgxURI         types.String `tfsdk:"pgx_uri"`
	ServiceSection types.String `tfsdk:"service_section"`
	JDBCURL        types.String `tfsdk:"jdbc_url"`
	JDBCProperties types.Map    `tfsdk:"jdbc_properties"`
}

var bundleFileAttrTypes = map[string]attr.Type{
	"name": types.StringType, "path": types.StringType, "mode": types.StringType,
	"secret": types.BoolType, "content": types.StringType,
}

// NewLibpqBundleResource is the pgtls_libpq_bundle resource (rendered content
// known at plan time, see rendered.go).
func NewLibpqBundleResource() resource.Resource {
	return newRenderedResource("_libpq_bundle", libpqBundleSchema(), buildLibpqBundle)
}

func libpqBundleSchema() schema.Schema {
	pemAttr := func(desc string, sensitive bool) schema.StringAttribute {
		return schema.StringAttribute{Optional: true, Sensitive: sensitive, MarkdownDescription: desc,
			Validators: []validator.String{stringvalidator.LengthAtMost(1 << 20)}}
	}
	return schema.Schema{
		MarkdownDescription: "What a libpq client (psql, libpq drivers; pgx and pgJDBC variants included) needs to " +
			"log in to one server with one client certificate, known at plan time: the files with their names " +
			"and modes (`postgresql.crt`, `postgresql.key` 0600, `root.crt`, `root.crl`, `postgresql.pk8`) in " +
			"`~/.postgresql/` or a directory, the `PG*` environment, a keyword/value conninfo and a " +
			"`postgresql://` URI with libpq's quoting and percent-encoding, a `pg_service.conf` section and " +
			"pgJDBC properties. Holds no password: use a password file or set it at run time.",
		Attributes: map[string]schema.Attribute{
			"hosts": schema.ListAttribute{Required: true, ElementType: types.StringType,
				MarkdownDescription: "Host names, IP addresses (IPv6 without brackets) or absolute Unix-socket " +
					"directories, tried in order (libpq host lists).",
				Validators: []validator.List{listvalidator.SizeBetween(1, 64)}},
			"ports": schema.ListAttribute{Optional: true, ElementType: types.Int64Type,
				MarkdownDescription: "One port for every host, or one per host. Unset: libpq's default (5432).",
				Validators:          []validator.List{listvalidator.SizeAtMost(64)}},
			"dbname": schema.StringAttribute{Optional: true, MarkdownDescription: "Database name."},
			"user":   schema.StringAttribute{Optional: true, MarkdownDescription: "Role name (for `cert` authentication, the certificate's CN unless a pg_ident map says otherwise)."},
			"ident_map": schema.StringAttribute{Optional: true,
				MarkdownDescription: "The `pg_ident.conf` map (`map=` of the server's `cert` rule) that lets the certificate's " +
					"identity log in as `user`. Only documents the mapping: with it, a `user` that differs from the " +
					"certificate's CN is not a plan warning. Nothing is rendered from it."},
			"sslmode": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("verify-full"),
				MarkdownDescription: "libpq sslmode; defaults to `verify-full`. Anything weaker is a plan warning.",
				Validators:          []validator.String{stringvalidator.OneOf(libpq.SSLModes...)}},
			"directory": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Absolute directory the files go to; conninfo, URI, service and environment then name " +
					"them explicitly. Unset: the `~/.postgresql/` layout of the client's OS user, which libpq reads by " +
					"itself (the file paths are left out)."},
			"cert_pem":        pemAttr("Client certificate chain (a `pgtls_client_cert`'s `fullchain_pem`).", false),
			"private_key_pem": pemAttr("Client private key. Sensitive.", true),
			"root_cert_pem":   pemAttr("Trust anchors for the server certificate (`root.crt`). Required by `verify-ca` and `verify-full`.", false),
			"crl_pem":         pemAttr("CRLs checked against the server's certificate chain (`root.crl`).", false),
			"params": schema.MapAttribute{Optional: true, ElementType: types.StringType,
				MarkdownDescription: "More libpq keywords (`application_name`, `connect_timeout`, `target_session_attrs`, " +
					"`channel_binding`, ...). Keywords the bundle sets itself and secrets (`password`, `sslpassword`) are refused.",
				Validators: []validator.Map{mapvalidator.SizeAtMost(64)}},
			"service_name": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("pgtls"),
				MarkdownDescription: "Name of the `pg_service.conf` section. Defaults to `pgtls`."},
			"id": computedString("SHA-256 of `conninfo`."),
			"files": schema.ListNestedAttribute{Computed: true,
				MarkdownDescription: "The files to install, with `name`, `path` (`~/.postgresql/...` in the default layout), " +
					"`mode` (octal), `secret` and `content` (null for the secret key files: take them from " +
					"`private_key_pem` and `private_key_pk8_base64`).",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name": computedString("File name."), "path": computedString("Path."),
					"mode": computedString("Octal mode (`0600` for keys)."), "secret": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the file holds a key."},
					"content": computedString("Content (null for key files)."),
				}}},
			"private_key_pk8_base64": schema.StringAttribute{Computed: true, Sensitive: true,
				MarkdownDescription: "The key as DER PKCS#8, base64, for `postgresql.pk8` (pgJDBC). Sensitive; null without a key."},
			"env": schema.MapAttribute{Computed: true, ElementType: types.StringType,
				MarkdownDescription: "libpq environment: `PGHOST`, `PGPORT`, `PGDATABASE`, `PGUSER`, `PGSSLMODE`, `PGSSLCERT`, " +
					"`PGSSLKEY`, `PGSSLROOTCERT`, `PGSSLCRL` and the variables of `params` that have one."},
			"conninfo": computedString("Keyword/value connection string for libpq (`psql \"<conninfo>\"`)."),
			"uri":      computedString("`postgresql://` URI for libpq."),
			"pgx_conninfo": computedString("`conninfo` without `sslcrl`/`sslcrldir`, which pgx v5 does not know and forwards " +
				"to the server (which then refuses the connection). pgx checks no CRL."),
			"pgx_uri":         computedString("`uri` without `sslcrl`/`sslcrldir`, for pgx."),
			"service_section": computedString("A `pg_service.conf` section (`PGSERVICEFILE`, then `service=<name>`)."),
			"jdbc_url":        computedString("pgJDBC URL (`jdbc:postgresql://host:port,.../dbname`); null with Unix-socket hosts."),
			"jdbc_properties": schema.MapAttribute{Computed: true, ElementType: types.StringType,
				MarkdownDescription: "pgJDBC connection properties (`user`, `sslmode`, `sslcert`, `sslkey` = the `.pk8`, `sslrootcert`)."},
		},
	}
}

func buildLibpqBundle(ctx context.Context, _ *providerData, m *libpqBundleModel, diags *diag.Diagnostics) bool {
	in := []attr.Value{m.Hosts, m.Ports, m.DBName, m.User, m.IdentMap, m.SSLMode, m.Directory, m.CertPEM, m.PrivateKeyPEM, m.RootCertPEM, m.CRLPEM, m.Params, m.ServiceName}
	for _, v := range in {
		if v.IsUnknown() {
			return false
		}
	}
	b := libpq.Bundle{DB: m.DBName.ValueString(), User: m.User.ValueString(), IdentMap: m.IdentMap.ValueString(), SSLMode: m.SSLMode.ValueString(),
		Dir: m.Directory.ValueString(), CertPEM: m.CertPEM.ValueString(), KeyPEM: m.PrivateKeyPEM.ValueString(),
		RootCertPEM: m.RootCertPEM.ValueString(), CRLPEM: m.CRLPEM.ValueString(), Service: m.ServiceName.ValueString()}
	for _, l := range []types.List{m.Hosts, m.Ports} {
		for _, e := range l.Elements() {
			if e.IsUnknown() {
				return false
			}
		}
	}
	diags.Append(m.Hosts.ElementsAs(ctx, &b.Hosts, false)...)
	var ports []int64
	diags.Append(m.Ports.ElementsAs(ctx, &ports, false)...)
	for _, p := range ports {
		b.Ports = append(b.Ports, int(p))
	}
	var params map[string]string
	if !m.Params.IsNull() {
		for _, e := range m.Params.Elements() {
			if e.IsUnknown() {
				return false
			}
		}
		diags.Append(m.Params.ElementsAs(ctx, &params, false)...)
	}
	for k, v := range params {
		b.Params = append(b.Params, libpq.Param{Key: k, Value: v})
	}
	libpq.SortParams(b.Params)
	if diags.HasError() {
		return false
	}
	for _, p := range b.Validate() {
		at := bundlePath(p.Field, b.Params)
		if p.Severity == "error" {
			diags.AddAttributeError(at, "Invalid libpq client bundle", p.Message)
		} else {
			diags.AddAttributeWarning(at, "Weak libpq client bundle", p.Message)
		}
	}
	var pk8 []byte
	if b.KeyPEM != "" {
		key, err := pki.ParsePrivateKeyPEM(b.KeyPEM)
		if err != nil {
			diags.AddAttributeError(path.Root("private_key_pem"), "Invalid private key", err.Error())
			return false
		}
		s, err := pki.PKCS8DERBase64(key)
		if err != nil {
			diags.AddAttributeError(path.Root("private_key_pem"), "Invalid private key", err.Error())
			return false
		}
		pk8, _ = base64.StdEncoding.DecodeString(s)
	}
	if diags.HasError() {
		return false
	}
	out, err := b.Render(pk8)
	if err != nil {
		diags.AddError("Cannot render the libpq client bundle", err.Error())
		return false
	}
	var files []attr.Value
	m.KeyPK8Base64 = types.StringNull()
	for _, f := range out.Files {
		content := types.StringValue(f.Content)
		if f.Sensitive {
			content = types.StringNull()
			if f.Name == libpq.PK8File {
				m.KeyPK8Base64 = types.StringValue(f.ContentBase64)
			}
		}
		files = append(files, types.ObjectValueMust(bundleFileAttrTypes, map[string]attr.Value{
			"name": types.StringValue(f.Name), "path": types.StringValue(f.Path), "mode": types.StringValue(f.Mode),
			"secret": types.BoolValue(f.Sensitive), "content": content}))
	}
	m.Files = types.ListValueMust(types.ObjectType{AttrTypes: bundleFileAttrTypes}, files)
	var d diag.Diagnostics
	m.Env, d = types.MapValueFrom(ctx, types.StringType, out.Env)
	diags.Append(d...)
	m.Conninfo, m.URI = types.StringValue(out.Conninfo), types.StringValue(out.URI)
	m.PgxConninfo, m.PgxURI = types.StringValue(out.PgxConninfo), types.StringValue(out.PgxURI)
	m.ServiceSection = types.StringValue(out.ServiceSection)
	m.JDBCURL = types.StringNull()
	m.JDBCProperties = types.MapNull(types.StringType)
	if out.JDBCURL != "" {
		m.JDBCURL = types.StringValue(out.JDBCURL)
		props := map[string]string{}
		for _, p := range out.JDBCProperties {
			props[p.Key] = p.Value
		}
		m.JDBCProperties, d = types.MapValueFrom(ctx, types.StringType, props)
		diags.Append(d...)
	}
	m.ID = types.StringValue(sha256Hex(out.Conninfo))
	tflog.Debug(logCtx(ctx, "libpq_bundle", b.KeyPEM), "rendered libpq client bundle", map[string]any{
		"hosts": len(b.Hosts), "sslmode": b.SSLMode, "files": len(out.Files), "home_layout": b.Dir == "",
	})
	return !diags.HasError()
}

// bundlePath maps a libpq.Problem field to the attribute path.
func bundlePath(field string, params []libpq.Param) path.Path {
	name, idx, hasIdx := strings.Cut(strings.TrimSuffix(field, "]"), "[")
	switch name {
	case "key_pem":
		return path.Root("private_key_pem")
	case "directory", "user", "sslmode", "service":
		if name == "service" {
			return path.Root("service_name")
		}
		return path.Root(name)
	case "root_cert_pem":
		return path.Root("root_cert_pem")
	case "params":
		var i int
		if _, err := fmt.Sscan(idx, &i); err == nil && i < len(params) {
			return path.Root("params").AtMapKey(params[i].Key)
		}
		return path.Root("params")
	case "hosts", "ports":
		var i int
		if _, err := fmt.Sscan(idx, &i); hasIdx && err == nil {
			return path.Root(name).AtListIndex(i)
		}
		return path.Root(name)
	}
	return path.Root("hosts")
}
