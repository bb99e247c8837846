#!/usr/bin/env bash
# Generate the TLS material of the capture configuration and of the live TLS tests: a private CA
# with an intermediate, server certificates that expire in 25 days and in 10 days (less an hour
# each, so whole days left read 24 and 9 however soon they are read) and one already expired,
# a crt-list with SNI filters, a CA file and a CRL file. Nothing here is a real secret: every key
# is created fresh on each run, and only into the directory given.
#
#   scripts/make-test-certs.sh <dir>
#
# Writes into <dir>:
#   ca.pem            the root CA's certificate (the CA file binds verify clients with)
#   crl.pem           the root CA's (empty) certificate revocation list
#   site.pem          www.example.test + example.test, RSA 2048, 25 days, chain: intermediate
#   api.pem           api.example.test, EC P-256, 10 days, signed by the root directly
#   old.pem           legacy.example.test, RSA 2048, expired on 2024-01-01
#   site-next.pem     site.pem's successor: same names, 90 days, for rotation tests
#   site-short.pem    a successor that expires before site.pem does
#   site-nochain.pem  a successor without its intermediate
#   wrong-key.pem     site-next's certificate with another certificate's key
#   new.pem           new.example.test, RSA 2048, 60 days, chain: intermediate; HAProxy does not
#                     load it: tests add it at run time (add_certificate)
#   crt-list.txt      the three certificates with SNI filters and options
#   site.pem.ocsp     a `good` OCSP response for site.pem (DER), which HAProxy loads and staples
#                     because it sits beside the certificate
#   site-good.ocsp    the same response; site-revoked.ocsp: a `revoked` one (keyCompromise);
#                     api.ocsp: a `good` one for api.pem, which HAProxy does not staple (no .ocsp
#                     beside it). Each also as base64 (`.b64`), for payloads. Their next update
#                     is 10 years away: HAProxy refuses a response past it, at startup and in
#                     `set ssl ocsp-response`, and the committed capture material must keep
#                     loading
set -euo pipefail

dir=${1:?usage: make-test-certs.sh <dir>}
mkdir -p "$dir"
cd "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ossl() { openssl "$@" 2>/dev/null; }

# A minimal `openssl ca` setup: the only way OpenSSL 3.0 sets an explicit not-before/not-after.
ca_config() {
    local name=$1
    mkdir -p "$work/$name"
    : > "$work/$name/index.txt"
    echo 1000 > "$work/$name/serial"
    echo 1000 > "$work/$name/crlnumber"
    cat > "$work/$name/ca.cnf" <<CNF
[ca]
default_ca = this
[this]
dir = $work/$name
database = \$dir/index.txt
serial = \$dir/serial
crlnumber = \$dir/crlnumber
new_certs_dir = \$dir
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = copy
default_crl_days = 3650
[anything]
commonName = supplied
[v3_ca]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
[v3_leaf]
basicConstraints = CA:false
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
CNF
}

# sign <ca> <csr> <out> <extensions> <startdate> <enddate>
sign() {
    ossl ca -batch -config "$work/$1/ca.cnf" -cert "$work/$1.crt" -keyfile "$work/$1.key" \
        -in "$2" -out "$3" -extensions "$4" -startdate "$5" -enddate "$6" -notext
}

date_in() { date -u -d "$1" +%Y%m%d%H%M%SZ; }
now=$(date_in "now - 1 hour")

# Root CA (self-signed) and an intermediate it signs.
ca_config root
ossl req -x509 -newkey rsa:2048 -nodes -keyout "$work/root.key" -out "$work/root.crt" \
    -subj "/O=haproxy-mcp-server tests/CN=Test Root CA" -days 3650 \
    -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign"
ca_config inter
ossl req -newkey rsa:2048 -nodes -keyout "$work/inter.key" -out "$work/inter.csr" \
    -subj "/O=haproxy-mcp-server tests/CN=Test Intermediate CA"
sign root "$work/inter.csr" "$work/inter.crt" v3_ca "$now" "$(date_in 'now + 5 years')"

# leaf <name> <keyspec> <ca> <cn> <sans> <startdate> <enddate>
leaf() {
    local name=$1 keyspec=$2 ca=$3 cn=$4 sans=$5
    if [ "$keyspec" = ec ]; then
        ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/$name.key"
    else
        ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/$name.key"
    fi
    ossl req -new -key "$work/$name.key" -out "$work/$name.csr" -subj "/CN=$cn" \
        -addext "subjectAltName=$sans"
    sign "$ca" "$work/$name.csr" "$work/$name.crt" v3_leaf "$6" "$7"
}

leaf site rsa inter www.example.test "DNS:www.example.test,DNS:example.test" "$now" "$(date_in 'now + 25 days - 1 hour')"
leaf next rsa inter www.example.test "DNS:www.example.test,DNS:example.test" "$now" "$(date_in 'now + 90 days')"
leaf short rsa inter www.example.test "DNS:www.example.test,DNS:example.test" "$now" "$(date_in 'now + 5 days')"
leaf api ec root api.example.test "DNS:api.example.test" "$now" "$(date_in 'now + 10 days - 1 hour')"
leaf new rsa inter new.example.test "DNS:new.example.test" "$now" "$(date_in 'now + 60 days')"
leaf old rsa root legacy.example.test "DNS:legacy.example.test" 20230101000000Z 20240101000000Z

cat "$work/site.crt" "$work/inter.crt" "$work/site.key" > site.pem
cat "$work/next.crt" "$work/inter.crt" "$work/next.key" > site-next.pem
cat "$work/short.crt" "$work/inter.crt" "$work/short.key" > site-short.pem
cat "$work/next.crt" "$work/next.key" > site-nochain.pem
cat "$work/next.crt" "$work/inter.crt" "$work/site.key" > wrong-key.pem
cat "$work/api.crt" "$work/api.key" > api.pem
cat "$work/new.crt" "$work/inter.crt" "$work/new.key" > new.pem
cat "$work/old.crt" "$work/old.key" > old.pem
cp "$work/root.crt" ca.pem
ossl ca -config "$work/root/ca.cnf" -cert "$work/root.crt" -keyfile "$work/root.key" -gencrl -out crl.pem

# OCSP responses, signed by the CA that issued the certificate (what HAProxy expects of a
# responder). Revoking edits the intermediate's database, so the `good` response comes first.
ocsp() { # ocsp <ca> <cert> <out> <days>
    ossl ocsp -index "$work/$1/index.txt" -rsigner "$work/$1.crt" -rkey "$work/$1.key" \
        -CA "$work/$1.crt" -issuer "$work/$1.crt" -cert "$2" -respout "$3" -ndays "$4" -no_nonce
}
ocsp inter "$work/site.crt" site.pem.ocsp 3650
cp site.pem.ocsp site-good.ocsp
ocsp root "$work/api.crt" api.ocsp 3650
ossl ca -config "$work/inter/ca.cnf" -cert "$work/inter.crt" -keyfile "$work/inter.key" \
    -revoke "$work/site.crt" -crl_reason keyCompromise
ocsp inter "$work/site.crt" site-revoked.ocsp 3650
for f in site-good.ocsp site-revoked.ocsp api.ocsp; do base64 -w 64 "$f" > "$f.b64"; done

# Paths in a crt-list are relative to HAProxy's working directory unless `crt-base` says
# otherwise; the configuration sets crt-base to this directory.
cat > crt-list.txt <<LIST
site.pem [alpn h2,http/1.1] www.example.test example.test
api.pem [ssl-min-ver TLSv1.2] api.example.test
old.pem !*.internal legacy.example.test
LIST
chmod 644 ./*.pem ./*.ocsp ./*.b64 crt-list.txt
