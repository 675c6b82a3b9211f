#!/usr/bin/env bash
# Installs what the tests use besides node_modules: the Python peers, each set in a
# virtualenv this script creates (so any python3 works, PEP 668 "externally managed" ones
# such as Debian's /usr/bin/python3 included), and Go tools (grpcurl, grpc-health-probe)
# into .tools/bin. Idempotent and quick when everything is already there. Fails loudly.
#   .tools/venv        test/python/requirements.txt (grpcio, pydantic, anystore[http] 1.2.7, ...)
#   .tools/venv-putfs  test/python/requirements-putfs.txt (anystore[putfs] 1.5.x: a separate
#                      venv, since it needs other versions of anystore's dependencies)
# PYTHON picks the interpreter the venvs are made from (default: python3 on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq "$@"
  else sudo apt-get update -qq && sudo apt-get install -y -qq "$@"; fi
}

command -v curl >/dev/null || apt_install curl
bash scripts/redis-server.sh install  # the Redis backend's tests start private instances of it
# TLS tests make their certificates with the openssl command line (test/support/certificates.ts).
command -v openssl >/dev/null || apt_install openssl
python="${PYTHON:-python3}"
command -v "$python" >/dev/null || { apt_install python3 python3-venv; python=python3; }

# A venv per requirements file, rebuilt when the file changes (its sha256 is kept inside).
make_venv() {
  local dir="$1" requirements="$2" stamp
  stamp="$(sha256sum "$requirements" | cut -d' ' -f1)"
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.requirements-sha256" 2>/dev/null)" = "$stamp" ]; then
    return
  fi
  echo "setup: $dir from $requirements"
  rm -rf "$dir"
  # Debian splits ensurepip (which venv needs) into python3-venv.
  if ! "$python" -m venv "$dir" 2>/dev/null; then
    rm -rf "$dir"
    apt_install python3-venv
    "$python" -m venv "$dir"
  fi
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$stamp" >"$dir/.requirements-sha256"
}
make_venv .tools/venv test/python/requirements.txt
make_venv .tools/venv-putfs test/python/requirements-putfs.txt

# PostgreSQL for the shared-backend tests (test/support/global-setup.ts starts a private cluster).
bash scripts/postgres-server.sh install

mkdir -p .tools/bin
export GOBIN="$PWD/.tools/bin"
while read -r tool module; do
  [ -z "$tool" ] && continue
  if [ ! -x "$GOBIN/$tool" ]; then
    echo "setup: go install $module"
    go install "$module"
  fi
done < scripts/go-tools.txt
