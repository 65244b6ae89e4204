// The console's chart thinning (web/thin.js), under Node's test runner.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

// web/ is plain browser modules with no package.json of its own, so Node would read thin.js as
// CommonJS; it imports nothing, so it is loaded from its text.
const source = readFileSync(new URL("../../web/thin.js", import.meta.url), "utf8");
const { thinMinMax } = await import(`data:text/javascript,${encodeURIComponent(source)}`);

function series(n, value) {
  const times = Array.from({ length: n }, (_, i) => i * 10);
  return { times, values: times.map((t, i) => value(i)) };
}

test("a series that fits is kept as it is", () => {
  const s = series(50, (i) => i);
  const out = thinMinMax(s.times, s.values, 0, 500, 100);
  assert.equal(out.times, s.times);
  assert.equal(out.values, s.values);
});

test("never more points than the width, in time order, each one a real reading", () => {
  const s = series(100000, (i) => Math.sin(i / 100) * 50 + (i % 7));
  for (const width of [2, 3, 99, 640, 1199]) {
    const out = thinMinMax(s.times, s.values, 0, 1000000, width);
    assert.ok(out.times.length <= width, `${out.times.length} points for ${width} px`);
    assert.ok(out.times.length >= Math.min(width - 1, 2));
    for (let i = 1; i < out.times.length; ++i) assert.ok(out.times[i] > out.times[i - 1]);
    for (let i = 0; i < out.times.length; ++i) {
      assert.equal(out.values[i], s.values[out.times[i] / 10]);
    }
  }
});

test("a one-reading spike and dip survive thinning", () => {
  const s = series(50000, (i) => (i === 31337 ? 1000 : i === 4242 ? -1000 : 20));
  const out = thinMinMax(s.times, s.values, 0, 500000, 300);
  assert.ok(out.values.includes(1000));
  assert.ok(out.values.includes(-1000));
  assert.ok(out.times.length <= 300);
});

test("readings at the end of the span fall in the last bucket", () => {
  const times = Array.from({ length: 1000 }, () => 500);
  const values = times.map((_, i) => i);
  const out = thinMinMax(times, values, 0, 500, 10);
  assert.deepEqual(out.values, [0, 999]);
});
