#!/bin/sh
# Install the unpacked Intulse Desktop bundle this script sits in:
# for the current user, or for everyone when run as root.
#
#     ./install.sh                  install, and start at login
#     ./install.sh --no-autostart   install, without starting at login
#     ./install.sh --uninstall      remove it again (settings and call log stay)
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
APP=intulse-desktop
if [ "$(id -u)" -eq 0 ]; then
    DEST=/opt/$APP BIN=/usr/local/bin SHARE=/usr/local/share AUTOSTART=/etc/xdg/autostart
else
    DEST=$HOME/.local/opt/$APP BIN=$HOME/.local/bin
    SHARE=${XDG_DATA_HOME:-$HOME/.local/share} AUTOSTART=${XDG_CONFIG_HOME:-$HOME/.config}/autostart
fi
ICONS=$(cd "$HERE/share/icons/hicolor" && find . -name "$APP.*")

uninstall() {
    rm -rf "$DEST"
    rm -f "$BIN/$APP" "$SHARE/applications/$APP.desktop" "$AUTOSTART/$APP.desktop" \
        "$SHARE/metainfo/com.intulse.desktop.metainfo.xml"
    for icon in $ICONS; do rm -f "$SHARE/icons/hicolor/$icon"; done
}

refresh() {  # let menus notice; not every desktop has these tools
    if command -v update-desktop-database >/dev/null; then update-desktop-database -q "$SHARE/applications" || true; fi
    if command -v gtk-update-icon-cache >/dev/null; then gtk-update-icon-cache -qtf "$SHARE/icons/hicolor" 2>/dev/null || true; fi
}

autostart=yes
case "${1:-}" in
    --uninstall) uninstall; refresh; echo "removed $APP"; exit 0 ;;
    --no-autostart) autostart=no ;;
    "") ;;
    *) echo "usage: $0 [--no-autostart | --uninstall]" >&2; exit 2 ;;
esac

uninstall  # an upgrade replaces the old copy whole
mkdir -p "$DEST" "$BIN" "$SHARE/applications" "$SHARE/metainfo"
cp -r "$HERE/$APP" "$HERE/_internal" "$DEST/"
ln -s "$DEST/$APP" "$BIN/$APP"
# Exec with the full path: ~/.local/bin is not on every desktop session's PATH.
sed "s|^Exec=.*|Exec=$DEST/$APP|" "$HERE/share/applications/$APP.desktop" >"$SHARE/applications/$APP.desktop"
cp "$HERE/share/metainfo/com.intulse.desktop.metainfo.xml" "$SHARE/metainfo/"
for icon in $ICONS; do
    mkdir -p "$(dirname "$SHARE/icons/hicolor/$icon")"
    cp "$HERE/share/icons/hicolor/$icon" "$SHARE/icons/hicolor/$icon"
done
if [ "$autostart" = yes ]; then
    mkdir -p "$AUTOSTART"
    cp "$SHARE/applications/$APP.desktop" "$AUTOSTART/$APP.desktop"
fi
refresh
echo "installed $APP in $DEST ($BIN/$APP)"
if [ "$autostart" = yes ]; then echo "it starts at login (./install.sh --no-autostart: it does not)"; fi
case ":$PATH:" in *":$BIN:"*) ;; *) echo "note: $BIN is not on your PATH; the menu entry works regardless" ;; esac
