package pooler

import (
	"strconv"
	"strings"
)

// Render returns the pgpool.conf content. It fails when Validate reports
// errors.
func (c *PgpoolConf) Render() (string, error) { return c.render(false) }

// RenderMasked returns the same content with secrets (ssl_passphrase_command
// and secret_settings) replaced by MaskedSecret.
func (c *PgpoolConf) RenderMasked() (string, error) { return c.render(true) }

func pgpoolQuote(s string) string { return "'" + s + "'" }

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func (c *PgpoolConf) render(mask bool) (string, error) {
	if err := c.Validate().Err(); err != nil {
		return "", err
	}
	return c.renderUnchecked(mask), nil
}

// renderUnchecked renders without validating (tests use it to show what the
// real program does with refused configurations).
func (c *PgpoolConf) renderUnchecked(mask bool) string {
	var b strings.Builder
	writeComment(&b, "# ", c.Header)
	b.WriteString("# Rendered by pgtls for Pgpool-II 4.3.\n")
	line := func(k, v string) { b.WriteString(k + " = " + v + "\n") }
	str := func(k, v string) {
		if v != "" {
			line(k, pgpoolQuote(v))
		}
	}
	b.WriteString("\n# Connections\n")
	if c.ListenAddresses != nil {
		line("listen_addresses", pgpoolQuote(*c.ListenAddresses))
	}
	if c.Port != nil {
		line("port", strconv.FormatInt(*c.Port, 10))
	}
	b.WriteString("\n# Backends\n")
	str("backend_clustering_mode", c.BackendClusteringMode)
	for i, be := range c.Backends {
		n := strconv.Itoa(i)
		line("backend_hostname"+n, pgpoolQuote(be.Host))
		line("backend_port"+n, strconv.FormatInt(be.Port, 10))
		if be.Weight != nil {
			line("backend_weight"+n, strconv.FormatFloat(*be.Weight, 'f', -1, 64))
		}
		str("backend_flag"+n, be.Flag)
		str("backend_data_directory"+n, be.DataDirectory)
		str("backend_application_name"+n, be.ApplicationName)
	}
	b.WriteString("\n# TLS (clients and backends)\n")
	line("ssl", onOff(c.SSL))
	str("ssl_cert", c.SSLCert)
	str("ssl_key", c.SSLKey)
	str("ssl_ca_cert", c.SSLCACert)
	str("ssl_ca_cert_dir", c.SSLCACertDir)
	str("ssl_crl_file", c.SSLCRLFile)
	str("ssl_ciphers", c.SSLCiphers)
	if c.SSLPreferServerCiphers != nil {
		line("ssl_prefer_server_ciphers", onOff(*c.SSLPreferServerCiphers))
	}
	str("ssl_ecdh_curve", c.SSLECDHCurve)
	str("ssl_dh_params_file", c.SSLDHParamsFile)
	if c.SSLPassphraseCommand != "" {
		if mask {
			str("ssl_passphrase_command", MaskedSecret)
		} else {
			str("ssl_passphrase_command", c.SSLPassphraseCommand)
		}
	}
	b.WriteString("\n# Authentication\n")
	line("enable_pool_hba", onOff(c.EnablePoolHBA))
	if c.PoolPasswd != nil {
		line("pool_passwd", pgpoolQuote(*c.PoolPasswd))
	}
	if c.AllowClearTextFrontendAuth != nil {
		line("allow_clear_text_frontend_auth", onOff(*c.AllowClearTextFrontendAuth))
	}
	if len(c.Settings)+len(c.SecretSettings) > 0 {
		b.WriteString("\n# Other settings\n")
		all := map[string]string{}
		for k, v := range c.Settings {
			all[k] = v
		}
		for k, v := range c.SecretSettings {
			if mask {
				v = MaskedSecret
			}
			all[k] = v
		}
		for _, k := range sortedKeys(all) {
			line(k, pgpoolQuote(all[k]))
		}
	}
	return b.String()
}
