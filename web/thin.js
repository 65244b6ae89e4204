// Thins a time series for a chart that is `maxPoints` pixels wide: the span [from, to] is cut
// into maxPoints / 2 equal buckets and each keeps its lowest and highest reading, in time order,
// so spikes survive and the result never has more than maxPoints points. `times` must be sorted
// ascending and lie within [from, to]; a series that already fits is returned as it is.
export function thinMinMax(times, values, from, to, maxPoints) {
  const n = times.length;
  if (n <= maxPoints) return { times, values };
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  const width = Math.max(1, (to - from) / buckets);
  const outTimes = [];
  const outValues = [];
  let i = 0;
  while (i < n) {
    const bucket = Math.min(buckets - 1, Math.floor((times[i] - from) / width));
    let lo = i;
    let hi = i;
    let j = i + 1;
    while (j < n && Math.min(buckets - 1, Math.floor((times[j] - from) / width)) === bucket) {
      if (values[j] < values[lo]) lo = j;
      if (values[j] > values[hi]) hi = j;
      ++j;
    }
    for (const k of lo === hi ? [lo] : [Math.min(lo, hi), Math.max(lo, hi)]) {
      outTimes.push(times[k]);
      outValues.push(values[k]);
    }
    i = j;
  }
  return { times: outTimes, values: outValues };
}
