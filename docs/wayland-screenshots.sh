#!/usr/bin/env bash
# The notification path on a real Wayland compositor, photographed: headless sway, dunst as
# the notification server, the app on Qt's wayland platform (popup_style auto), a call sent
# with `send-test`, and grim taking the pictures the README shows.
#
#   docs/wayland-screenshots.sh            # from the checkout, with .venv installed
#
# Needs sway, grim, dunst and dbus-daemon (Debian: apt install sway grim dunst dbus).
# sway refuses to run as root: run as root, the script makes a user `intulse-shot` for sway
# alone (the other programs stay root and reach its socket as root may).
# Writes docs/wayland-notification.png (a ringing call) and docs/wayland-details.png (the
# notification clicked: Caller details opens); everything it starts, it stops.
set -euo pipefail
cd "$(dirname "$0")/.."
APP="$PWD/.venv/bin/intulse-desktop"
WORK=$(mktemp -d)
export XDG_RUNTIME_DIR="$WORK/run" WAYLAND_DISPLAY=wayland-1 XDG_SESSION_TYPE=wayland
export PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring  # no keyring prompt on a bare bus
export NO_AT_BRIDGE=1 QT_QPA_PLATFORM=wayland
unset DISPLAY
mkdir -m 700 "$XDG_RUNTIME_DIR"
PIDS=()
stop() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap stop EXIT

cat >"$WORK/sway.conf" <<'EOF'
output HEADLESS-1 resolution 1280x720 background #3b4252 solid_color
default_border none
EOF
SWAY=(env -i PATH=/usr/bin:/bin "HOME=$WORK" "XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR"
      WLR_BACKENDS=headless WLR_LIBINPUT_NO_DEVICES=1 WLR_RENDERER=pixman sway -c "$WORK/sway.conf")
if [ "$(id -u)" -eq 0 ]; then
    id intulse-shot >/dev/null 2>&1 || useradd --system --no-create-home intulse-shot
    chown intulse-shot "$XDG_RUNTIME_DIR" "$WORK"
    chmod 755 "$WORK"
    runuser -u intulse-shot -- "${SWAY[@]}" >"$WORK/sway.log" 2>&1 &
else
    "${SWAY[@]}" >"$WORK/sway.log" 2>&1 &
fi
PIDS+=($!)
for _ in $(seq 100); do [ -S "$XDG_RUNTIME_DIR/$WAYLAND_DISPLAY" ] && break; sleep 0.1; done

read -r DBUS_SESSION_BUS_ADDRESS BUS_PID < <(dbus-daemon --session --fork --print-address=1 --print-pid=1 | paste -sd' ')
export DBUS_SESSION_BUS_ADDRESS
PIDS+=("$BUS_PID")

cat >"$WORK/dunstrc" <<'EOF'
[global]
font = DejaVu Sans 11
width = 440
offset = 16x16
origin = top-right
frame_width = 2
[urgency_normal]
background = "#2e3440"
foreground = "#eceff4"
frame_color = "#88c0d0"
[urgency_critical]
background = "#2e3440"
foreground = "#eceff4"
frame_color = "#d08770"
timeout = 0
EOF
dunst -config "$WORK/dunstrc" >"$WORK/dunst.log" 2>&1 &
PIDS+=($!)

DATA="$WORK/data"
"$APP" --data-dir "$DATA" config set extension 204 >/dev/null
"$APP" --data-dir "$DATA" config set my_numbers +13175550100 >/dev/null
"$APP" --data-dir "$DATA" config set sound_ring false >/dev/null
"$APP" --data-dir "$DATA" config set listen_port 18765 >/dev/null
"$APP" --data-dir "$DATA" >"$WORK/app.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q "receiving webhooks" "$WORK/app.log" 2>/dev/null && break; sleep 0.1; done
grep "pop-ups:" "$WORK/app.log"  # which pop-ups, and why

"$APP" --data-dir "$DATA" send-test CallStarted
sleep 1
grim docs/wayland-notification.png
dunstctl action 0  # a click on the notification: its "default" action, Details
sleep 1.5
grim docs/wayland-details.png
echo "wrote docs/wayland-notification.png and docs/wayland-details.png"
