// Package provider is the thin Terraform layer of pgtls: schemas, plan
// modifiers and state handling. Everything it computes comes from the domain
// packages (internal/pki, internal/hba, internal/check), which know nothing of
// Terraform.
package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
)

// DefaultPostgresVersion is the PostgreSQL major version pg_hba content is
// checked against when neither the provider nor the resource says otherwise.
const DefaultPostgresVersion = 15

// Clock returns the current time. Tests inject a fixed or shifted clock to
// exercise renewal windows without waiting.
type Clock func() time.Time

// providerData is handed to every resource and data source in Configure.
type providerData struct {
	now             Clock
	postgresVersion int64
	// issuers remembers parsed signing CAs for the life of the provider
	// process (one plan or one apply).
	issuers *pki.IssuerCache
}

// issuerCacheSize bounds the parsed CAs a provider process keeps: far more
// than the CAs of any PKI, a few kilobytes each.
const issuerCacheSize = 256

func defaultProviderData(clock Clock) *providerData {
	return &providerData{now: clock, postgresVersion: DefaultPostgresVersion, issuers: pki.NewIssuerCache(issuerCacheSize)}
}

type pgtlsProvider struct {
	version string
	clock   Clock
}

type providerModel struct {
	PostgresVersion types.Int64 `tfsdk:"postgres_version"`
}

var (
	_ provider.Provider              = (*pgtlsProvider)(nil)
	_ provider.ProviderWithFunctions = (*pgtlsProvider)(nil)
)

// New returns a provider factory using the real clock.
func New(version string) func() provider.Provider {
	return NewWithClock(version, time.Now)
}

// NewWithClock returns a provider factory whose resources read the time from
// clock. It exists for tests.
func NewWithClock(version string, clock Clock) func() provider.Provider {
	return func() provider.Provider {
		return &pgtlsProvider{version: version, clock: clock}
	}
}

func (p *pgtlsProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "pgtls"
	resp.Version = p.version
}

func (p *pgtlsProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Builds a PostgreSQL PKI (root and intermediate CAs, server and client " +
			"certificates) and its authentication configuration as code. Nothing is contacted " +
			"except by the `pgtls_connection_check` data source.",
		Attributes: map[string]schema.Attribute{
			"postgres_version": schema.Int64Attribute{
				MarkdownDescription: "PostgreSQL major version (13 to 18) that version-dependent content " +
					"such as `pg_hba.conf` is checked against when a resource does not set its own. " +
					"Defaults to `15`.",
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(13, 18)},
			},
		},
	}
}

func (p *pgtlsProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	data := defaultProviderData(p.clock)
	if !cfg.PostgresVersion.IsNull() && !cfg.PostgresVersion.IsUnknown() {
		data.postgresVersion = cfg.PostgresVersion.ValueInt64()
	}
	resp.ResourceData = data
	resp.DataSourceData = data
}

func (p *pgtlsProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewRootCAResource,
		NewIntermediateCAResource,
		NewServerCertResource,
		NewClientCertResource,
		NewHBARuleResource,
		NewHBAFileResource,
		NewIdentMapResource,
		NewIdentFileResource,
		NewPostgresqlConfResource,
		NewScramVerifierResource,
		NewLibpqBundleResource,
		NewPgBouncerINIResource,
		NewPgBouncerUserlistResource,
		NewPgpoolConfResource,
		NewPgpoolPasswdResource,
		NewFileSetResource,
		NewCRLResource,
		NewCRLBundleResource,
	}
}

func (p *pgtlsProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewCertificateDataSource,
		NewConnectionCheckDataSource,
		NewHBAParseDataSource,
		NewHBAMatchDataSource,
		NewHBAAccessDiffDataSource,
	}
}

func (p *pgtlsProvider) Functions(_ context.Context) []func() function.Function {
	return []func() function.Function{
		NewConninfoFunction,
		NewHBAMatchFunction,
	}
}

// configuredData returns the provider data handed to Configure, or the
// defaults when the provider has not been configured yet (Terraform may
// validate resources before configuring the provider).
func configuredData(v any) *providerData {
	if d, ok := v.(*providerData); ok && d != nil {
		return d
	}
	return defaultProviderData(time.Now)
}
