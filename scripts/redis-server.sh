#!/usr/bin/env bash
# Debian's redis-server for the tests: installed when missing, and private instances started and
# stopped on demand, each in its own directory on a free port (never the system service's).
#   redis-server.sh install     installs redis-server (and redis-benchmark, redis-cli) when missing
#   redis-server.sh start DIR [PORT] [OWNER]  starts an instance with its files in DIR, on PORT or
#                               a free port; prints redis://127.0.0.1:PORT. With OWNER (a pid), the
#                               instance is stopped once that process is gone, so that a test run
#                               that is killed leaves no redis-server behind.
#   redis-server.sh stop DIR    stops the instance started in DIR (no-op when none runs)
# The instance keeps nothing on disk (no RDB snapshots, no AOF): tests start it fresh.
set -euo pipefail

install() {
  command -v redis-server >/dev/null && return
  echo "setup: apt-get install redis-server" >&2
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  # Other setup scripts may run apt at the same time: wait for dpkg's lock instead of failing.
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq -o DPkg::Lock::Timeout=300 redis-server >&2
  # The package starts the system service where it can; the tests never use it.
}

start() {
  local dir="$1" wanted="${2:-}" owner="${3:-}" port try pid
  install
  mkdir -p "$dir"
  for try in $(seq 1 20); do
    port="${wanted:-$((20000 + RANDOM % 40000))}"
    # A port something already listens on would make redis-server exit: try another one.
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
    redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no \
      --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null
    for _ in $(seq 1 100); do
      if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then
        echo "$port" >"$dir/redis.port"
        if [ -n "$owner" ]; then
          # A watchdog, detached from this script's output (whoever reads it would wait for it).
          nohup bash -c 'while kill -0 "$1" 2>/dev/null && [ -f "$2/redis.pid" ]; do sleep 2; done
            exec bash "$3" stop "$2"' _ "$owner" "$dir" "$0" </dev/null >/dev/null 2>&1 &
        fi
        echo "redis://127.0.0.1:$port"
        return
      fi
      # Daemonized, it writes its pid once it runs; gone again means the port was taken.
      pid="$(cat "$dir/redis.pid" 2>/dev/null || true)"
      if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then break; fi
      sleep 0.05
    done
    stop "$dir"
  done
  echo "redis-server did not start; its log:" >&2
  cat "$dir/redis.log" >&2 || true
  exit 1
}

stop() {
  local dir="$1" pid
  pid="$(cat "$dir/redis.pid" 2>/dev/null || true)"
  rm -f "$dir/redis.pid"
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
  kill -9 "$pid" 2>/dev/null || true
}

case "${1:-}" in
  install) install ;;
  start) start "${2:?usage: redis-server.sh start DIR [PORT] [OWNER]}" "${3:-}" "${4:-}" ;;
  stop) stop "${2:?usage: redis-server.sh stop DIR}" ;;
  *)
    echo "usage: redis-server.sh install | start DIR [PORT] [OWNER] | stop DIR" >&2
    exit 2
    ;;
esac
