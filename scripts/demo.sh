#!/usr/bin/env bash
# make demo: build the provider, apply examples/quickstart with it, start a
# throwaway PostgreSQL 15 with the generated certificates and show who gets
# in. Everything lives under demo/ (git-ignored) and $PGTLS_CACHE; nothing is
# written to the user's Terraform configuration.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${PGTLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pgtls}
tf=$("$root/tools/ensure-cli.sh" terraform)
pgbin=${PGBIN:-/usr/lib/postgresql/15/bin}
work="$root/demo"
export CHECKPOINT_DISABLE=1

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Building the provider"
mkdir -p "$cache/demo-bin"
(cd "$root" && go build -o "$cache/demo-bin/terraform-provider-pgtls" .)

# dev_overrides points Terraform at the binary just built, for this run only.
export TF_CLI_CONFIG_FILE="$cache/demo.tfrc"
cat >"$TF_CLI_CONFIG_FILE" <<RC
provider_installation {
  dev_overrides {
    "pgtls/pgtls" = "$cache/demo-bin"
  }
  direct {}
}
RC

step "Applying examples/quickstart with $("$tf" version | head -1)"
rm -rf "$work"
mkdir -p "$work/tf" "$work/files"
cp "$root/examples/quickstart/main.tf" "$work/tf/"
tfrun() {
  # Keep the transcript; show the plan summary and the result lines.
  (cd "$work/tf" && "$tf" "$@" -input=false -no-color) >"$work/terraform.log" 2>&1 || { cat "$work/terraform.log"; return 1; }
  grep -E '^(Plan:|Apply complete|No changes)|will be (created|read)' "$work/terraform.log" | sed 's/^/    /' || true
}
tfrun apply -auto-approve
out() { (cd "$work/tf" && "$tf" output -raw "$1"); }

step "Writing the generated files to demo/files"
umask 077
out server_crt >"$work/files/server.crt"
out server_key >"$work/files/server.key"
out root_crt >"$work/files/root.crt"
out app_crt >"$work/files/app.crt"
out app_key >"$work/files/app.key"
out pg_hba_conf >"$work/files/pg_hba.conf"
chmod 0600 "$work/files/"*.key
ls -l "$work/files"
openssl x509 -in "$work/files/server.crt" -noout -subject -ext subjectAltName

step "Starting PostgreSQL 15 with ssl = on (as the postgres OS user, 127.0.0.1 only)"
pgdir=$(mktemp -d /tmp/pgtls-demo.XXXXXX)
cleanup() {
  if [ -f "$pgdir/data/postmaster.pid" ]; then
    su postgres -s /bin/sh -c "$pgbin/pg_ctl -D '$pgdir/data' -m immediate stop" >/dev/null 2>&1 || true
  fi
  rm -rf "$pgdir"
}
trap cleanup EXIT
port=
for _ in $(seq 50); do
  candidate=$((20000 + RANDOM % 20000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
done
[ -n "$port" ] || { echo "no free loopback port found"; exit 1; }
chown postgres: "$pgdir"
su postgres -s /bin/sh -c "$pgbin/initdb -D '$pgdir/data' -U postgres --auth=trust -E UTF8 >/dev/null"
install -o postgres -m 0600 "$work/files/server.crt" "$pgdir/data/server.crt"
install -o postgres -m 0600 "$work/files/server.key" "$pgdir/data/server.key"
install -o postgres -m 0600 "$work/files/root.crt" "$pgdir/data/root.crt"
cat >>"$pgdir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$pgdir'
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
ssl_ca_file = 'root.crt'
ssl_min_protocol_version = 'TLSv1.2'
CONF
install -o postgres -m 0600 "$work/files/pg_hba.conf" "$pgdir/data/pg_hba.conf"
su postgres -s /bin/sh -c "$pgbin/pg_ctl -D '$pgdir/data' -l '$pgdir/log' -w start >/dev/null"
su postgres -s /bin/sh -c "psql -X -q -h '$pgdir' -p $port -d postgres -c 'CREATE ROLE app LOGIN'"
echo "listening on 127.0.0.1:$port with the pg_hba.conf pgtls rendered:"; sed 's/^/    /' "$pgdir/data/pg_hba.conf"

step "Proving it with pgtls_connection_check (terraform apply -var check_port=$port)"
failed=0
if tfrun apply -auto-approve -var "check_port=$port"; then
  (cd "$work/tf" && "$tf" output -no-color check && "$tf" output -no-color check_other_role) | sed 's/^/    /'
  echo "every sslmode behaved as expected"
else
  echo "UNEXPECTED: the connection check failed"; failed=1
fi

client() {
  # Hermetic libpq: no ~/.postgresql, no PG* variables.
  env -i PATH="$PATH" HOME="$work" psql -X -A -t -w \
    "host=$1 port=$port dbname=postgres user=$2 sslmode=verify-full sslrootcert=$work/files/root.crt sslcert=$work/files/app.crt sslkey=$work/files/app.key" \
    -c "SELECT 'user=' || current_user || ' ssl=' || ssl || ' ' || version || ' ' || cipher || ' client_dn=' || coalesce(client_dn,'') FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
}

for host in localhost 127.0.0.1; do
  step "Cross-check with real libpq: psql sslmode=verify-full host=$host user=app (expected: accepted)"
  if client "$host" app; then echo "ACCEPTED, as expected"; else echo "UNEXPECTED: refused"; failed=1; fi
done
step "psql sslmode=verify-full host=localhost user=postgres with app's certificate (expected: refused)"
if client localhost postgres 2>&1; then echo "UNEXPECTED: accepted"; failed=1; else echo "REFUSED, as expected"; fi

step "Result"
if [ "$failed" = 0 ]; then
  echo "demo OK: the generated PKI and pg_hba.conf give role app, and only app, a certificate login, only over TLS;"
  echo "pgtls_connection_check and psql agree."
  echo "files: $work/files   terraform state: $work/tf"
else
  echo "demo FAILED"; tail -20 "$pgdir/log"; exit 1
fi
