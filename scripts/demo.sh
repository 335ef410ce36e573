#!/usr/bin/env bash
# make demo: the postgres-mtls module (examples/modules/postgres-mtls) from
# `terraform apply` to running servers, on this machine:
#   1. build the provider, apply examples/demo: the PKI, pg_hba.conf,
#      pg_ident.conf, postgresql.conf, PgBouncer's pgbouncer.ini and
#      userlist.txt, the clients' files, all written by pgtls_file_set with
#      the modes the programs require;
#   2. start PostgreSQL 15 and PgBouncer on exactly those files, as the OS
#      user postgres, on 127.0.0.1 only;
#   3. apply again with check = true: pgtls_connection_check proves, per
#      client identity, role and sslmode, who gets in and how; print the
#      table; cross-check with psql.
# Everything lives in $PGTLS_DEMO_DIR (default /tmp/pgtls-demo). Running it
# again changes nothing and leaves the servers running; `make demo-clean`
# (scripts/demo.sh clean) stops them and removes the directory.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${PGTLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pgtls}
demo=${PGTLS_DEMO_DIR:-/tmp/pgtls-demo}
pgbin=${PGBIN:-/usr/lib/postgresql/15/bin}
export CHECKPOINT_DISABLE=1

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
as_postgres() { su postgres -s /bin/sh -c "$1"; }

pg_running() { [ -f "$demo/data/postmaster.pid" ] && as_postgres "$pgbin/pg_ctl -D '$demo/data' status" >/dev/null 2>&1; }
bouncer_pid() {
  local f="$demo/pgbouncer/pgbouncer.pid" pid
  [ -r "$f" ] || return 1
  pid=$(tr -dc 0-9 <"$f")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q pgbouncer && echo "$pid"
}

stop_servers() {
  local pid
  if pid=$(bouncer_pid); then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
    echo "stopped PgBouncer (pid $pid)"
  fi
  if pg_running; then
    as_postgres "$pgbin/pg_ctl -D '$demo/data' -m fast -w stop" >/dev/null
    echo "stopped PostgreSQL"
  fi
}

if [ "${1:-}" = clean ]; then
  if [ -d "$demo" ]; then
    stop_servers
    rm -rf "$demo"
    echo "removed $demo"
  fi
  rm -rf "$cache/demo-bin" "$cache/demo.tfrc"
  rm -f "$root/examples/demo/.terraform.lock.hcl"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "make demo runs PostgreSQL and PgBouncer as the OS user postgres: run it as root" >&2
  exit 1
fi
for b in "$pgbin/postgres" "$pgbin/initdb" "$pgbin/pg_ctl" "$pgbin/psql" /usr/sbin/pgbouncer; do
  [ -x "$b" ] || { echo "$b missing: run tools/ensure-system.sh (make demo does)" >&2; exit 1; }
done
tf=$("$root/tools/ensure-cli.sh" terraform)

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

step "Preparing $demo"
# The demo directory is root's; the directories the servers own are postgres's.
install -d -m 0755 "$demo"
install -d -m 0700 "$demo/tf" "$demo/clients" "$demo/clients/app" "$demo/clients/billing-batch"
install -d -m 0700 -o postgres -g postgres "$demo/pgbouncer"
install -d -m 0755 -o postgres -g postgres "$demo/run"
if [ ! -f "$demo/data/PG_VERSION" ]; then
  install -d -m 0700 -o postgres -g postgres "$demo/data"
  as_postgres "$pgbin/initdb -D '$demo/data' -U postgres --auth=reject -E UTF8 --locale=C.UTF-8" >"$demo/initdb.log"
  echo "initdb $demo/data (its postgresql.conf, pg_hba.conf and pg_ident.conf are replaced by the module's)"
fi
# Two loopback ports, kept for the next runs.
free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "no free loopback port found" >&2
  return 1
}
if [ ! -f "$demo/ports" ]; then
  pg_port=$(free_port)
  bouncer_port=$(free_port)
  while [ "$bouncer_port" = "$pg_port" ]; do bouncer_port=$(free_port); done
  printf 'pg_port=%s\nbouncer_port=%s\n' "$pg_port" "$bouncer_port" >"$demo/ports"
fi
# shellcheck disable=SC1091
. "$demo/ports"

# Terraform's working data and the state stay in the demo directory. With
# dev_overrides there is nothing to install but the module (terraform get).
export TF_DATA_DIR="$demo/tf/.terraform"
state="$demo/tf/terraform.tfstate"
tfdemo() { "$tf" -chdir="$root/examples/demo" "$@"; }
vars=(-state="$state" -var "demo_dir=$demo" -var "port=$pg_port" -var "pgbouncer_port=$bouncer_port")
tfrun() {
  # The transcript goes to a log; the plan summary and result lines are shown.
  local log="$demo/terraform.log"
  if ! tfdemo "$@" -input=false -no-color >"$log" 2>&1; then cat "$log"; return 1; fi
  grep -E '^(Plan:|Apply complete|No changes)' "$log" | sed 's/^/    /' || true
}

step "terraform apply: PKI, configuration files, files on disk ($("$tf" version | head -1))"
tfdemo get -no-color >"$demo/terraform-get.log" 2>&1 || { cat "$demo/terraform-get.log"; exit 1; }
tfrun apply -auto-approve "${vars[@]}" -var check=false
changed=$(grep -cE '^Apply complete! Resources: ([1-9]|0 added, [1-9]|0 added, 0 changed, [1-9])' "$demo/terraform.log" || true)
echo "    files written by pgtls_file_set (mode, owner, path):"
stat -c '      %A %U %n' "$demo"/data/{postgresql.conf,pg_hba.conf,pg_ident.conf,server.crt,server.key,root.crt} \
  "$demo"/pgbouncer/{pgbouncer.ini,userlist.txt,server.crt,server.key,pgbouncer-client.crt,pgbouncer-client.key,root.crt} \
  "$demo"/clients/app/{postgresql.crt,postgresql.key,root.crt}

step "Starting PostgreSQL 15 and PgBouncer on those files (OS user postgres, 127.0.0.1 only)"
if [ "$changed" != 0 ] && { pg_running || bouncer_pid >/dev/null; }; then
  echo "the files changed: restarting"
  stop_servers
fi
if pg_running; then
  echo "PostgreSQL already running on 127.0.0.1:$pg_port"
else
  as_postgres "$pgbin/pg_ctl -D '$demo/data' -l '$demo/run/postgresql.log' -w start" >/dev/null ||
    { tail -20 "$demo/run/postgresql.log"; exit 1; }
  echo "PostgreSQL started on 127.0.0.1:$pg_port (log: $demo/run/postgresql.log)"
fi
as_postgres "$pgbin/psql -X -q -v ON_ERROR_STOP=1 -h '$demo/run' -p $pg_port -U postgres -d postgres -f '$demo/roles.sql'"
if pid=$(bouncer_pid); then
  echo "PgBouncer already running on 127.0.0.1:$bouncer_port (pid $pid)"
else
  as_postgres "/usr/sbin/pgbouncer -d -q '$demo/pgbouncer/pgbouncer.ini'" ||
    { tail -20 "$demo/pgbouncer/pgbouncer.log"; exit 1; }
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$bouncer_port") 2>/dev/null && break; sleep 0.1; done
  echo "PgBouncer started on 127.0.0.1:$bouncer_port (log: $demo/pgbouncer/pgbouncer.log)"
fi

step "terraform apply -var check=true: every client, role and sslmode against the running servers"
tfrun apply -auto-approve "${vars[@]}" -var check=true
echo
tfdemo output -state="$state" -raw connection_matrix_table
echo
echo "(RESULT is what happened; a result the policy did not expect would be marked (!) and fail the apply.)"

step "Cross-check with the real psql, using the module's conninfo for app"
conninfo=$(tfdemo output -state="$state" -raw app_conninfo)
echo "    psql \"$conninfo\""
# Hermetic libpq: no ~/.postgresql, no PG* variables.
env -i PATH="$PATH" HOME="$demo" LANG=C.UTF-8 psql -X -A -t -w "$conninfo" \
  -c "SELECT 'logged in as ' || current_user || ', ' || version || ', client certificate ' || client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()" |
  sed 's/^/    /'
if env -i PATH="$PATH" HOME="$demo" LANG=C.UTF-8 psql -X -A -t -w "${conninfo/user=app/user=billing}" -c 'SELECT 1' >"$demo/psql.err" 2>&1; then
  echo "UNEXPECTED: app's certificate logged in as billing"; exit 1
fi
echo "    the same certificate as billing: $(grep -o 'certificate authentication failed.*' "$demo/psql.err" | head -1)"

step "Done"
cat <<EOF
PostgreSQL 127.0.0.1:$pg_port and PgBouncer 127.0.0.1:$bouncer_port keep running on the files pgtls wrote.
  TF_DATA_DIR=$demo/tf/.terraform terraform -chdir=examples/demo output -state=$state pg_hba_conf
  files: $demo/data  $demo/pgbouncer  $demo/clients
make demo again changes nothing; make demo-clean stops the servers and removes $demo.
EOF
