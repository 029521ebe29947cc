#!/usr/bin/env bash
# tests/interop/curl_json.sh — khnetd as curl sees it, in JSON.
#
# An independent peer: curl for HTTP, /usr/bin/python3's json module for
# parsing (never our codec).  Runs under tests/harness.sh, which exports
# KHNET_URL.  Prints each check; exits non-zero on the first failure.
set -euo pipefail

: "${KHNET_URL:?run me under tests/harness.sh}"
PY=/usr/bin/python3
TMP=$(mktemp -d -t khnet-curl.XXXXXXXX)
trap 'rm -rf "$TMP"' EXIT

NCHECK=0
ok() { NCHECK=$((NCHECK + 1)); printf 'ok   %s\n' "$*"; }
fail() { printf 'FAIL %s\n' "$*" >&2; exit 1; }

# req NAME CURL-ARGS... — run curl; the body lands in $TMP/NAME.body, the
# headers in $TMP/NAME.hdr, and the status in $STATUS.
req() {
  local name=$1
  shift
  STATUS=$(curl -sS --max-time 10 -D "$TMP/$name.hdr" -o "$TMP/$name.body" \
    -w '%{http_code}' "$@") || fail "$name: curl failed"
}

# header NAME FIELD — value of a response header (case-insensitive), CR stripped.
header() {
  awk -v f="$(printf '%s' "$2" | tr 'A-Z' 'a-z')" '
    { line = $0; sub(/\r$/, "", line) }
    tolower(substr(line, 1, index(line, ":") - 1)) == f {
      v = substr(line, index(line, ":") + 1); sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v); print v; exit
    }' "$TMP/$1.hdr"
}

expect_status() { # NAME WANT
  [[ $STATUS == "$2" ]] || fail "$1: status $STATUS, want $2; body: $(head -c 500 "$TMP/$1.body")"
}

# pycheck NAME DESCRIPTION PYTHON — run PYTHON with `d` = the parsed JSON body
# of NAME; it must raise/assert on failure.
pycheck() {
  local name=$1 what=$2 code=$3
  if ! "$PY" - "$TMP/$name.body" <<EOF
import json, sys
with open(sys.argv[1], 'rb') as f:
    raw = f.read()
d = json.loads(raw.decode('utf-8'))
$code
EOF
  then
    fail "$name: $what; body: $(head -c 500 "$TMP/$name.body")"
  fi
  ok "$name: $what"
}

# ---- GET /healthz -----------------------------------------------------------
req healthz -H 'Accept: application/json' "$KHNET_URL/healthz"
expect_status healthz 200
ct=$(header healthz content-type)
[[ $ct == application/json* ]] || fail "healthz: Content-Type '$ct', want application/json"
pycheck healthz "200 JSON, status ok|degraded, worker int, db map of ints" '
assert d["status"] in ("ok", "degraded"), d
assert type(d["worker"]) is int, d
for k in ("connections", "connected", "broken", "in_flight", "queued"):
    assert type(d["db"][k]) is int, (k, d)
'

# ---- GET /v1/info -----------------------------------------------------------
req info -H 'Accept: application/json' "$KHNET_URL/v1/info"
expect_status info 200
pycheck info "service=khnet, api=1, version and schema non-empty, db_time RFC 3339 UTC" '
import re, datetime
assert d["service"] == "khnet", d
assert d["api"] == 1 and type(d["api"]) is int, d
assert isinstance(d["version"], str) and d["version"], d
assert isinstance(d["schema"], str) and d["schema"], d
t = d["db_time"]
assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", t), t
# a real instant, and close to now (the test cluster is on this machine)
dt = datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))
now = datetime.datetime.now(datetime.timezone.utc)
assert abs((now - dt).total_seconds()) < 300, (t, now)
'

# ---- POST /v1/echo, JSON both ways -----------------------------------------
cat >"$TMP/doc.json" <<'EOF'
{
  "name": "Nguyễn Thị Minh Thư",
  "greeting": "Xin chào, thế giới! Đây là tiếng Việt: ă â đ ê ô ơ ư ạ ả ấ ầ ẩ ẫ ậ",
  "ints": [0, 1, -1, 127, 128, -32, -33, 255, 256, 65535, 65536, -2147483648,
           4294967295, 9007199254740993, -9007199254740993, 9223372036854775807,
           -9223372036854775808],
  "floats": [0.5, -1.25, 3.141592653589793, 1e-300, 6.02214076e23, -0.0, 0.1],
  "bools": [true, false, null],
  "nested": [[1, [2, [3, [4, []]]]], {"a": {"b": {"c": ["d", {}]}}}, []],
  "empty_obj": {},
  "empty_str": "",
  "escapes": "quote \" backslash \\ tab \t newline \n slash / \u00e9 \ud83d\ude00"
}
EOF
req echo -H 'Content-Type: application/json' -H 'Accept: application/json' \
  --data-binary @"$TMP/doc.json" "$KHNET_URL/v1/echo"
expect_status echo 200
ct=$(header echo content-type)
[[ $ct == application/json* ]] || fail "echo: Content-Type '$ct', want application/json"
pycheck echo "echoed data equals the request (Vietnamese text, big ints, floats, nesting)" "
with open('$TMP/doc.json', 'rb') as f:
    sent = json.loads(f.read().decode('utf-8'))
assert d['content_type'] == 'application/json', d
got = d['data']
def same(a, b):
    # type-exact structural equality (True != 1, 1 != 1.0, -0.0 keeps its sign)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        import math
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return a == b
assert same(sent, got), (sent, got)
assert got['ints'][13] == 9007199254740993, got['ints']
assert got['name'] == 'Nguy\u1ec5n Th\u1ecb Minh Th\u01b0', got['name']
# the raw bytes of the name are in the reply, not \\u escapes only: either is
# valid JSON, but both must decode to the same text (checked above)
"

# curl's default Accept is */*: the fallback is the request's own body type.
req echo_default -H 'Content-Type: application/json' --data-binary '{"k":"Nguyễn Thị Minh Thư"}' \
  "$KHNET_URL/v1/echo"
expect_status echo_default 200
ct=$(header echo_default content-type)
[[ $ct == application/json* ]] || fail "echo_default: Content-Type '$ct', want application/json (Accept */* + JSON body)"
pycheck echo_default "Accept */* with a JSON body gets JSON back" '
assert d == {"data": {"k": "Nguyễn Thị Minh Thư"}, "content_type": "application/json"}, d
'

# ---- errors -----------------------------------------------------------------
req notfound -H 'Accept: application/json' "$KHNET_URL/v1/no-such-thing"
expect_status notfound 404
pycheck notfound "404 body has error.code=not_found" '
assert d["error"]["code"] == "not_found", d
assert isinstance(d["error"]["message"], str), d
'

req method -H 'Accept: application/json' "$KHNET_URL/v1/echo"
expect_status method 405
allow=$(header method allow)
[[ $allow == *POST* ]] || fail "method: Allow header '$allow', want it to list POST"
ok "method: 405 with Allow: $allow"
pycheck method "405 body has error.code=method_not_allowed" '
assert d["error"]["code"] == "method_not_allowed", d
'

# ---- X-Request-Id -------------------------------------------------------------
req rid -H 'Accept: application/json' -H 'X-Request-Id: curl-interop.42_x' "$KHNET_URL/healthz"
expect_status rid 200
rid=$(header rid x-request-id)
[[ $rid == curl-interop.42_x ]] || fail "rid: X-Request-Id '$rid', want curl-interop.42_x"
ok "rid: client X-Request-Id echoed"
req rid_gen -H 'Accept: application/json' "$KHNET_URL/healthz"
rid=$(header rid_gen x-request-id)
[[ -n $rid ]] || fail "rid_gen: no X-Request-Id in the response"
ok "rid_gen: server made X-Request-Id $rid"
req rid_err -H 'X-Request-Id: err-1' "$KHNET_URL/nowhere"
rid=$(header rid_err x-request-id)
[[ $rid == err-1 ]] || fail "rid_err: X-Request-Id '$rid' on a 404, want err-1"
ok "rid_err: X-Request-Id echoed on an error reply"

# ---- /metrics -----------------------------------------------------------------
req metrics -H 'Accept: application/json' "$KHNET_URL/metrics"
expect_status metrics 200
ct=$(header metrics content-type)
[[ $ct == text/plain* ]] || fail "metrics: Content-Type '$ct', want text/plain (whatever Accept says)"
grep -Eq '^khnet_http_requests_total\{[^}]*route="/healthz"[^}]*\} [0-9]+' "$TMP/metrics.body" ||
  fail "metrics: no khnet_http_requests_total{route=\"/healthz\"} series; got: $(head -c 800 "$TMP/metrics.body")"
ok "metrics: text/plain with khnet_http_requests_total{route=\"/healthz\",...}"
pycheck_metrics() {
  "$PY" - "$TMP/metrics.body" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
n = 0
for line in text.splitlines():
    m = re.match(r'khnet_http_requests_total\{(.*)\} (\d+)$', line)
    if m and 'route="/healthz"' in m.group(1) and 'status="200"' in m.group(1):
        n += int(m.group(2))
# this script has made at least 3 healthz requests that returned 200
assert n >= 3, (n, text[:800])
for name in ("khnet_http_request_duration_seconds_count", "khnet_http_connections_open",
             "khnet_http_connections_total"):
    assert re.search(r"^" + name + r"(\{[^}]*\})? ", text, re.M), name
EOF
}
pycheck_metrics || fail "metrics: healthz counter below 3 or series missing"
ok "metrics: healthz 200 counter counts our requests; histogram and connection series present"

echo "curl_json: $NCHECK passed, 0 failed"
