package testserver

import (
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// PgpoolConfig configures StartPgpool (Pgpool-II 4.3.5).
type PgpoolConfig struct {
	Backend *Postgres
	// Conf holds pgpool.conf settings that override the harness defaults
	// (values written verbatim: quote strings, e.g. "'scram-sha-256'").
	Conf map[string]string
	// PoolHBA is pool_hba.conf (enable_pool_hba = on); default
	// "local all all trust" + "host all all 127.0.0.1/32 trust".
	PoolHBA string
	// PoolPasswd is the pool_passwd file content (user:md5..., user:SCRAM-SHA-256$..., user:AES...).
	PoolPasswd string
	// CertPEM/KeyPEM turn ssl = on (ssl_cert/ssl_key; Pgpool-II then also
	// offers TLS to the backend); CAPEM is ssl_ca_cert (client cert anchors).
	CertPEM, KeyPEM, CAPEM string
}

// Pgpool is a running throwaway Pgpool-II.
type Pgpool struct {
	Host string // always "127.0.0.1"
	Port int
	Dir  string // temp dir: pgpool.conf, pcp.conf, pool_hba.conf, pool_passwd, logs, sockets

	PCPPort       int
	StartDuration time.Duration
	p             *pooler
}

// Log returns Pgpool-II's log so far.
func (g *Pgpool) Log() string { return g.p.log() }

// WriteFile writes content to Dir/name (mode 0600, owned by postgres) and
// returns the absolute path (e.g. pool_hba.conf before Reload).
func (g *Pgpool) WriteFile(t testing.TB, name, content string) string {
	t.Helper()
	return writeServerFile(t, g.Dir, name, content)
}

// Reload sends SIGHUP (pgpool.conf, pool_hba.conf and pool_passwd are
// re-read) and waits until it logs
// "reload config files.".
func (g *Pgpool) Reload(t testing.TB) {
	t.Helper()
	before := strings.Count(g.p.log(), "reload config files.")
	if err := g.p.proc.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatalf("testserver: Pgpool-II reload: %v\n%s", err, g.p.logTail())
	}
	g.p.waitLog(t, "reload config files.", before)
}

// StartPgpool runs `pgpool -n -f pgpool.conf -F pcp.conf -a pool_hba.conf` as
// OS user postgres in raw mode in front of cfg.Backend, on free loopback
// ports, waits until it accepts connections and registers cleanup.
//
// Harness defaults (each overridable through cfg.Conf): backend_clustering_mode
// raw, backend_hostname0/port0 = the backend, listen_addresses and
// pcp_listen_addresses '127.0.0.1', port, pcp_port, socket_dir, pcp_socket_dir,
// wd_ipc_socket_dir and logdir = Dir, pid_file_name, log_destination stderr,
// enable_pool_hba on, pool_passwd, num_init_children 4, max_pool 1,
// health checks, sr_check, load balancing and failover off, and with a
// certificate ssl on, ssl_cert, ssl_key, ssl_ca_cert.
func StartPgpool(t testing.TB, cfg PgpoolConfig) *Pgpool {
	t.Helper()
	RequirePgpool(t)
	needBackend(t, "PgpoolConfig", cfg.Backend)
	validKeys(t, "PgpoolConfig.Conf", cfg.Conf)
	if (cfg.CertPEM == "") != (cfg.KeyPEM == "") {
		t.Fatalf("testserver: PgpoolConfig needs both CertPEM and KeyPEM for TLS, or neither")
	}
	if cfg.CAPEM != "" && cfg.CertPEM == "" {
		t.Fatalf("testserver: PgpoolConfig.CAPEM needs CertPEM/KeyPEM (ssl = on) too")
	}
	t0 := time.Now()
	dir := newServerDir(t, "pgtls-pp-")
	must := func(err error, what string) {
		t.Helper()
		if err != nil {
			t.Fatalf("testserver: Pgpool-II %s: %v", what, err)
		}
	}
	hba := cfg.PoolHBA
	if hba == "" {
		hba = "local all all trust\nhost all all 127.0.0.1/32 trust\n"
	}
	conf := filepath.Join(dir, "pgpool.conf")
	pcp := filepath.Join(dir, "pcp.conf")
	hbaPath := filepath.Join(dir, "pool_hba.conf")
	must(writeOwned(hbaPath, hba), "write pool_hba.conf")
	must(writeOwned(filepath.Join(dir, "pool_passwd"), cfg.PoolPasswd), "write pool_passwd")
	// No PCP user: the harness never uses PCP.
	must(writeOwned(pcp, "# no PCP users\n"), "write pcp.conf")
	base := map[string]string{
		"backend_clustering_mode":   confQuote("raw"),
		"backend_hostname0":         confQuote("127.0.0.1"),
		"backend_port0":             strconv.Itoa(cfg.Backend.Port),
		"backend_weight0":           "1",
		"backend_flag0":             confQuote("DISALLOW_TO_FAILOVER"),
		"listen_addresses":          confQuote("127.0.0.1"),
		"pcp_listen_addresses":      confQuote("127.0.0.1"),
		"socket_dir":                confQuote(dir),
		"pcp_socket_dir":            confQuote(dir),
		"wd_ipc_socket_dir":         confQuote(dir),
		"logdir":                    confQuote(dir),
		"pid_file_name":             confQuote(filepath.Join(dir, "pgpool.pid")),
		"log_destination":           confQuote("stderr"),
		"logging_collector":         "off",
		"enable_pool_hba":           "on",
		"pool_passwd":               confQuote(filepath.Join(dir, "pool_passwd")),
		"num_init_children":         "4",
		"max_pool":                  "1",
		"health_check_period":       "0",
		"sr_check_period":           "0",
		"load_balance_mode":         "off",
		"failover_on_backend_error": "off",
		"use_watchdog":              "off",
		"memory_cache_enabled":      "off",
		"ssl":                       "off",
	}
	if cfg.CertPEM != "" {
		must(writeOwned(filepath.Join(dir, "server.crt"), cfg.CertPEM), "write server.crt")
		must(writeOwned(filepath.Join(dir, "server.key"), cfg.KeyPEM), "write server.key")
		base["ssl"] = "on"
		base["ssl_cert"] = confQuote(filepath.Join(dir, "server.crt"))
		base["ssl_key"] = confQuote(filepath.Join(dir, "server.key"))
		if cfg.CAPEM != "" {
			must(writeOwned(filepath.Join(dir, "ca.crt"), cfg.CAPEM), "write ca.crt")
			base["ssl_ca_cert"] = confQuote(filepath.Join(dir, "ca.crt"))
		}
	}
	for k, v := range cfg.Conf {
		base[k] = v
	}
	var pcpPort int
	p := startPooler(t, "pgpool", dir, syscall.SIGINT, "successfully started", func(port int) ([]string, string, error) {
		pp, err := freePort()
		if err != nil {
			return nil, "", err
		}
		for pp == port {
			if pp, err = freePort(); err != nil {
				return nil, "", err
			}
		}
		pcpPort = pp
		m := map[string]string{"port": strconv.Itoa(port), "pcp_port": strconv.Itoa(pp)}
		for k, v := range base {
			m[k] = v
		}
		if err := writeOwned(conf, "# written by pgtls internal/testserver\n"+iniLines(m)); err != nil {
			return nil, "", err
		}
		return []string{pgpoolPath, "-n", "-f", conf, "-F", pcp, "-a", hbaPath}, "", nil
	})
	return &Pgpool{Host: "127.0.0.1", Port: p.port, Dir: dir, PCPPort: pcpPort, StartDuration: time.Since(t0), p: p}
}
