#!/usr/bin/env bash
# server_lifecycle.sh — khnetd as an operator meets it: --help lists every
# setting with its environment variable, bad flags are refused, a request
# slower than --slow-request-ms logs where its time went (and only such a
# request), the server
# refuses a schema that is behind or edited, refuses a taken port, and stops
# cleanly (exit 0) on SIGTERM and SIGINT with connections open.
# Runs under tests/harness.sh (KHNETD, KHNET_DATABASE_URL, KHNET_URL set).
set -euo pipefail
PY=/usr/bin/python3
fails=0
ok() { printf 'ok   %s\n' "$*"; }
bad() { printf 'FAIL %s\n' "$*"; fails=$((fails + 1)); }
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# --help: every flag with its KHNET_* variable and default
"$KHNETD" --help >"$WORK/help"
for f in listen workers database-url db-connections statement-timeout max-header-bytes \
         max-body-bytes header-timeout body-timeout idle-timeout max-connections shutdown-timeout \
         slow-request-ms; do
  env=KHNET_$(printf '%s' "$f" | tr 'a-z-' 'A-Z_')
  if grep -q -- "--$f" "$WORK/help" && grep -q "$env" "$WORK/help"; then ok "--help lists --$f"
  else bad "--help lacks --$f / $env"; fi
done

# bad flags and values are refused with a message, not ignored
for args in "--nope 1" "--workers -1" "--listen nowhere" "--listen 127.0.0.1:70000" \
            "--max-body-bytes abc" "frobnicate"; do
  # shellcheck disable=SC2086
  if "$KHNETD" $args >"$WORK/out" 2>&1; then bad "accepted: $args"
  elif [[ -s $WORK/out ]]; then ok "refused: $args ($(head -c 60 "$WORK/out"))"
  else bad "refused silently: $args"; fi
done

# environment variables configure it; flags win over them
port=$(free_port)
KHNET_LISTEN=127.0.0.1:1 "$KHNETD" --listen "127.0.0.1:$port" --workers 1 \
  --database-url "$KHNET_DATABASE_URL" >"$WORK/envlog" 2>&1 &
pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
if curl -fs "http://127.0.0.1:$port/healthz" >/dev/null; then ok "flag beats KHNET_LISTEN"
else bad "server did not listen on the flag's port"; fi

# --slow-request-ms: a request whose head arrives in two parts 2 s apart
# takes that long from its first byte, so it is logged with its stages (the
# wait in read_us: half of it at least, as its first part may be read a little
# after it was sent; the categories listing is one database step); requests
# faster than the threshold are not
slow_port=$(free_port)
"$KHNETD" --listen "127.0.0.1:$slow_port" --workers 1 --slow-request-ms 1000 --access-log off \
  --database-url "$KHNET_DATABASE_URL" >"$WORK/slowlog" 2>&1 &
slow_pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$slow_port/healthz" >/dev/null && break; sleep 0.1; done
for _ in 1 2 3; do curl -fs "http://127.0.0.1:$slow_port/v1/forum/categories" >/dev/null; done
"$PY" - "$slow_port" <<'PYEOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /v1/forum/categories HTTP/1.1\r\nHost: x\r\n")
time.sleep(2.0)
s.sendall(b"Accept: application/json\r\nConnection: close\r\n\r\n")
reply = b""
while chunk := s.recv(65536):
    reply += chunk
sys.exit(0 if reply.startswith(b"HTTP/1.1 200") else 1)
PYEOF
sleep 0.2
line=$(grep 'msg="slow request"' "$WORK/slowlog" || true)
read_us=$(sed -n 's/.* read_us=\([0-9]*\).*/\1/p' <<<"$line")
if [[ $(grep -c . <<<"$line") == 1 && $line == *'route="/v1/forum/categories" status=200'* &&
      $line == *' db_steps=1 '* && ${read_us:-0} -ge 1000000 ]]; then
  ok "--slow-request-ms logs the slow request's stages only: ${line#*msg=}"
else bad "--slow-request-ms: expected one line for the slow request, got: ${line:-none}"; fi
kill "$slow_pid"; wait "$slow_pid" || true

# a taken port: the second server fails to start (SO_REUSEPORT is per user, so
# this binds a plain socket without it to hold the port)
hold_port=$(free_port)
"$PY" -c "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',$hold_port)); s.listen(); time.sleep(5)" &
holder=$!
sleep 0.3
if "$KHNETD" --listen "127.0.0.1:$hold_port" --workers 1 --database-url "$KHNET_DATABASE_URL" \
     >"$WORK/taken" 2>&1; then bad "started on a taken port"
else ok "taken port refused: $(grep -o 'error="[^"]*"' "$WORK/taken" | head -1)"; fi
kill "$holder" 2>/dev/null || true

# SIGINT with an idle keep-alive connection open: exits 0, quickly
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' >&3
sleep 0.3
t0=$(date +%s%N)
kill -INT "$pid"
if wait "$pid"; then
  ms=$((($(date +%s%N) - t0) / 1000000))
  if ((ms < 3000)); then ok "SIGINT with an open connection: exit 0 in ${ms} ms"
  else bad "SIGINT took ${ms} ms"; fi
else bad "SIGINT: non-zero exit"; fi
exec 3>&-

# a schema that is behind: fresh database, not migrated
admin=$KHNET_DATABASE_URL
fresh="khnet_lifecycle_$$"
psql "$admin" -Xqc "CREATE DATABASE $fresh" >/dev/null
fresh_url=$("$PY" -c "import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path='/'+sys.argv[2])))" "$admin" "$fresh")
if "$KHNETD" --listen "127.0.0.1:$(free_port)" --workers 1 --database-url "$fresh_url" \
     >"$WORK/behind" 2>&1; then bad "started on an unmigrated database"
elif grep -q "behind" "$WORK/behind"; then ok "refuses a schema that is behind"
else bad "refused, but without saying the schema is behind: $(cat "$WORK/behind")"; fi
"$KHNETD" migrate --database-url "$fresh_url" >/dev/null 2>&1
if "$KHNETD" check-schema --database-url "$fresh_url" >/dev/null; then ok "check-schema after migrate"
else bad "check-schema fails after migrate"; fi
# an applied migration edited afterwards: refused
psql "$fresh_url" -Xqc "UPDATE khnet_schema_migrations SET checksum = 'edited' WHERE name = (SELECT min(name) FROM khnet_schema_migrations)"
if "$KHNETD" --listen "127.0.0.1:$(free_port)" --workers 1 --database-url "$fresh_url" \
     >"$WORK/edited" 2>&1; then bad "started on an edited schema"
else ok "refuses an edited migration: $(grep -o 'reason="[^"]*"' "$WORK/edited" | head -c 120)"; fi
if "$KHNETD" migrate --database-url "$fresh_url" >"$WORK/remig" 2>&1; then bad "migrate accepted an edited migration"
else ok "migrate refuses an edited migration"; fi
psql "$admin" -Xqc "DROP DATABASE $fresh WITH (FORCE)" >/dev/null

echo "$((fails == 0 ? 1 : 0)) passed, $fails failed" >/dev/null
if ((fails)); then echo "server_lifecycle: $fails failed"; exit 1; fi
echo "server_lifecycle: all passed"
