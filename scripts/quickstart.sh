#!/usr/bin/env bash
# From nothing to a running JAEGIS program: installs missing packages, builds in Release in ./build,
# and runs the flagship sample, contract-net with 10,000 agents, which reports what it measured.
#   scripts/quickstart.sh [jaegis-samples flags]   e.g. --messages 500000 --workers 4
#   (JAEGIS_BUILD_DIR=dir builds in dir instead of ./build)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir="${JAEGIS_BUILD_DIR:-build}"

scripts/deps.sh

# An existing build dir keeps the generator it was made with; naming another one is an error.
generator=()
if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
  generator=(-G Ninja)
fi
cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DJAEGIS_SANITIZE= \
  -DJAEGIS_BUILD_SAMPLES=ON
cmake --build "$build_dir" --parallel "$(nproc)"

echo
exec "$build_dir/samples/jaegis-samples" contract-net --agents 10000 "$@"
