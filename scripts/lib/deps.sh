# Installs what mailwarden needs to build and test, from Debian's packages. Idempotent and quiet
# when everything is already there. Sourced by scripts/run and scripts/test.

MAILWARDEN_PACKAGES=(
  g++ clang cmake ninja-build pkg-config
  libtomlplusplus-dev libpcre2-dev liblmdb-dev libidn2-dev libssl-dev
  libboost-dev libboost-test-dev libmilter-dev
)

install_deps() {
  local missing=()
  local p
  for p in "${MAILWARDEN_PACKAGES[@]}"; do
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
