#!/usr/bin/env bash
# Prove a frozen Linux build works, without Python: run it as a user would.
#
#     packaging/smoke-test-frozen.sh DIST_DIR
#
# DIST_DIR holds the intulse-desktop executable (an unpacked bundle). Needs curl;
# the real-keyring step needs gnome-keyring and dbus (dbus-run-session), which it
# installs with apt-get when missing and it can. Exit 0 only if every step passed.
set -euo pipefail

DIST=$(cd "${1:?usage: $0 DIST_DIR}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
APP=$DIST/intulse-desktop
PAYLOAD=$ROOT/tests/payloads/CallStarted.json
CALL_ID=1764130211.5512  # the Id in that payload
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
pass() { printf 'PASS  %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*" >&2; exit 1; }

need() {  # need COMMAND DEBIAN-PACKAGE
    command -v "$1" >/dev/null && return
    if command -v apt-get >/dev/null && [ "$(id -u)" -eq 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null
    fi
    command -v "$1" >/dev/null || fail "$1 is needed: apt-get install $2"
}

# wait_for FILE PATTERN SECONDS: until a line in FILE matches
wait_for() {
    local deadline=$((SECONDS + $3))
    until grep -q "$2" "$1" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.2
    done
}

# stop PID: SIGTERM, then the exit code, which must come within 10 s
stop() {
    local pid=$1 waited=0
    kill -TERM "$pid"
    while kill -0 "$pid" 2>/dev/null; do
        [ $waited -lt 50 ] || { kill -KILL "$pid"; fail "still running 10 s after SIGTERM"; }
        sleep 0.2
        waited=$((waited + 1))
    done
    wait "$pid"
}

json_url() {  # json_url EVENT < webhook-url --json output
    grep -o "\"$1\": *\"[^\"]*\"" | sed 's/.*: *"\(.*\)"/\1/'
}

need curl curl
[ -x "$APP" ] || fail "no executable $APP"

step "the bundle"
VERSION=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$ROOT/intulse_desktop/__init__.py")
[ "$("$APP" --version)" = "intulse-desktop $VERSION" ] || fail "--version printed '$("$APP" --version)'"
pass "--version prints intulse-desktop $VERSION"
for kind in tray/idle.svg tray/receiver_problem.svg app/intulse-desktop.svg sounds/ring.wav; do
    [ -s "$DIST/_internal/intulse_desktop/resources/$kind" ] || fail "resource $kind is missing"
done
pass "icons and sounds are in the bundle"
for module in QtCore QtGui QtWidgets QtNetwork QtMultimedia QtSvg; do
    compgen -G "$DIST/_internal/PySide6/$module.*" >/dev/null || fail "PySide6.$module is not in the bundle"
done
pass "the Qt modules the app uses are in the bundle"
unresolved=$({ find "$DIST/_internal" -type f -name '*.so*' -exec env LD_LIBRARY_PATH="$DIST/_internal" ldd {} + 2>&1 || true; } \
    | awk '/^\// {file=$1} /not found|error while loading/ {print file, $0}' | sort -u)
[ -z "$unresolved" ] || fail "libraries that do not load (from the bundle or this system):"$'\n'"$unresolved"
pass "every bundled library loads: its dependencies resolve"

step "secrets in the file fallback (no keyring backend)"
export PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring
DATA=$WORK/file-secrets
first=$("$APP" --data-dir "$DATA" webhook-url --json 2>/dev/null | json_url CallStarted)
second=$("$APP" --data-dir "$DATA" webhook-url --json 2>/dev/null | json_url CallStarted)
if [ -z "$first" ] || [ "$first" != "$second" ]; then fail "the webhook URL changed: '$first' then '$second'"; fi
[ "$(stat -c %a "$DATA/secrets.json")" = 600 ] || fail "secrets.json is not private to the user"
pass "the webhook secret is kept in secrets.json (mode 600) and read back"

step "--headless receives a webhook, calls --json shows it"
DATA=$WORK/headless
"$APP" --headless --data-dir "$DATA" --port 0 >"$WORK/headless.out" 2>"$WORK/headless.err" &
PIDS+=($!)
wait_for "$WORK/headless.err" "receiving webhooks on" 20 || { cat "$WORK/headless.err"; fail "--headless did not start"; }
PORT=$(sed -n 's/.*receiving webhooks on [^ ]*:\([0-9]*\) .*/\1/p' "$WORK/headless.err" | head -1)
"$APP" --data-dir "$DATA" config set listen_port "$PORT"
URL=$("$APP" --data-dir "$DATA" webhook-url --json 2>/dev/null | json_url CallStarted)
status=$(curl -sS -o "$WORK/reply" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$PAYLOAD" "$URL")
[ "$status" = 200 ] || fail "POST answered $status: $(cat "$WORK/reply")"
wait_for "$WORK/headless.out" "CallStarted $CALL_ID" 10 || fail "--headless printed no line for the call"
pass "POST ${URL%%/hooks/*}/hooks/<secret>/CallStarted -> 200; --headless printed the call"
[[ $("$APP" --data-dir "$DATA" calls --json) == *"\"$CALL_ID\""* ]] || fail "calls --json does not list $CALL_ID"
[[ $("$APP" --data-dir "$DATA" calls) == *"(317) 555-0142"* ]] || fail "calls does not format the number (phonenumbers metadata)"
pass "calls --json lists the call; calls formats its number as (317) 555-0142"
"$APP" --data-dir "$DATA" contacts import "$ROOT/tests/contacts/outlook.vcf" >/dev/null || fail "contacts import failed (vobject)"
[[ $("$APP" --data-dir "$DATA" contacts list) == *"Jürgen Müller"* ]] || fail "contacts list lacks the imported name"
pass "contacts import reads an Outlook vCard 2.1 (vobject is in the bundle)"
stop "${PIDS[-1]}" || fail "--headless exited with $? after SIGTERM"
pass "--headless exits 0 within 10 s of SIGTERM"
unset PYTHON_KEYRING_BACKEND

step "secrets in a real keyring (gnome-keyring's Secret Service on a private D-Bus)"
need dbus-run-session dbus
need gnome-keyring-daemon gnome-keyring
DATA=$WORK/keyring
mkdir -p "$WORK/home"
# shellcheck disable=SC2016  # expanded by the inner shell, from its arguments
HOME=$WORK/home dbus-run-session -- bash -c '
    printf smoke-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    "$1" --data-dir "$2" webhook-url --json >"$3/keyring-1" 2>/dev/null
    "$1" --data-dir "$2" webhook-url --json >"$3/keyring-2" 2>/dev/null
' _ "$APP" "$DATA" "$WORK" 2>/dev/null
first=$(json_url CallStarted <"$WORK/keyring-1")
if [ -z "$first" ] || [ "$first" != "$(json_url CallStarted <"$WORK/keyring-2")" ]; then fail "the webhook URL changed between runs"; fi
[ ! -e "$DATA/secrets.json" ] || fail "the secret went to secrets.json: the frozen app found no keyring backend"
[ -s "$WORK/home/.local/share/keyrings/login.keyring" ] || fail "nothing was stored in the keyring"
pass "the webhook secret is stored in and read back from the Secret Service"

step "the tray app starts under QT_QPA_PLATFORM=offscreen and quits on SIGTERM"
DATA=$WORK/gui
QT_QPA_PLATFORM=offscreen PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring \
    "$APP" --data-dir "$DATA" --port 0 >"$WORK/gui.out" 2>"$WORK/gui.err" &
PIDS+=($!)
wait_for "$WORK/gui.err" "receiving webhooks on" 30 || { cat "$WORK/gui.err"; fail "the tray app did not come up"; }
stop "${PIDS[-1]}" || { cat "$WORK/gui.err"; fail "the tray app exited with $? after SIGTERM"; }
pass "the tray app came up and exited 0 within 10 s of SIGTERM"

printf '\nall smoke tests passed\n'
