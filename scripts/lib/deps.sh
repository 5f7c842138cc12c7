# Installs what mailwarden needs to build and test, from Debian's packages. Idempotent and quiet
# when everything is already there. Sourced by scripts/run and scripts/test.

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# dns-root-data: the DNSSEC trust anchor of the standalone resolver ([dns] trust_anchor's default).
MAILWARDEN_PACKAGES=(
  g++ clang cmake ninja-build pkg-config
  libtomlplusplus-dev libpcre2-dev liblmdb-dev libidn2-dev libssl-dev
  libboost-dev libboost-test-dev libmilter-dev libcrypt-dev libcli11-dev
  libgmime-3.0-dev libhyperscan-dev libunbound-dev
  dns-root-data
)

# The real peers the integration tests drive: a private Postfix with smtp-sink, swaks (with TLS and IPv6),
# Dovecot as Postfix's SASL server and as the LMTP server of standalone delivery, Python's smtplib
# and smtp-source (Postfix) as standalone SMTP clients, nmap's smtp-open-relay script, Sendmail's miltertest; Sendmail's
# cf files with m4, which build sendmail.cf from what `export sendmail` prints (only files: no Sendmail
# daemon, no conflict with Postfix); iproute2 brings up loopback in the Sendmail tests' own network
# namespace (Sendmail itself is unpacked by the tests, never installed: tests/integration/sendmail/fetch-peer).
# NSD, unbound and ldns-signzone build the outbound tests' private DNSSEC-signed DNS on loopback; dig
# checks it.
MAILWARDEN_TEST_PACKAGES=(
  postfix swaks libnet-ssleay-perl libio-socket-ssl-perl libio-socket-inet6-perl dovecot-core dovecot-lmtpd
  nmap miltertest openssl sendmail-cf iproute2 python3 mpack
  nsd unbound ldnsutils bind9-dnsutils
)

install_deps() {
  install_packages "${MAILWARDEN_PACKAGES[@]}"
}

# Installs the test peers without configuring or starting any system service: Postfix with "No
# configuration", and a policy-rc.d that forbids service starts during the install (the tests run
# their own private instances).
install_test_deps() {
  echo "postfix postfix/main_mailer_type select No configuration" | ${SUDO:-} debconf-set-selections 2>/dev/null || true
  local guard=/usr/sbin/policy-rc.d created=0
  if [ ! -e "$guard" ]; then
    printf '#!/bin/sh\nexit 101\n' | ${SUDO:-} tee "$guard" >/dev/null && ${SUDO:-} chmod 755 "$guard" && created=1
  fi
  local rc=0
  install_packages "${MAILWARDEN_TEST_PACKAGES[@]}" || rc=$?
  if [ "$created" -eq 1 ]; then ${SUDO:-} rm -f "$guard"; fi
  return $rc
}

install_packages() {
  local missing=()
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  # Another apt run (unattended upgrades) may hold the lock for a while: wait for it.
  local attempt
  for attempt in 1 2 3 4 5 6; do
    if "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
      return 0
    fi
    echo "apt-get failed (attempt $attempt); retrying in 10 s" >&2
    sleep 10
  done
  echo "could not install: ${missing[*]}" >&2
  return 1
}
