// Runs `refresh` now and then every `periodMs` after the previous run has finished (never two at
// once, so a slow ingester is not flooded). kick() runs it again as soon as the current run, if
// any, is done; stop() ends it.
export function poll(refresh, periodMs = 2000) {
  let stopped = false;
  let running = false;
  let again = false;
  let timer = null;
  const tick = async () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    running = true;
    try {
      await refresh();
    } finally {
      running = false;
      if (!stopped) {
        if (again) {
          again = false;
          tick();
        } else {
          timer = setTimeout(tick, periodMs);
        }
      }
    }
  };
  tick();
  return {
    kick() {
      if (stopped) return;
      if (running) again = true;
      else tick();
    },
    stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
    },
  };
}
