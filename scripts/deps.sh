#!/usr/bin/env bash
# Installs the Debian 12 packages JAEGIS needs to build, test and benchmark, skipping those already
# installed: when everything is there it only asks dpkg, so it is quick and safe to run every time.
#
#   scripts/deps.sh                 install what is missing (uses sudo when not root)
#   JAEGIS_SKIP_DEPS=1 scripts/...  skip this step (another distribution, or packages built by hand)
set -euo pipefail

# build-essential: g++ with its sanitizer runtimes (libasan, libtsan, libubsan come with libgcc-12-dev).
# libnuma-dev: topology; libconcurrentqueue-dev: the global injection queue (moodycamel);
# libjemalloc-dev: the memory pools' arenas; catch2 (v2): tests; libcaf-dev: the CAF benchmarks.
# libssl-dev: the remoting handshake (HMAC-SHA256, secure random); clang: builds the libFuzzer
# targets of tests/transports/fuzz (libFuzzer and the sanitizer runtimes come with it).
# The RDMA transport will add libibverbs-dev and librdmacm-dev here when it lands.
packages=(
  build-essential
  cmake
  ninja-build
  pkg-config
  libnuma-dev
  libconcurrentqueue-dev
  libjemalloc-dev
  catch2
  libcaf-dev
  libssl-dev
  clang
)

if [[ "${JAEGIS_SKIP_DEPS:-0}" == 1 ]]; then
  echo "deps: skipped (JAEGIS_SKIP_DEPS=1)"
  exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "deps: this script needs a Debian-based system (dpkg-query and apt-get not found)." >&2
  echo "deps: install the equivalents of: ${packages[*]}" >&2
  echo "deps: then rerun with JAEGIS_SKIP_DEPS=1." >&2
  exit 1
fi

missing=()
for package in "${packages[@]}"; do
  # A removed package can linger as "deinstall ok config-files": only this exact status counts.
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "deps: installing ${missing[*]}"
if ((EUID == 0)); then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "deps: not root and sudo is not installed. As root, run:" >&2
  echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  echo "deps: then rerun this script." >&2
  exit 1
fi

# env: sudo drops the caller's environment; noninteractive keeps debconf from prompting.
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"
echo "deps: done"
