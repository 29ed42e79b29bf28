#!/usr/bin/env bash
# Build the Linux bundle on a fresh Debian/Ubuntu machine:
#
#     packaging/build-linux.sh
#
# makes dist/intulse-desktop-<version>-linux-<arch>.tar.gz (one folder holding
# the app, its .desktop file, AppStream metainfo, icons and install.sh), prints
# the unpacked size and fails if it is 200 MB or more. Python >= 3.11 comes from
# $PYTHON (default python3); the Python packages go into a build venv under
# build/linux/; apt is used only for what is missing (as root, or with sudo).
#
# No AppImage: appimagetool and the AppImage runtime are not in Debian or on
# PyPI (PyPI's AppImage helpers download them from GitHub at build time).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
BUILD=$ROOT/build/linux
MAX_MB=200  # 10^6 bytes

say() { printf '\n== %s\n' "$*"; }

apt_install() {
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    command -v apt-get >/dev/null || { echo "missing: $* (not a Debian/Ubuntu system: install them by hand)" >&2; exit 1; }
    say "apt-get install $*"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@"
}

# --- tools the build needs ----------------------------------------------------------------
missing=()
command -v "$PYTHON" >/dev/null || missing+=(python3)
command -v objdump >/dev/null || missing+=(binutils)  # PyInstaller reads and strips ELF files
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

"$PYTHON" - <<'EOF' || { echo "Python 3.11 or newer is needed (set PYTHON=...)" >&2; exit 1; }
import sys
sys.exit(sys.version_info < (3, 11))
EOF

PYVER=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
# PyInstaller bundles libpython, which Debian and Ubuntu ship in a package of its own.
LIBDIR=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR"))')
if ! compgen -G "$LIBDIR/libpython$PYVER*.so*" >/dev/null && ! ldconfig -p | grep -c "libpython$PYVER" >/dev/null; then
    apt_install "libpython$PYVER"
fi
"$PYTHON" -c 'import ensurepip' 2>/dev/null || apt_install "python$PYVER-venv"

# --- Python packages ----------------------------------------------------------------------
say "build venv in $BUILD/venv"
[ -x "$BUILD/venv/bin/python" ] || "$PYTHON" -m venv "$BUILD/venv"
VPY=$BUILD/venv/bin/python
"$VPY" -m pip install --quiet --upgrade pip
"$VPY" -m pip install --quiet "$ROOT" "pyinstaller>=6.10"
VERSION=$("$VPY" -c 'import intulse_desktop; print(intulse_desktop.__version__)')
ARCH=$(uname -m)

# --- PyInstaller --------------------------------------------------------------------------
say "PyInstaller $("$VPY" -m PyInstaller --version)"
"$VPY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$BUILD/dist" --workpath "$BUILD/work" "$ROOT/packaging/intulse-desktop.spec"

# --- the bundle ---------------------------------------------------------------------------
NAME=intulse-desktop-$VERSION
BUNDLE=$BUILD/$NAME
say "assembling $NAME"
rm -rf "$BUNDLE"
mv "$BUILD/dist/intulse-desktop" "$BUNDLE"
# Symbol tables and debug information (libpython alone can carry 17 MB) are dead weight.
# Only files that still have them are stripped: PyInstaller's strip=True also rewrites
# the already-stripped FFmpeg libraries, which then no longer load ("not page-aligned").
find "$BUNDLE" -type f \( -name '*.so*' -o -name intulse-desktop \) -print0 | while IFS= read -r -d '' file; do
    sections=$(readelf -S "$file" 2>/dev/null || true)  # not piped into grep -q: pipefail + SIGPIPE
    if [[ $sections == *.symtab* || $sections == *.debug_info* ]]; then strip --strip-unneeded "$file"; fi
done
install -Dm644 "$ROOT/packaging/linux/intulse-desktop.desktop" "$BUNDLE/share/applications/intulse-desktop.desktop"
install -Dm644 "$ROOT/packaging/linux/com.intulse.desktop.metainfo.xml" "$BUNDLE/share/metainfo/com.intulse.desktop.metainfo.xml"
cp -r "$ROOT/packaging/icons/hicolor" "$BUNDLE/share/icons/"
install -Dm644 "$ROOT/resources/app/intulse-desktop.svg" "$BUNDLE/share/icons/hicolor/scalable/apps/intulse-desktop.svg"
install -m755 "$ROOT/packaging/linux/install.sh" "$BUNDLE/install.sh"

mkdir -p "$ROOT/dist"
TARBALL=$ROOT/dist/$NAME-linux-$ARCH.tar.gz
tar -C "$BUILD" --owner=0 --group=0 -czf "$TARBALL" "$NAME"

BYTES=$(du -sb "$BUNDLE" | cut -f1)
say "done"
echo "bundle:   $BUNDLE"
echo "tarball:  $TARBALL ($(( $(stat -c %s "$TARBALL") / 1000000 )) MB)"
awk -v b="$BYTES" -v max="$MAX_MB" 'BEGIN {
    printf "unpacked: %.1f MB (%.1f MiB; limit: under %d MB)\n", b / 1e6, b / 1048576, max
    if (b >= max * 1e6) { printf "the unpacked bundle is over the %d MB limit\n", max > "/dev/stderr"; exit 1 }
}'
