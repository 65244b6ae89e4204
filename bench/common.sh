# Shared by the bench scripts (sourced): a scratch folder, processes ended on exit, waiting on
# conditions, and Mosquitto brokers on free loopback ports.
# After sourcing: WORK (scratch folder, removed at exit), PIDS, wait_for, log_has, port_busy,
# free_port (scripts/lib/processes.sh); start_broker NAME sets PORT; TICK, cpu_ticks PID and
# cpu_seconds PID measure CPU.
WORK="$(mktemp -d "${DOTS_BENCH_TMP:-/tmp}/dots-${BENCH_NAME:-bench}.XXXXXX")"
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/processes.sh"
cleanup() {
  stop_started
  rm -rf "$WORK"
}
trap cleanup EXIT
# CPU a process has used so far (utime + stime): in clock ticks (TICK per second), or seconds.
TICK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
cpu_seconds() { awk -v hz="$TICK" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
# start_broker NAME [MAX_QUEUED] [MAX_INFLIGHT]: anonymous, loopback, in-memory; 0 = unlimited
# (both unlimited by default; Mosquitto's own inflight default is 20).
start_broker() {
  start_mosquitto "$1" "allow_anonymous true" "set_tcp_nodelay true" \
    "max_queued_messages ${2:-0}" "max_inflight_messages ${3:-0}"
}
