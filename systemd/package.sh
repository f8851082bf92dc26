#!/usr/bin/env bash
# Builds the release a hub installs from: build/lockbridge-<version>/ and its .tar.gz, holding the
# app bundled into dist/ (npm run build: one file, and chunks loaded only when configured) with its
# production dependencies (npm ci --omit=dev: the native and lazily loaded ones are not bundled;
# no install scripts: serialport's native binding comes prebuilt for every Linux the hub may be),
# the systemd units and installer, the configuration templates and the docs.
#   systemd/package.sh [OUT_DIR]          (default: build/)
# Needs the project's dev dependencies (npm ci) for the build.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/build}"
cd "$ROOT"

[ -x node_modules/.bin/esbuild ] || npm ci --no-audit --no-fund
VERSION="$(node -p 'require("./package.json").version')"
NODE_VERSION="$(node -p 'require("./package.json").devDependencies.node')"
STAGE="$OUT/lockbridge-$VERSION"

echo "==> building lockbridge $VERSION"
npm run build --silent
rm -rf "$STAGE"
mkdir -p "$STAGE/app/dist" "$STAGE/systemd" "$STAGE/config" "$STAGE/docs"
cp -R dist/. "$STAGE/app/dist/"
cp package.json package-lock.json "$STAGE/app/"

echo "==> production dependencies"
(cd "$STAGE/app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
# serialport's prebuilt binding for Linux only (arm: Raspberry Pi OS 32-bit, arm64: 64-bit, x64).
PREBUILDS="$STAGE/app/node_modules/@serialport/bindings-cpp/prebuilds"
for platform in "$PREBUILDS"/*; do
  case "$(basename "$platform")" in linux-arm | linux-arm64 | linux-x64) ;; *) rm -rf "$platform" ;; esac
done

cp systemd/lockbridge.service systemd/lockbridge-backup.service systemd/lockbridge-backup.timer systemd/install.sh "$STAGE/systemd/"
cp config/installed.yaml config/example.yaml "$STAGE/config/"
cp README.md docs/*.md "$STAGE/docs/"
echo "$NODE_VERSION" > "$STAGE/NODE_VERSION"
echo "$VERSION" > "$STAGE/VERSION"

tar -C "$OUT" -czf "$OUT/lockbridge-$VERSION.tar.gz" "lockbridge-$VERSION"
echo "==> $OUT/lockbridge-$VERSION.tar.gz"
echo "    on the hub: tar xzf lockbridge-$VERSION.tar.gz && sudo lockbridge-$VERSION/systemd/install.sh"
