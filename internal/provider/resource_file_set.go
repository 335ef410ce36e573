package provider

import (
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pgtls/terraform-provider-pgtls/internal/check"
	"github.com/pgtls/terraform-provider-pgtls/internal/localfiles"
	"github.com/pgtls/terraform-provider-pgtls/internal/reload"
)

// pgtls_file_set: files written into one directory, with real Read (drift)
// and Delete, and an optional safe reload of the program that reads them.
// Everything it does to the file system is in internal/localfiles, to a
// live server in internal/reload.

type fileSetModel struct {
	ID             types.String `tfsdk:"id"`
	Directory      types.String `tfsdk:"directory"`
	Layout         types.String `tfsdk:"layout"`
	Owner          types.String `tfsdk:"owner"`
	Group          types.String `tfsdk:"group"`
	Files          types.Map    `tfsdk:"files"`
	SensitiveFiles types.Map    `tfsdk:"sensitive_files"`
	Reload         types.Object `tfsdk:"reload"`
}

type fileEntryModel struct {
	Content       types.String `tfsdk:"content"`
	ContentBase64 types.String `tfsdk:"content_base64"`
	Mode          types.String `tfsdk:"mode"`
	Owner         types.String `tfsdk:"owner"`
	Group         types.String `tfsdk:"group"`
	SHA256        types.String `tfsdk:"sha256"`
}

var fileEntryAttrTypes = map[string]attr.Type{
	"content": types.StringType, "content_base64": types.StringType, "mode": types.StringType, "owner": types.StringType,
	"group": types.StringType, "sha256": types.StringType,
}

type reloadModel struct {
	Program             types.String `tfsdk:"program"`
	Host                types.String `tfsdk:"host"`
	Port                types.Int64  `tfsdk:"port"`
	Database            types.String `tfsdk:"database"`
	User                types.String `tfsdk:"user"`
	Password            types.String `tfsdk:"password"`
	SSLMode             types.String `tfsdk:"sslmode"`
	ServerName          types.String `tfsdk:"server_name"`
	RootCertPEM         types.String `tfsdk:"root_cert_pem"`
	ClientCertPEM       types.String `tfsdk:"client_cert_pem"`
	ClientKeyPEM        types.String `tfsdk:"client_key_pem"`
	PCPHost             types.String `tfsdk:"pcp_host"`
	PCPPort             types.Int64  `tfsdk:"pcp_port"`
	PCPUser             types.String `tfsdk:"pcp_user"`
	PCPPassword         types.String `tfsdk:"pcp_password"`
	PCPBinDir           types.String `tfsdk:"pcp_bin_dir"`
	AllowPendingRestart types.Bool   `tfsdk:"allow_pending_restart"`
	TimeoutSeconds      types.Int64  `tfsdk:"timeout_seconds"`
}

type fileSetResource struct{ data *providerData }

var (
	_ resource.ResourceWithModifyPlan     = (*fileSetResource)(nil)
	_ resource.ResourceWithConfigure      = (*fileSetResource)(nil)
	_ resource.ResourceWithValidateConfig = (*fileSetResource)(nil)
)

// NewFileSetResource is the pgtls_file_set resource.
func NewFileSetResource() resource.Resource { return &fileSetResource{} }

func (r *fileSetResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_file_set"
}

func (r *fileSetResource) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	r.data = configuredData(req.ProviderData)
}

func fileEntryAttributes(sensitive bool) map[string]schema.Attribute {
	content := "The file's content (text). Set `content` or `content_base64`."
	b64 := "The file's content as base64, for binary files such as pgJDBC's DER `postgresql.pk8` " +
		"(`pgtls_libpq_bundle.private_key_pk8_base64`). Set `content` or `content_base64`."
	sum := "SHA-256 of the file's content, lower-case hex: known at plan time from `content`; after a refresh, " +
		"the digest of what is on disk (empty when the file is missing or not a regular file), so an edited or " +
		"deleted file shows as a change and is put back by the next apply."
	if sensitive {
		content = "The file's content (sensitive: never shown in plans, logs or errors). Set `content` or `content_base64`."
		b64 += " Sensitive."
		sum += " Sensitive, like the content it digests."
	}
	return map[string]schema.Attribute{
		"content":        schema.StringAttribute{MarkdownDescription: content, Optional: true, Sensitive: sensitive},
		"content_base64": schema.StringAttribute{MarkdownDescription: b64, Optional: true, Sensitive: sensitive},
		"mode": schema.StringAttribute{
			MarkdownDescription: "Octal permission bits (`\"0600\"`, `\"0644\"`). Default: the layout's mode for a " +
				"known name, else `0644` (`0600` for sensitive files). Refused at plan time: world-writable files; " +
				"sensitive files readable by others; private keys with any group or world access unless owned by " +
				"root with at most `0640` (the rule PostgreSQL, libpq and Pgpool-II apply).",
			Optional: true, Computed: true,
			Validators: []validator.String{funcValidator{desc: "must be an octal mode such as 0600", summary: "Invalid file mode",
				check: func(s string) error { _, err := localfiles.ParseMode(s); return err }}},
		},
		"owner": schema.StringAttribute{
			MarkdownDescription: "User owning the file, by name or uid (overrides the set's `owner`). Unset: not " +
				"managed (the file belongs to whoever runs Terraform). Giving files away needs root.",
			Optional: true, Computed: true,
		},
		"group": schema.StringAttribute{
			MarkdownDescription: "Group of the file, by name or gid (overrides the set's `group`). Unset: not managed.",
			Optional:            true, Computed: true,
		},
		"sha256": schema.StringAttribute{MarkdownDescription: sum, Computed: true, Sensitive: sensitive},
	}
}

func (r *fileSetResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	var layouts []string
	for _, n := range localfiles.LayoutNames() {
		l, _ := localfiles.LookupLayout(n)
		names := make([]string, 0, len(l.Files))
		for f := range l.Files {
			names = append(names, "`"+f+"`")
		}
		sort.Strings(names)
		desc := "`" + n + "`: " + l.Description
		if len(names) > 0 {
			desc += " (knows " + strings.Join(names, ", ") + ")"
		}
		layouts = append(layouts, desc)
	}
	programs := make([]string, len(reload.Programs))
	for i, p := range reload.Programs {
		programs[i] = string(p)
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Files written into one existing directory with the modes and owners PostgreSQL, " +
			"PgBouncer, Pgpool-II and libpq require: each file replaced atomically (temporary file, fsync, rename, " +
			"directory fsync), never through a symbolic link; drift (a file deleted, edited, chmod-ed or chown-ed) " +
			"shows in the next plan and is put back by apply; destroy removes exactly the files of the set. With " +
			"`reload`, the running program is asked to judge the new files before they take effect and is reloaded " +
			"only when it accepts them; otherwise the previous files are put back and the apply fails with the " +
			"program's own error and line.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true, MarkdownDescription: "The directory.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"directory": schema.StringAttribute{
				MarkdownDescription: "Existing directory the files go to (a relative path is taken from Terraform's " +
					"working directory). No component may be a symbolic link. It is never created: make it with the " +
					"owner and mode its program expects. Changing it replaces the set.",
				Required:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{stringvalidator.LengthBetween(1, 4096)},
			},
			"layout": schema.StringAttribute{
				MarkdownDescription: "Preset for a directory people use; it gives known names their default mode and " +
					"says which must be sensitive. One of: " + strings.Join(layouts, "; ") + ". Default `plain`.",
				Optional: true, Computed: true,
				Default:    stringdefault.StaticString(localfiles.DefaultLayout),
				Validators: []validator.String{stringvalidator.OneOf(localfiles.LayoutNames()...)},
			},
			"owner": schema.StringAttribute{
				MarkdownDescription: "Default owner (name or uid) of every file of the set.",
				Optional:            true,
			},
			"group": schema.StringAttribute{
				MarkdownDescription: "Default group (name or gid) of every file of the set.",
				Optional:            true,
			},
			"files": schema.MapNestedAttribute{
				MarkdownDescription: "Files whose content may be shown in plans (certificates, CRLs, configuration " +
					"without secrets), by name relative to `directory` (`\"server.crt\"`, `\"tls/root.crt\"`; " +
					"subdirectories must exist). A content holding a private key is refused: use `sensitive_files`.",
				Optional:     true,
				NestedObject: schema.NestedAttributeObject{Attributes: fileEntryAttributes(false)},
			},
			"sensitive_files": schema.MapNestedAttribute{
				MarkdownDescription: "Files holding secrets (private keys, `userlist.txt`, `pool_passwd`, " +
					"`.pgpoolkey`): their content and digest are sensitive; defaults to mode `0600`.",
				Optional:     true,
				NestedObject: schema.NestedAttributeObject{Attributes: fileEntryAttributes(true)},
			},
			"reload": schema.SingleNestedAttribute{
				MarkdownDescription: "Reload the running program after writing, safely. Only when a file's content, " +
					"mode or owner actually changed on disk: the program first judges the files on disk " +
					"(PostgreSQL: `pg_hba_file_rules`, `pg_ident_file_mappings`, `pg_file_settings`, plus pgtls's " +
					"check of the TLS files; PgBouncer and Pgpool-II: the closest checks they offer), and is " +
					"reloaded only if it accepts them; the reload is confirmed on a new connection (a rule that " +
					"would lock out the reloading role is undone). On any refusal the previous files are put back " +
					"(and reloaded again if needed) and the apply fails with the program's own words. Destroy " +
					"removes the files and does not reload.",
				Optional:   true,
				Attributes: reloadAttributes(programs),
			},
		},
	}
}

func reloadAttributes(programs []string) map[string]schema.Attribute {
	str := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Optional: true}
	}
	secret := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Optional: true, Sensitive: true}
	}
	return map[string]schema.Attribute{
		"program": schema.StringAttribute{
			MarkdownDescription: "The program reading the files: " + backtickList(programs) + ".",
			Required:            true,
			Validators:          []validator.String{stringvalidator.OneOf(programs...)},
		},
		"host": str("PostgreSQL (or PgBouncer's admin console) to connect to: a host name, an IP address, or a " +
			"unix-socket directory (starting with `/`, then `sslmode` must be `disable`). For `pgpool`, optional: a " +
			"login through Pgpool-II with which the reload is confirmed (without it, only PCP's answer is known)."),
		"port": schema.Int64Attribute{MarkdownDescription: "Port (default 5432; 6432 for `pgbouncer`).", Optional: true,
			Validators: []validator.Int64{int64validator.Between(1, 65535)}},
		"database": str("Database (default `postgres`; always `pgbouncer`, the admin console, for `pgbouncer`)."),
		"user": str("Role. PostgreSQL: a superuser, or a role granted `pg_read_all_settings` and EXECUTE on " +
			"`pg_reload_conf()`, `pg_hba_file_rules()` and `pg_ident_file_mappings()`. PgBouncer: one of `admin_users`."),
		"password": secret("Password of `user`."),
		"sslmode": schema.StringAttribute{
			MarkdownDescription: "libpq sslmode of the connection: `disable`, `require`, `verify-ca` or `verify-full` " +
				"(default; `prefer` and `allow` are refused: they may fall back silently). Verification follows libpq's " +
				"rules, as in `pgtls_connection_check`.",
			Optional:   true,
			Validators: []validator.String{stringvalidator.OneOf("disable", "require", "verify-ca", "verify-full")},
		},
		"server_name":     str("Name `verify-full` checks when `host` is an address (like libpq's `host` with `hostaddr`)."),
		"root_cert_pem":   str("Trust anchors for the server certificate (PEM)."),
		"client_cert_pem": str("Client certificate (PEM) for `cert` authentication."),
		"client_key_pem":  secret("Its private key (PEM)."),
		"pcp_host":        str("Pgpool-II PCP host (default: its unix socket)."),
		"pcp_port": schema.Int64Attribute{MarkdownDescription: "Pgpool-II PCP port (default 9898).", Optional: true,
			Validators: []validator.Int64{int64validator.Between(1, 65535)}},
		"pcp_user":     str("PCP user (a `pcp.conf` entry). Required for `pgpool`."),
		"pcp_password": secret("Its password, handed to `pcp_reload_config` in a temporary PCPPASSFILE."),
		"pcp_bin_dir":  str("Directory of `pcp_reload_config` and `pcp_pool_status` (default `/usr/sbin`, then `$PATH`)."),
		"allow_pending_restart": schema.BoolAttribute{
			MarkdownDescription: "Write settings that only a restart applies (reported as warnings) instead of refusing them.",
			Optional:            true,
		},
		"timeout_seconds": schema.Int64Attribute{
			MarkdownDescription: "How long to wait for the reload to show (default 30).",
			Optional:            true,
			Validators:          []validator.Int64{int64validator.Between(1, 600)},
		},
	}
}

// fileInput is one file of the configuration, resolved.
type fileInput struct {
	name      string
	sensitive bool
	entry     fileEntryModel
	path      path.Path
}

// entriesOf reads a files map. known is false when the map or an element
// is unknown.
func entriesOf(ctx context.Context, m types.Map, sensitive bool, attrName string, diags *diag.Diagnostics) (out []fileInput, known bool) {
	if m.IsUnknown() {
		return nil, false
	}
	known = true
	names := make([]string, 0, len(m.Elements()))
	for k := range m.Elements() {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		obj, ok := m.Elements()[k].(types.Object)
		if !ok || obj.IsUnknown() {
			known = false
			continue
		}
		var e fileEntryModel
		diags.Append(obj.As(ctx, &e, basetypes.ObjectAsOptions{})...)
		out = append(out, fileInput{name: k, sensitive: sensitive, entry: e, path: path.Root(attrName).AtMapKey(k)})
	}
	return out, known
}

// fileSetPlan is the resolved set: what localfiles writes.
type fileSetPlan struct {
	inputs []fileInput
	files  []localfiles.File // same order; Content nil where unknown
	known  []bool            // content known
}

// resolve applies the layout and the set's defaults to every file and
// checks everything that depends only on the inputs. Unknown contents are
// skipped by the content checks.
func resolveFileSet(ctx context.Context, m *fileSetModel, diags *diag.Diagnostics) (*fileSetPlan, bool) {
	plain, ok1 := entriesOf(ctx, m.Files, false, "files", diags)
	secret, ok2 := entriesOf(ctx, m.SensitiveFiles, true, "sensitive_files", diags)
	if diags.HasError() {
		return nil, false
	}
	layoutName := m.Layout.ValueString()
	if m.Layout.IsNull() || m.Layout.IsUnknown() {
		layoutName = localfiles.DefaultLayout
	}
	layout, err := localfiles.LookupLayout(layoutName)
	if err != nil {
		diags.AddAttributeError(path.Root("layout"), "Unknown layout", err.Error())
		return nil, false
	}
	p := &fileSetPlan{}
	seen := map[string]bool{}
	for _, in := range append(plain, secret...) {
		if seen[in.name] {
			diags.AddAttributeError(in.path, "File named twice",
				fmt.Sprintf("%q is in both files and sensitive_files; a name may appear once", in.name))
			continue
		}
		seen[in.name] = true
		if err := localfiles.ValidateName(in.name); err != nil {
			diags.AddAttributeError(in.path, "Invalid file name", fmt.Sprintf("file name %q %v", in.name, err))
			continue
		}
		if why := layout.ReservedReason(in.name); why != "" {
			diags.AddAttributeError(in.path, "File reserved by its program",
				fmt.Sprintf("%q %s; layout %s never writes it", in.name, why, layout.Name))
			continue
		}
		kind, mode := layout.Resolve(in.name, in.sensitive)
		if known, ok := layout.Files[in.name]; ok && known.Kind != localfiles.Plain && !in.sensitive {
			diags.AddAttributeError(in.path, "File must be sensitive",
				fmt.Sprintf("%q holds a %s in layout %s (%s): put it in sensitive_files, so its content never shows in a plan",
					in.name, known.Kind, layout.Name, known.Description))
			continue
		}
		e := in.entry
		if !e.Mode.IsNull() && !e.Mode.IsUnknown() {
			if mm, err := localfiles.ParseMode(e.Mode.ValueString()); err == nil {
				mode = mm
			}
		}
		owner, group := e.Owner, e.Group
		if owner.IsNull() {
			owner = m.Owner
		}
		if group.IsNull() {
			group = m.Group
		}
		f := localfiles.File{Name: in.name, Mode: mode, Kind: kind, Owner: owner.ValueString(), Group: group.ValueString()}
		known := !e.Content.IsUnknown() && !e.ContentBase64.IsUnknown()
		switch {
		case known && e.Content.IsNull() == e.ContentBase64.IsNull():
			diags.AddAttributeError(in.path, "Content missing or given twice",
				fmt.Sprintf("%q: set exactly one of content and content_base64", in.name))
			continue
		case known && !e.ContentBase64.IsNull():
			b, err := base64.StdEncoding.DecodeString(e.ContentBase64.ValueString())
			if err != nil {
				diags.AddAttributeError(in.path.AtName("content_base64"), "Invalid base64",
					fmt.Sprintf("%q: content_base64 is not standard base64 (RFC 4648 with padding): %v", in.name, err))
				continue
			}
			f.Content = b
		case known:
			f.Content = []byte(e.Content.ValueString())
		}
		p.inputs = append(p.inputs, in)
		p.files = append(p.files, f)
		p.known = append(p.known, known)
	}
	if diags.HasError() {
		return nil, false
	}
	// Content and mode rules, each problem on its file's attribute. An
	// unknown mode, owner or content is checked at apply time instead.
	for i, f := range p.files {
		in := p.inputs[i]
		if in.entry.Mode.IsUnknown() {
			continue
		}
		ownerKnown := !unknownOrNull(m.Owner, in.entry.Owner)
		isRoot := func(o string) (bool, error) {
			if !ownerKnown {
				return true, nil // the lenient rule; Apply checks the real owner
			}
			root, err := localfiles.OwnerIsRoot(o)
			if err != nil {
				diags.AddAttributeWarning(in.path.AtName("owner"), "Owner not found on this machine",
					fmt.Sprintf("%v: the apply fails unless it exists on the machine that runs it", err))
				return false, nil
			}
			return root, nil
		}
		spec := localfiles.Spec{Dir: "/", Files: []localfiles.File{f}}
		for _, pr := range spec.Validate(isRoot) {
			at := in.path
			switch pr.Field {
			case "mode", "owner", "group", "content":
				at = in.path.AtName(pr.Field)
			}
			msg := pr.Message
			if pr.Field == "mode" {
				msg = "mode " + pr.Value + " " + msg
			}
			diags.AddAttributeError(at, "Unsafe or invalid file", fmt.Sprintf("%s: %s", in.name, msg))
		}
	}
	return p, ok1 && ok2 && !diags.HasError()
}

// unknownOrNull reports whether an owner that decides the key rule is not
// known yet.
func unknownOrNull(set, file types.String) bool {
	if !file.IsNull() {
		return file.IsUnknown()
	}
	return set.IsUnknown()
}

func (r *fileSetResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m fileSetModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !localfiles.Supported {
		resp.Diagnostics.AddError("pgtls_file_set is not supported on this platform", "Writing file sets relies on openat, O_NOFOLLOW and POSIX modes and owners: run Terraform on Linux, macOS or FreeBSD.")
		return
	}
	if m.Files.IsNull() && m.SensitiveFiles.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("files"), "No files", "set files, sensitive_files or both")
	}
	resolveFileSet(ctx, &m, &resp.Diagnostics)
	if !m.Reload.IsNull() && !m.Reload.IsUnknown() {
		var rm reloadModel
		resp.Diagnostics.Append(m.Reload.As(ctx, &rm, basetypes.ObjectAsOptions{})...)
		if resp.Diagnostics.HasError() {
			return
		}
		validateReload(rm, &resp.Diagnostics)
	}
}

// validateReload checks the reload block's known values.
func validateReload(rm reloadModel, diags *diag.Diagnostics) {
	at := func(n string) path.Path { return path.Root("reload").AtName(n) }
	if rm.Program.IsUnknown() {
		return
	}
	prog := reload.Program(rm.Program.ValueString())
	switch prog {
	case reload.PostgreSQL, reload.PgBouncer:
		for n, v := range map[string]types.String{"host": rm.Host, "user": rm.User} {
			if v.IsNull() {
				diags.AddAttributeError(at(n), "Missing reload connection setting", fmt.Sprintf("reload.%s is required for program %s", n, prog))
			}
		}
	case reload.Pgpool:
		if rm.PCPUser.IsNull() {
			diags.AddAttributeError(at("pcp_user"), "Missing PCP user", "reload.pcp_user is required for program pgpool (pcp_reload_config needs a pcp.conf user)")
		}
	}
	if prog != reload.Pgpool {
		for n, v := range map[string]types.String{"pcp_host": rm.PCPHost, "pcp_user": rm.PCPUser, "pcp_password": rm.PCPPassword, "pcp_bin_dir": rm.PCPBinDir} {
			if !v.IsNull() {
				diags.AddAttributeError(at(n), "Setting for another program", fmt.Sprintf("reload.%s only applies to program pgpool", n))
			}
		}
	}
	if !rm.Host.IsUnknown() && strings.HasPrefix(rm.Host.ValueString(), "/") && !rm.SSLMode.IsUnknown() && rm.SSLMode.ValueString() != "disable" {
		diags.AddAttributeError(at("sslmode"), "TLS on a unix socket",
			fmt.Sprintf("host %q is a unix-socket directory: set sslmode = \"disable\" (TLS only applies to TCP, as in libpq)", rm.Host.ValueString()))
	}
	if !rm.ClientCertPEM.IsNull() != !rm.ClientKeyPEM.IsNull() {
		diags.AddAttributeError(at("client_key_pem"), "Client certificate without key", "reload.client_cert_pem and reload.client_key_pem go together")
	}
}

// planFiles fills mode, owner, group and sha256 of every file in a map.
func planFiles(ctx context.Context, cfg types.Map, planned types.Map, p *fileSetPlan, sensitive bool, diags *diag.Diagnostics) types.Map {
	if planned.IsNull() || planned.IsUnknown() {
		return planned
	}
	cfgEntries := map[string]fileEntryModel{}
	if !cfg.IsNull() && !cfg.IsUnknown() {
		for k, v := range cfg.Elements() {
			if o, ok := v.(types.Object); ok && !o.IsUnknown() {
				var e fileEntryModel
				diags.Append(o.As(ctx, &e, basetypes.ObjectAsOptions{})...)
				cfgEntries[k] = e
			}
		}
	}
	elems := map[string]attr.Value{}
	for i, in := range p.inputs {
		if in.sensitive != sensitive {
			continue
		}
		f, ce := p.files[i], cfgEntries[in.name]
		e := in.entry
		e.Mode = types.StringValue(localfiles.FormatMode(f.Mode))
		if !ce.Mode.IsNull() {
			e.Mode = ce.Mode
		}
		e.Owner, e.Group = types.StringNull(), types.StringNull()
		if f.Owner != "" {
			e.Owner = types.StringValue(f.Owner)
		}
		if f.Group != "" {
			e.Group = types.StringValue(f.Group)
		}
		if !ce.Owner.IsNull() {
			e.Owner = ce.Owner
		}
		if !ce.Group.IsNull() {
			e.Group = ce.Group
		}
		if p.known[i] {
			e.SHA256 = types.StringValue(localfiles.SHA256(f.Content))
		} else {
			e.SHA256 = types.StringUnknown()
		}
		obj, d := types.ObjectValueFrom(ctx, fileEntryAttrTypes, e)
		diags.Append(d...)
		elems[in.name] = obj
	}
	out, d := types.MapValue(types.ObjectType{AttrTypes: fileEntryAttrTypes}, elems)
	diags.Append(d...)
	return out
}

func (r *fileSetResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan, cfg fileSetModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// Resolve from the configuration (the plan of an Optional+Computed
	// attribute left unset carries the refreshed, possibly drifted, value).
	var d diag.Diagnostics
	p, _ := resolveFileSet(ctx, &cfg, &d)
	if d.HasError() || p == nil {
		resp.Diagnostics.Append(d...)
		return
	}
	if plan.Directory.IsUnknown() {
		plan.ID = types.StringUnknown()
	} else {
		plan.ID = plan.Directory
	}
	plan.Files = planFiles(ctx, cfg.Files, plan.Files, p, false, &resp.Diagnostics)
	plan.SensitiveFiles = planFiles(ctx, cfg.SensitiveFiles, plan.SensitiveFiles, p, true, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// specOf builds what localfiles writes from a fully known model.
func specOf(ctx context.Context, m *fileSetModel, diags *diag.Diagnostics) (localfiles.Spec, bool) {
	p, ok := resolveFileSet(ctx, m, diags)
	if !ok || p == nil {
		if !diags.HasError() {
			diags.AddError("File set not known", "some file content is still unknown at apply time")
		}
		return localfiles.Spec{}, false
	}
	return localfiles.Spec{Dir: m.Directory.ValueString(), Files: p.files}, true
}

// namesOf lists the file names of a model (both maps).
func namesOf(m *fileSetModel) []string {
	var out []string
	for _, mp := range []types.Map{m.Files, m.SensitiveFiles} {
		if mp.IsNull() || mp.IsUnknown() {
			continue
		}
		for k := range mp.Elements() {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// secretsOf returns the secret values of a model, for log masking.
func secretsOf(ctx context.Context, m *fileSetModel) []string {
	var out []string
	if !m.SensitiveFiles.IsNull() && !m.SensitiveFiles.IsUnknown() {
		for _, v := range m.SensitiveFiles.Elements() {
			if o, ok := v.(types.Object); ok {
				var e fileEntryModel
				if !o.As(ctx, &e, basetypes.ObjectAsOptions{}).HasError() {
					out = append(out, e.Content.ValueString(), e.ContentBase64.ValueString())
				}
			}
		}
	}
	if !m.Reload.IsNull() && !m.Reload.IsUnknown() {
		var rm reloadModel
		if !m.Reload.As(ctx, &rm, basetypes.ObjectAsOptions{}).HasError() {
			out = append(out, rm.Password.ValueString(), rm.ClientKeyPEM.ValueString(), rm.PCPPassword.ValueString())
		}
	}
	return out
}

// targetOf maps the reload block to a reload.Target.
func targetOf(rm reloadModel) reload.Target {
	prog := reload.Program(rm.Program.ValueString())
	port := int(rm.Port.ValueInt64())
	if rm.Port.IsNull() && prog == reload.PgBouncer {
		port = 6432
	}
	db := rm.Database.ValueString()
	if db == "" && prog != reload.PgBouncer {
		db = "postgres"
	}
	mode := check.SSLMode(rm.SSLMode.ValueString())
	if rm.SSLMode.IsNull() {
		mode = check.ModeVerifyFull
	}
	t := reload.Target{
		Program: prog,
		Conn: check.Request{Host: rm.Host.ValueString(), Port: port, Database: db, User: rm.User.ValueString(),
			Password: rm.Password.ValueString(), ServerName: rm.ServerName.ValueString(), RootCertPEM: rm.RootCertPEM.ValueString(),
			ClientCertPEM: rm.ClientCertPEM.ValueString(), ClientKeyPEM: rm.ClientKeyPEM.ValueString()},
		SSLMode:             mode,
		PCPHost:             rm.PCPHost.ValueString(),
		PCPPort:             int(rm.PCPPort.ValueInt64()),
		PCPUser:             rm.PCPUser.ValueString(),
		PCPPassword:         rm.PCPPassword.ValueString(),
		PCPBinDir:           rm.PCPBinDir.ValueString(),
		AllowPendingRestart: rm.AllowPendingRestart.ValueBool(),
	}
	if !rm.TimeoutSeconds.IsNull() {
		t.Timeout = time.Duration(rm.TimeoutSeconds.ValueInt64()) * time.Second
	}
	return t
}

// write applies the plan's files (removing the prior state's names no
// longer in it), through the safe reload when configured.
func (r *fileSetResource) write(ctx context.Context, plan *fileSetModel, prior *fileSetModel, diags *diag.Diagnostics) bool {
	spec, ok := specOf(ctx, plan, diags)
	if !ok {
		return false
	}
	var remove []string
	if prior != nil {
		keep := map[string]bool{}
		for _, n := range namesOf(plan) {
			keep[n] = true
		}
		for _, n := range namesOf(prior) {
			if !keep[n] {
				remove = append(remove, n)
			}
		}
	}
	ctx = logCtx(ctx, "file_set", secretsOf(ctx, plan)...)
	var ch *localfiles.Change
	var checks, warnings []string
	if plan.Reload.IsNull() {
		c, err := localfiles.Apply(spec, remove)
		if err != nil {
			diags.AddError("Cannot write the file set", err.Error())
			return false
		}
		ch, warnings = c, c.Warnings
	} else {
		var rm reloadModel
		diags.Append(plan.Reload.As(ctx, &rm, basetypes.ObjectAsOptions{})...)
		if diags.HasError() {
			return false
		}
		out, err := reload.Apply(ctx, spec, remove, targetOf(rm))
		if err != nil {
			diags.AddError("Files not applied: "+rm.Program.ValueString()+" reload", err.Error())
			return false
		}
		ch, checks, warnings = out.Change, out.Checks, append(out.Change.Warnings, out.Warnings...)
		tflog.Info(ctx, "file set reload", map[string]any{"program": rm.Program.ValueString(), "reloaded": out.Reloaded, "checks": checks})
	}
	tflog.Info(ctx, "file set written", map[string]any{"directory": spec.Dir, "written": ch.Written, "removed": ch.Removed})
	for _, w := range warnings {
		diags.AddWarning("pgtls_file_set", w)
	}
	return true
}

func (r *fileSetResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan fileSetModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !r.write(ctx, &plan, nil, &resp.Diagnostics) {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *fileSetResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, prior fileSetModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() || !r.write(ctx, &plan, &prior, &resp.Diagnostics) {
		return // the state stays the prior one: the files are as they were
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Read looks at the files on disk: a missing, edited, chmod-ed or
// chown-ed file changes sha256, mode, owner or group in state, which the
// next plan shows and the next apply puts back. Content is never read into
// state: only its digest.
func (r *fileSetResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var st fileSetModel
	resp.Diagnostics.Append(req.State.Get(ctx, &st)...)
	if resp.Diagnostics.HasError() {
		return
	}
	names := namesOf(&st)
	obs, err := localfiles.Inspect(st.Directory.ValueString(), names)
	if err != nil {
		resp.Diagnostics.AddError("Cannot inspect the file set", err.Error())
		return
	}
	seen := map[string]localfiles.Observed{}
	for _, o := range obs {
		seen[o.Name] = o
	}
	st.Files = observe(ctx, st.Files, seen, &resp.Diagnostics)
	st.SensitiveFiles = observe(ctx, st.SensitiveFiles, seen, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &st)...)
}

// observe updates one files map of state from what Inspect saw.
func observe(ctx context.Context, m types.Map, seen map[string]localfiles.Observed, diags *diag.Diagnostics) types.Map {
	if m.IsNull() || m.IsUnknown() {
		return m
	}
	elems := map[string]attr.Value{}
	for k, v := range m.Elements() {
		o, ok := v.(types.Object)
		if !ok {
			elems[k] = v
			continue
		}
		var e fileEntryModel
		diags.Append(o.As(ctx, &e, basetypes.ObjectAsOptions{})...)
		ob := seen[k]
		if !ob.Regular {
			e.SHA256 = types.StringValue("")
		} else {
			e.SHA256 = types.StringValue(ob.SHA256)
			if m, err := localfiles.ParseMode(e.Mode.ValueString()); err != nil || m != ob.Mode {
				e.Mode = types.StringValue(localfiles.FormatMode(ob.Mode))
			}
			if !e.Owner.IsNull() {
				if uid, err := localfiles.LookupUser(e.Owner.ValueString()); err != nil || uid != ob.UID {
					e.Owner = types.StringValue(localfiles.UserName(ob.UID))
				}
			}
			if !e.Group.IsNull() {
				if gid, err := localfiles.LookupGroup(e.Group.ValueString()); err != nil || gid != ob.GID {
					e.Group = types.StringValue(localfiles.GroupName(ob.GID))
				}
			}
		}
		obj, d := types.ObjectValueFrom(ctx, fileEntryAttrTypes, e)
		diags.Append(d...)
		elems[k] = obj
	}
	out, d := types.MapValue(types.ObjectType{AttrTypes: fileEntryAttrTypes}, elems)
	diags.Append(d...)
	return out
}

// Delete removes exactly the files of the set (regular files only) and
// never reloads.
func (r *fileSetResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var st fileSetModel
	resp.Diagnostics.Append(req.State.Get(ctx, &st)...)
	if resp.Diagnostics.HasError() {
		return
	}
	removed, warnings, err := localfiles.Remove(st.Directory.ValueString(), namesOf(&st))
	if err != nil {
		resp.Diagnostics.AddError("Cannot remove the file set", err.Error())
		return
	}
	tflog.Info(logCtx(ctx, "file_set"), "file set removed", map[string]any{"directory": st.Directory.ValueString(), "removed": removed})
	for _, w := range warnings {
		resp.Diagnostics.AddWarning("pgtls_file_set", w)
	}
}
