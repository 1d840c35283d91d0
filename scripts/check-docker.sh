#!/usr/bin/env bash
# Validates the deployment files without a Docker engine (CI has none):
#   1. docker/docker-compose.yml parses and resolves (Debian's docker-compose `config`);
#   2. docker/nginx/nginx.conf passes `nginx -t` (upstream host names pointed at 127.0.0.1: nginx
#      resolves them while checking);
#   3. that nginx config routes as documented, run against two stub gateways (python3): /sync is sticky
#      per user (header or access_token parameter, whatever the token's random part), initial syncs
#      go to their own pool, everything else alternates;
#   4. the shell scripts parse (bash -n / sh -n).
# Installs docker-compose and nginx-light with apt-get when missing (as root). Exits non-zero on any
# failure; the last line is `check-docker: OK` on success.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

say() { echo "check-docker: $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

# --- tools --------------------------------------------------------------------------------------
need=()
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ "${#need[@]}" -gt 0 ]; then
    [ "$(id -u)" = 0 ] || fail "missing ${need[*]}; run as root or: apt-get install -y --no-install-recommends ${need[*]}"
    say "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

work="$(mktemp -d)"
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -s "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# --- 1. compose -----------------------------------------------------------------------------------
say "docker-compose $(docker-compose version --short 2>/dev/null || echo '?'): config"
# POSTGRES_PASSWORD and friends have defaults in the file; unset ones must not break it.
docker-compose -f docker/docker-compose.yml config -q || fail "docker/docker-compose.yml does not validate"
docker-compose -f docker/docker-compose.yml config --services | sort >"$work/services"
for s in postgres redis init persister1 persister2 gateway1 gateway2 nginx; do
    grep -qx "$s" "$work/services" || fail "docker-compose.yml has no service $s"
done
for f in shared persister1 persister2 gateway1 gateway2; do
    [ -s "docker/config/$f.yaml" ] || fail "docker/config/$f.yaml is missing"
done

# --- 2. nginx -t ----------------------------------------------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
nginx_port="$(free_port)"; port_a="$(free_port)"; port_b="$(free_port)"
mkdir -p "$work/nginx"
# The same rewrite scripts/cluster does: gateways on loopback, every path inside the work folder.
sed -e "s#server gateway1:8008#server 127.0.0.1:$port_a#" \
    -e "s#server gateway2:8008#server 127.0.0.1:$port_b#" \
    -e "s#listen 8080;#listen 127.0.0.1:$nginx_port;#" \
    -e "s#/var/log/nginx/#$work/nginx-#g" \
    -e "s#/tmp/nginx_#$work/nginx/#g" \
    -e "s#^pid .*#pid $work/nginx.pid;#" \
    docker/nginx/nginx.conf >"$work/nginx.conf"
grep -q "127.0.0.1:$port_a" "$work/nginx.conf" || fail "nginx.conf no longer names 'server gateway1:8008' (update this script and scripts/cluster)"
say "$(nginx -v 2>&1): nginx -t"
nginx -t -p "$work/nginx/" -c "$work/nginx.conf" -e "$work/nginx-error.log" 2>"$work/nginx-t.log" \
    || { cat "$work/nginx-t.log" >&2; fail "docker/nginx/nginx.conf does not pass nginx -t"; }

# --- 3. routing against two stub gateways ---------------------------------------------------------
cat >"$work/stub.py" <<'EOF'
import http.server, sys
name, port = sys.argv[1], int(sys.argv[2])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = name.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
EOF
python3 "$work/stub.py" A "$port_a" & pids+=($!)
python3 "$work/stub.py" B "$port_b" & pids+=($!)
nginx -p "$work/nginx/" -c "$work/nginx.conf" -e "$work/nginx-error.log" || fail "nginx did not start"
base="http://127.0.0.1:$nginx_port"
for _ in $(seq 1 50); do
    curl -fsS -o /dev/null "$base/_matrix/client/versions" 2>/dev/null && break
    sleep 0.1
done

# Myelin's token shape: syt_<unpadded urlsafe base64 localpart>_<20 letters>_<6 base62>.
letters=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ
random_letters() { local s="" i; for ((i = 0; i < $1; i++)); do s="$s${letters:RANDOM % 52:1}"; done; echo "$s"; }
token() { echo "syt_${1}_$(random_letters 20)_0$(random_letters 5)"; }
get() { curl -fsS --max-time 5 "$@"; }

seen=""
for i in $(seq 1 10); do
    # "user1?>?" is dXNlcjE_Pj8 in urlsafe base64: the token's localpart part itself holds a "_".
    user="user$i?>?"
    b64="$(printf '%s' "$user" | base64 | tr -d '=\n' | tr '+/' '-_')"
    first="$(get -H "Authorization: Bearer $(token "$b64")" "$base/_matrix/client/v3/sync?since=s1&timeout=0")" \
        || fail "GET /sync through nginx failed"
    again="$(get -H "Authorization: Bearer $(token "$b64")" "$base/_matrix/client/v3/sync?since=s2")"
    [ "$again" = "$first" ] || fail "/sync for $user went to $first, then to $again with a new token"
    again="$(get "$base/_matrix/client/v3/sync?since=s3&access_token=$(token "$b64")")"
    [ "$again" = "$first" ] || fail "/sync for $user by access_token parameter went to $again, not $first"
    again="$(get -H "Authorization: Bearer $(token "$b64")" "$base/_matrix/client/r0/events?from=s1")"
    [ "$again" = "$first" ] || fail "legacy /events for $user went to $again, not $first"
    initial="$(get -H "Authorization: Bearer $(token "$b64")" "$base/_matrix/client/v3/sync")"
    again="$(get -H "Authorization: Bearer $(token "$b64")" "$base/_matrix/client/v3/sync?timeout=0")"
    [ "$again" = "$initial" ] || fail "initial /sync for $user went to $initial, then $again"
    seen="$seen$first"
done
[[ "$seen" == *A* && "$seen" == *B* ]] || fail "10 users' /sync all went to one gateway ($seen): the hash does not spread"

rr=""
for _ in 1 2 3 4; do rr="$rr$(get "$base/_matrix/client/v3/profile/@u:localhost")"; done
[[ "$rr" == *A* && "$rr" == *B* ]] || fail "other requests did not alternate between gateways ($rr)"
say "routing: /sync sticky per user (10 users over $(echo "$seen" | grep -o A | wc -l) A / $(echo "$seen" | grep -o B | wc -l) B), other requests round robin ($rr)"

# --- 4. scripts -----------------------------------------------------------------------------------
bash -n scripts/cluster || fail "scripts/cluster does not parse"
sh -n docker/init-secrets.sh || fail "docker/init-secrets.sh does not parse"

echo "check-docker: OK"
