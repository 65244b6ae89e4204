# Sourced by scripts/demo and bench/common.sh: the processes a script starts, ended when it
# exits; waiting on conditions with a deadline; Mosquitto on a free loopback port.
# After sourcing:
#   PIDS              processes to end at exit (SIGTERM, then waited for); append to it
#   stop_started      ends them; the EXIT trap set here, or a script's own trap, calls it
#   port_busy PORT    true when something listens on 127.0.0.1:PORT
#   free_port         prints a loopback port nobody listens on now
#   wait_for SECONDS COMMAND...   polls COMMAND until it succeeds or the time is up (status 1)
#   log_has FILE TEXT true once FILE holds TEXT
#   start_mosquitto NAME [LINE...]  Mosquitto with $WORK/NAME.conf (the listener, then the
#                     LINEs) logging to $WORK/NAME.log; sets PORT and BROKER_PID, adds it to PIDS
PIDS=()
stop_started() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_started EXIT
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p
  while :; do
    p=$(( 20000 + RANDOM % 40000 ))
    port_busy "$p" || { echo "$p"; return; }
  done
}
wait_for() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do [ "$(date +%s)" -lt "$deadline" ] || return 1; sleep 0.05; done
}
log_has() { grep -q "$2" "$1" 2>/dev/null; }
# Another process may take the port between free_port and the broker's bind: then the next
# port is tried, 20 in all, before start_mosquitto fails.
start_mosquitto() {
  local name=$1; shift
  local _
  for _ in $(seq 1 20); do
    PORT=$(free_port)
    { printf 'listener %s 127.0.0.1\n' "$PORT"; printf '%s\n' "$@"; } > "$WORK/$name.conf"
    "${MOSQUITTO:-mosquitto}" -c "$WORK/$name.conf" > "$WORK/$name.log" 2>&1 &
    BROKER_PID=$!
    if wait_for 5 port_busy "$PORT"; then PIDS+=("$BROKER_PID"); return 0; fi
    kill "$BROKER_PID" 2>/dev/null || true
  done
  echo "start_mosquitto: no broker $name came up; see $WORK/$name.log" >&2
  return 1
}
