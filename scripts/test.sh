#!/usr/bin/env bash
# Runs every test suite, as CI does (.ci/run), from a clean clone:
#   1. starts PostgreSQL and Redis for the storage tests (scripts/services.sh), stopping them at the end
#      unless they were already running before; installs (apt-get, when missing) docker-compose, nginx,
#      python3 and curl for the deployment-file checks (scripts/check-docker.sh);
#   2. installs the matrix-js-sdk end-to-end suite's packages (npm ci in tests/e2e);
#   3. builds the solution once (Debug: the gateway tests run Myelin.Gateway.dll from their own bin);
#   4. runs `dotnet test` over the solution, and ends with one line: `N passed, M failed[, K skipped]`.
# Exits non-zero if the build or any test failed. Trx files land in TestResults/.
set -euo pipefail
cd "$(dirname "$0")/.."

CONFIGURATION=Debug
RESULTS=TestResults
started=$SECONDS

say() { echo "test.sh: $*" >&2; }
elapsed() { echo "$((SECONDS - started)) s"; }

for tool in dotnet node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        case "$tool" in
            dotnet) say "dotnet (the .NET 10 SDK) is not on PATH" ;;
            *) say "$tool is not on PATH: the matrix-js-sdk suite in tests/e2e needs Node.js 20+ with npm (apt-get install -y nodejs npm)" ;;
        esac
        exit 1
    fi
done

# --- services -----------------------------------------------------------------------------------
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pg_port="${MYELIN_PG_PORT:-5433}"
redis_port="${MYELIN_REDIS_PORT:-6380}"
# Someone else's services (a developer's, another run's) are left as they were found.
stop_services=true
if answers "$pg_port" || answers "$redis_port"; then
    stop_services=false
    say "PostgreSQL or Redis already runs on $pg_port/$redis_port: using it and leaving it running"
fi
cleanup() {
    if [ "$stop_services" = true ]; then bash scripts/services.sh stop || true; fi
}
trap cleanup EXIT

# Captured first: `eval "$(...)"` alone would carry on with nothing set if services.sh failed.
if ! exports="$(bash scripts/services.sh start)"; then
    say "scripts/services.sh could not start PostgreSQL and Redis"
    exit 1
fi
eval "$exports"
say "services up ($(elapsed)): MYELIN_TEST_POSTGRES and MYELIN_TEST_REDIS set"

# --- deployment-file validators -------------------------------------------------------------------
# DeploymentFilesTests runs scripts/check-docker.sh (docker-compose config, nginx -t, nginx routing
# against stub gateways); under CI=true it fails rather than skips when these are missing.
packages=()
command -v docker-compose >/dev/null 2>&1 || packages+=(docker-compose)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || packages+=(nginx-light)
command -v python3 >/dev/null 2>&1 || packages+=(python3)
command -v curl >/dev/null 2>&1 || packages+=(curl)
if [ "${#packages[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing ${packages[*]} for the deployment-file checks"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2
    else
        say "missing ${packages[*]} (apt-get install -y --no-install-recommends ${packages[*]}): the deployment-file check skips, or fails under CI=true"
    fi
fi

# --- end-to-end suite's packages ----------------------------------------------------------------
say "npm ci in tests/e2e (node $(node --version), npm $(npm --version))"
(cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error) >&2

# --- build --------------------------------------------------------------------------------------
say "building Orleans.sln ($CONFIGURATION)"
if ! dotnet build Orleans.sln -c "$CONFIGURATION" -nologo -v minimal >&2; then
    say "build failed after $(elapsed)"
    exit 1
fi
say "built ($(elapsed))"

# --- tests --------------------------------------------------------------------------------------
rm -rf "$RESULTS"
log="$(mktemp)"
test_rc=0
# A test that hangs is killed (with a dump) rather than eating CI's time; it then counts as failed.
dotnet test Orleans.sln -c "$CONFIGURATION" --no-build -nologo \
    --results-directory "$RESULTS" \
    --logger "trx;LogFilePrefix=tests" \
    --blame-hang-timeout 5m \
    2>&1 | tee "$log" || test_rc=$?

# One summary line per test assembly, e.g.
#   Passed!  - Failed:     0, Passed:    42, Skipped:     1, Total:    43, Duration: 3 s - X.Tests.dll (net10.0)
read -r passed failed skipped assemblies < <(
    sed -E 's/\x1b\[[0-9;]*m//g' "$log" | awk '
        /[A-Za-z]+! +- +Failed: +[0-9]+, +Passed: +[0-9]+, +Skipped: +[0-9]+/ {
            line = $0
            match(line, /Failed: +[0-9]+/);  f += substr(line, RSTART + 7, RLENGTH - 7)
            match(line, /Passed: +[0-9]+/);  p += substr(line, RSTART + 7, RLENGTH - 7)
            match(line, /Skipped: +[0-9]+/); s += substr(line, RSTART + 8, RLENGTH - 8)
            n++
        }
        END { printf "%d %d %d %d\n", p, f, s, n }')
rm -f "$log"

if [ "$test_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    # dotnet test failed without a failed test in any summary: a test host crashed or hung.
    say "dotnet test exited with $test_rc but no assembly reported a failed test: counting the run as failed"
    failed=1
fi
if [ "$assemblies" -eq 0 ]; then
    say "no test assembly reported a summary"
    failed=$((failed > 0 ? failed : 1))
fi
say "$assemblies test assemblies, $(elapsed) in all"

summary="$passed passed, $failed failed"
if [ "$skipped" -gt 0 ]; then summary="$summary, $skipped skipped"; fi
echo "$summary"
[ "$failed" -eq 0 ]
