package check

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/jackc/pgx/v5/pgconn"
)

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// sslStat reads pg_stat_ssl for the backend serving this session, but only
// when that backend's client is this very socket: through a pooler the row
// would describe the pooler's own server connection, so nil is returned.
func sslStat(ctx context.Context, conn *pgconn.PgConn, local *net.TCPAddr) *SSLStat {
	if local == nil {
		return nil
	}
	rows, err := queryRows(ctx, conn, `SELECT s.ssl::text, s.version, s.cipher, s.bits::text, s.client_dn, s.client_serial::text, s.issuer_dn, host(a.client_addr), a.client_port::text
FROM pg_catalog.pg_stat_ssl s JOIN pg_catalog.pg_stat_activity a ON a.pid = s.pid
WHERE s.pid = pg_catalog.pg_backend_pid()`)
	if err != nil || len(rows) != 1 || len(rows[0]) != 9 {
		return nil
	}
	r := rows[0]
	addr, port := deref(r[7]), deref(r[8])
	ip, err := netipParse(addr)
	if err != nil || !ip.Equal(local.IP) || port != strconv.Itoa(local.Port) {
		return nil
	}
	st := &SSLStat{
		SSL:             deref(r[0]) == "true",
		Version:         deref(r[1]),
		Cipher:          deref(r[2]),
		ClientDNOneLine: deref(r[4]),
		ClientSerial:    deref(r[5]),
		IssuerDNOneLine: deref(r[6]),
	}
	if b := deref(r[3]); b != "" {
		st.Bits, _ = strconv.Atoi(b)
	}
	return st
}

func netipParse(s string) (net.IP, error) {
	ip := net.ParseIP(s)
	if ip == nil {
		return nil, fmt.Errorf("not an IP: %q", s)
	}
	return ip, nil
}

func queryRows(ctx context.Context, conn *pgconn.PgConn, sql string) ([][]*string, error) {
	results, err := conn.Exec(ctx, sql).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(results) != 1 {
		return nil, fmt.Errorf("expected one result, got %d", len(results))
	}
	var out [][]*string
	for _, row := range results[0].Rows {
		r := make([]*string, len(row))
		for i, v := range row {
			if v != nil {
				s := string(v)
				r[i] = &s
			}
		}
		out = append(out, r)
	}
	return out, nil
}
