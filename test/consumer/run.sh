#!/usr/bin/env bash
# The consumer test: what an outside project gets from the packed package. npm pack, install
# the tarball in a scratch project (no warning from npm), compile a strict TypeScript program
# that does every subcommand's job against the package's own types (no casts), and run it
# against startLab() on loopback; require('netlab') from CommonJS too.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$root"
npm pack --pack-destination "$work" >/dev/null 2>"$work/pack.log" || { cat "$work/pack.log"; exit 1; }
test ! -e package.json.orig || { echo "consumer: package.json.orig left behind by npm pack" >&2; exit 1; }
git diff --quiet -- package.json || { echo "consumer: npm pack changed package.json" >&2; exit 1; }
cp test/consumer/example.ts test/consumer/example.cjs test/consumer/tsconfig.json "$work/"

cd "$work"
cat > package.json <<'JSON'
{ "name": "netlab-consumer", "version": "1.0.0", "private": true, "type": "module" }
JSON
npm install --no-audit --no-fund --prefer-offline ./netlab-*.tgz "@types/node@^20" >install.log 2>&1 || { cat install.log; exit 1; }
if grep -qi "warn" install.log; then echo "consumer: npm warned when installing the tarball:" >&2; cat install.log >&2; exit 1; fi
"$root/node_modules/.bin/tsc" -p tsconfig.json
node example.js
node example.cjs
echo "consumer: the packed package compiles strictly and does every job"
