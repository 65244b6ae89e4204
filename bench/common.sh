# Shared by the bench scripts (sourced): a scratch folder, processes ended on exit, waiting on
# conditions, and Mosquitto brokers on free loopback ports.
# After sourcing: WORK (scratch folder), PIDS (ended at exit); start_broker NAME sets PORT;
# TICK, cpu_ticks PID and cpu_seconds PID measure CPU.
WORK="$(mktemp -d "${DOTS_BENCH_TMP:-/tmp}/dots-${BENCH_NAME:-bench}.XXXXXX")"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() {  # wait_for SECONDS COMMAND...: polls until COMMAND succeeds or time is up
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do [ "$(date +%s)" -lt "$deadline" ] || return 1; sleep 0.05; done
}
log_has() { grep -q "$2" "$1" 2>/dev/null; }
# CPU a process has used so far (utime + stime): in clock ticks (TICK per second), or seconds.
TICK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
cpu_seconds() { awk -v hz="$TICK" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
# start_broker NAME [MAX_QUEUED] [MAX_INFLIGHT]: anonymous, loopback, in-memory; 0 = unlimited
# (both unlimited by default; Mosquitto's own inflight default is 20).
start_broker() {
  while :; do
    PORT=$(( 20000 + RANDOM % 40000 ))
    port_busy "$PORT" && continue
    printf 'listener %s 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\nmax_queued_messages %s\nmax_inflight_messages %s\n' \
      "$PORT" "${2:-0}" "${3:-0}" > "$WORK/$1.conf"
    mosquitto -c "$WORK/$1.conf" > "$WORK/$1.log" 2>&1 &
    local pid=$!
    if wait_for 5 port_busy "$PORT"; then PIDS+=("$pid"); return; fi
  done
}
