#!/usr/bin/env bash
# Make the lab's signed zones (issue 14, DNSSEC validation) with BIND's own tools, once, and
# write them into src/lab/dns/dnssec-fixtures.ts (a TypeScript module, so the zones ship with
# the package inside dist/). Run it again only to change the zones: the keys are new every run
# (and ECDSA signatures are randomised), so the output differs each time, but every run gives
# the same cases with the same verdicts.
#
# Needs: dnssec-keygen, dnssec-signzone, dnssec-dsfromkey (Debian: bind9-utils), node.
# Usage: scripts/make-dnssec-fixtures.sh            (from the repository root)
#
# The zones (all served by the lab's 127.53.6.1, delegated from test.):
#   sec.test.              the island's apex, ECDSA P-256, NSEC; its KSK is the lab's trust anchor
#   good.sec.test.         ECDSA P-256 (13), NSEC, a wildcard, CNAMEs (in the zone, to rsa) -> secure
#   rsa.sec.test.          RSA/SHA-256 (8), 2048 bits, NSEC               -> secure
#   ed.sec.test.           Ed25519 (15), NSEC                             -> secure
#   p384.sec.test.         ECDSA P-384 (14), NSEC                         -> secure
#   sha512.sec.test.       RSA/SHA-512 (10), 2048 bits, NSEC              -> secure
#   sha1.sec.test.         RSA/SHA-1 NSEC3 variant (7), 2048 bits, NSEC3  -> secure
#   nsec3.sec.test.        ECDSA P-256, NSEC3 (no salt, 0 iterations, RFC 9276, opt-out) -> secure
#   optout.nsec3.sec.test. not signed, no DS; the parent's NSEC3 opt-out covers it -> insecure
#   unsigned.sec.test.     not signed; the parent's NSEC proves there is no DS -> insecure
#   expired.sec.test.      signatures that expired in 2020                -> bogus RRSIG_EXPIRED
#   dsmismatch.sec.test.   the parent's DS is the digest of another key   -> bogus DS_MISMATCH
#   nokey.sec.test.        data signed by a ZSK missing from the DNSKEY set -> bogus DNSKEY_MISSING
#   tampered.sec.test.     www's address changed after signing            -> bogus BAD_SIGNATURE
# Signatures are valid from 2025-01-01 to 2045-01-01, so CI does not rot for about 20 years.
set -euo pipefail
for t in dnssec-keygen dnssec-signzone dnssec-dsfromkey node; do
  command -v "$t" >/dev/null || { echo "$0: $t is missing (apt-get install bind9-utils)" >&2; exit 1; }
done
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/src/lab/dns/dnssec-fixtures.ts"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
START=20250101000000
END=20450101000000
SOA_TAIL='2026120301 3600 900 604800 300'

keygen() { # zone alg [bits] -> sets KSK ZSK (key file base names)
  local zone=$1 alg=$2 bits=${3:-}
  KSK=$(dnssec-keygen -q -K "$W" -a "$alg" ${bits:+-b "$bits"} -f KSK -n ZONE "$zone")
  ZSK=$(dnssec-keygen -q -K "$W" -a "$alg" ${bits:+-b "$bits"} -n ZONE "$zone")
}

child_zone() { # zone www-address -> zone text on stdout
  cat <<EOF
\$TTL 300
@ IN SOA ns1.sec.test. hostmaster.sec.test. ( $SOA_TAIL )
@ IN NS ns1.sec.test.
www IN A $2
@ IN TXT "netlab DNSSEC lab: $1"
EOF
}

sign() { # zone infile outfile [extra dnssec-signzone args...]: KSK/ZSK from keygen
  local zone=$1 in=$2 out=$3; shift 3
  cat "$KSK.key" "$ZSK.key" >> "$in"
  dnssec-signzone -q -K "$W" -o "$zone" -O full -s "${SIG_START:-$START}" -e "${SIG_END:-$END}" -f "$out" -k "$KSK.key" "$@" "$in" "$ZSK.key" >/dev/null
}

DS_LINES=""
add_ds() { DS_LINES+="$(dnssec-dsfromkey -2 "$1.key")"$'\n'; }

# good: ECDSA P-256, NSEC, a wildcard
keygen good.sec.test ECDSAP256SHA256
{ child_zone good.sec.test 192.0.2.62; echo '*.wild IN A 192.0.2.63'; echo 'mail IN MX 10 www.good.sec.test.'
  echo 'alias IN CNAME www'; echo 'cross IN CNAME www.rsa.sec.test.'; } > good.in
sign good.sec.test good.in good.signed; add_ds "$KSK"

keygen rsa.sec.test RSASHA256 2048
child_zone rsa.sec.test 192.0.2.64 > rsa.in
sign rsa.sec.test rsa.in rsa.signed; add_ds "$KSK"

keygen ed.sec.test ED25519
child_zone ed.sec.test 192.0.2.65 > ed.in
sign ed.sec.test ed.in ed.signed; add_ds "$KSK"

keygen p384.sec.test ECDSAP384SHA384
child_zone p384.sec.test 192.0.2.73 > p384.in
sign p384.sec.test p384.in p384.signed; add_ds "$KSK"

keygen sha512.sec.test RSASHA512 2048
child_zone sha512.sec.test 192.0.2.74 > sha512.in
sign sha512.sec.test sha512.in sha512.signed; add_ds "$KSK"

keygen sha1.sec.test NSEC3RSASHA1 2048
child_zone sha1.sec.test 192.0.2.75 > sha1.in
sign sha1.sec.test sha1.in sha1.signed -3 - -H 0; add_ds "$KSK"

keygen nsec3.sec.test ECDSAP256SHA256
{ child_zone nsec3.sec.test 192.0.2.66; echo 'a.b IN A 192.0.2.67'; echo 'optout IN NS ns1.sec.test.'; } > nsec3.in
sign nsec3.sec.test nsec3.in nsec3.signed -3 - -H 0 -A; add_ds "$KSK"
# an unsigned child of the NSEC3 zone, covered by opt-out (RFC 5155 6): insecure
child_zone optout.nsec3.sec.test 192.0.2.76 > optout.signed

child_zone unsigned.sec.test 192.0.2.68 > unsigned.signed

keygen expired.sec.test ECDSAP256SHA256
child_zone expired.sec.test 192.0.2.69 > expired.in
SIG_START=20200101000000 SIG_END=20200201000000 sign expired.sec.test expired.in expired.signed -P; add_ds "$KSK"

keygen dsmismatch.sec.test ECDSAP256SHA256
child_zone dsmismatch.sec.test 192.0.2.70 > dsmismatch.in
sign dsmismatch.sec.test dsmismatch.in dsmismatch.signed
OTHER=$(dnssec-keygen -q -K "$W" -a ECDSAP256SHA256 -f KSK -n ZONE dsmismatch.sec.test)
add_ds "$OTHER"   # the DS of a key the child never publishes

# nokey: the DNSKEY set (and its RRSIG) of a signing with ZSK A, every other RRset signed by ZSK B
keygen nokey.sec.test ECDSAP256SHA256
child_zone nokey.sec.test 192.0.2.71 > nokey-a.in
sign nokey.sec.test nokey-a.in nokey-a.signed
ZSK=$(dnssec-keygen -q -K "$W" -a ECDSAP256SHA256 -n ZONE nokey.sec.test)
child_zone nokey.sec.test 192.0.2.71 > nokey-b.in
sign nokey.sec.test nokey-b.in nokey-b.signed
{ awk '!($4 == "DNSKEY" || ($4 == "RRSIG" && $5 == "DNSKEY"))' nokey-b.signed
  awk '$4 == "DNSKEY" || ($4 == "RRSIG" && $5 == "DNSKEY")' nokey-a.signed; } > nokey.signed
add_ds "$KSK"

keygen tampered.sec.test ECDSAP256SHA256
child_zone tampered.sec.test 192.0.2.72 > tampered.in
sign tampered.sec.test tampered.in tampered.signed; add_ds "$KSK"
# after signing: www's A now says 192.0.2.99, its RRSIG still covers 192.0.2.72
sed -i -E 's/^(www\.tampered\.sec\.test\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+)192\.0\.2\.72$/\1192.0.2.99/' tampered.signed
grep -q '192.0.2.99' tampered.signed || { echo "$0: tampering failed" >&2; exit 1; }

# the parent: delegations (NS, glue on ns1.sec.test.) and the children's DS
keygen sec.test ECDSAP256SHA256
PARENT_KSK=$KSK
{
  cat <<EOF
\$TTL 300
@ IN SOA ns1.sec.test. hostmaster.sec.test. ( $SOA_TAIL )
@ IN NS ns1.sec.test.
ns1 IN A 127.53.6.1
www IN A 192.0.2.61
EOF
  for c in good rsa ed p384 sha512 sha1 nsec3 unsigned expired dsmismatch nokey tampered; do echo "$c IN NS ns1.sec.test."; done
  printf '%s' "$DS_LINES"
} > sec.in
sign sec.test sec.in sec.signed

dnssec-dsfromkey -2 "$PARENT_KSK.key" > anchor.ds
awk '{ printf "trust-anchors {\n  %s static-ds %s %s %s \"%s\";\n};\n", $1, $4, $5, $6, $7 }' anchor.ds > anchor.conf

node - "$OUT" "$W" <<'EOF'
const fs = require('node:fs');
const [out, dir] = process.argv.slice(2);
const zones = ['sec', 'good', 'rsa', 'ed', 'p384', 'sha512', 'sha1', 'nsec3', 'optout', 'unsigned', 'expired', 'dsmismatch', 'nokey', 'tampered'];
const text = (f) => fs.readFileSync(`${dir}/${f}`, 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith(';')).join('\n') + '\n';
let ts = `// Generated by scripts/make-dnssec-fixtures.sh (dnssec-keygen and dnssec-signzone of BIND 9); do not edit.\n`;
ts += `// The lab's signed zones (issue 14): see the script for what each case is.\n\n`;
ts += `/** The master files, by origin, as dnssec-signzone -O full wrote them (the bogus cases altered after signing). */\n`;
ts += `export const DNSSEC_ZONE_FILES: Readonly<Record<string, string>> = {\n`;
for (const z of zones) ts += `  ${JSON.stringify(z === 'sec' ? 'sec.test.' : z === 'optout' ? 'optout.nsec3.sec.test.' : `${z}.sec.test.`)}: ${JSON.stringify(text(`${z}.signed`))},\n`;
ts += `};\n\n`;
ts += `/** The trust anchor of the island sec.test.: its KSK's DS (SHA-256), in master-file form. */\n`;
ts += `export const DNSSEC_ANCHOR_DS = ${JSON.stringify(fs.readFileSync(`${dir}/anchor.ds`, 'utf8'))};\n\n`;
ts += `/** The same anchor as BIND's trust-anchors clause (named.conf, delv -a). */\n`;
ts += `export const DNSSEC_ANCHOR_CONF = ${JSON.stringify(fs.readFileSync(`${dir}/anchor.conf`, 'utf8'))};\n`;
fs.writeFileSync(out, ts);
EOF
echo "wrote $OUT"
