#!/usr/bin/env bash
# tests/harness.sh CMD... — run one integration/interop test against a real,
# freshly started khnetd with its own database (CTest calls this; see
# tests/CMakeLists.txt).
#
# Needs: KHNETD (khnetd binary) and KHNET_TEST_DATABASE_URL (a database on the
# test cluster; we only use it to create and drop our own).  Optional:
# KHNETD_ARGS (extra server flags, word-split).
#
# For CMD it exports KHNET_URL, KHNET_DATABASE_URL (this test's database),
# KHNET_SERVER_PID and KHNET_SERVER_LOG.  After CMD, khnetd gets SIGTERM and
# must exit 0 within 10 s: graceful shutdown is part of every test.  Exits
# with CMD's status (77 = skipped), or 1 if the server crashed, hung or a
# sanitizer spoke.
set -euo pipefail

PY=/usr/bin/python3
: "${KHNETD:?KHNETD must point at the khnetd binary}"
: "${KHNET_TEST_DATABASE_URL:?KHNET_TEST_DATABASE_URL must name a test database}"
(($# > 0)) || { echo "usage: $0 CMD..." >&2; exit 2; }

say() { printf 'harness: %s\n' "$*" >&2; }

# with_db URL NAME — print URL with its database name replaced by NAME.
with_db() {
  "$PY" - "$1" "$2" <<'EOF'
import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1])
print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))
EOF
}

free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Database name: the test's name (last argument, e.g. it_auth or
# test_ws.py) plus a random suffix, so parallel and repeated runs never meet.
test_name=$(basename -- "${!#}")
test_name=${test_name%.*}
test_name=$(printf '%s' "${test_name,,}" | tr -c 'a-z0-9_' '_' | cut -c1-40)
DB_NAME="t_${test_name}_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
ADMIN_URL=$KHNET_TEST_DATABASE_URL
DB_URL=$(with_db "$ADMIN_URL" "$DB_NAME")

WORK=$(mktemp -d -t khnet-harness.XXXXXXXX)
LOG=$WORK/khnetd.log
SERVER_PID="" DB_CREATED=0 FAILED=0

# shellcheck disable=SC2317  # invoked through trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if ((DB_CREATED)); then
    psql "$ADMIN_URL" -Xq -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" \
      >/dev/null 2>&1 || say "could not drop database $DB_NAME"
  fi
  if ((rc != 0 || FAILED)) && [[ -s $LOG ]]; then
    printf '\n---- khnetd log (%s) ----\n' "$LOG" >&2
    tail -n 300 "$LOG" >&2
    printf -- '---- end of khnetd log ----\n' >&2
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The cluster may be restarting (db tests use KHNET_TEST_PGCTL): wait for it.
for ((i = 0; i < 60; i++)); do
  psql "$ADMIN_URL" -XqtAc 'SELECT 1' >/dev/null 2>&1 && break
  sleep 0.5
done
psql "$ADMIN_URL" -Xq -c "CREATE DATABASE \"$DB_NAME\"" >/dev/null
DB_CREATED=1
if ! "$KHNETD" migrate --database-url "$DB_URL" >"$LOG" 2>&1; then
  FAILED=1; say "khnetd migrate failed"; exit 1
fi

# Start khnetd; retry on another port if the one we picked was taken
# between our probe and its bind.
healthy() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 \
           "http://127.0.0.1:$PORT/healthz" 2>/dev/null) || true
  [[ $code == 200 ]]
}

start_server() {
  PORT=$(free_port)
  # shellcheck disable=SC2086  # KHNETD_ARGS is a list of flags on purpose
  "$KHNETD" --listen "127.0.0.1:$PORT" --database-url "$DB_URL" --workers 2 \
    ${KHNETD_ARGS:-} >>"$LOG" 2>&1 &
  SERVER_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do   # ~10 s
    healthy && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  return 1
}

started=0
for attempt in 1 2 3; do
  if start_server; then started=1; break; fi
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    say "khnetd did not answer GET /healthz with 200 within 10 s"
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
    break                           # alive but not healthy: a real failure
  fi
  rc=0; wait "$SERVER_PID" || rc=$?
  SERVER_PID=""
  say "khnetd exited (status $rc) before answering GET /healthz"
  grep -qi 'in use' "$LOG" || break  # died for another reason: give up
  say "port $PORT was taken; retrying ($attempt)"
done
if ((!started)); then
  FAILED=1; exit 1
fi

export KHNET_URL="http://127.0.0.1:$PORT"
export KHNET_DATABASE_URL=$DB_URL
export KHNET_SERVER_PID=$SERVER_PID
export KHNET_SERVER_LOG=$LOG

cmd_rc=0
"$@" || cmd_rc=$?
((cmd_rc == 0)) || say "test command exited with status $cmd_rc"

# Graceful shutdown: SIGTERM, then exit status 0 within 10 s.
server_rc=0
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  wait "$SERVER_PID" || server_rc=$?
  say "khnetd died during the test (status $server_rc)"
  server_rc=1
else
  kill -TERM "$SERVER_PID"
  for ((i = 0; i < 100; i++)); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    say "khnetd did not exit within 10 s of SIGTERM"
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    server_rc=1
  else
    wait "$SERVER_PID" || server_rc=$?
    ((server_rc == 0)) || say "khnetd exited with status $server_rc after SIGTERM"
  fi
fi
SERVER_PID=""

if grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$LOG"; then
  say "sanitizer report in the khnetd log"
  server_rc=1
fi

# 77 = skipped (SKIP_RETURN_CODE), but never when the server misbehaved.
if ((server_rc != 0)); then FAILED=1; exit $((cmd_rc != 0 && cmd_rc != 77 ? cmd_rc : 1)); fi
if ((cmd_rc != 0)); then ((cmd_rc == 77)) || FAILED=1; exit "$cmd_rc"; fi
exit 0
