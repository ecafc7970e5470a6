import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newMetricSet } from '../core/batch.js';
import { sumInto, sumPlan } from './aggregate.js';

test('sumInto adds listed metrics, keeps int metrics integers, skips non-finite', () => {
  const plan = sumPlan(['cpu/request', 'memory/usage', 'cpu/node_capacity', 'custom/x']);
  assert.deepEqual(plan.int, [true, true, false, false]);
  const dst = newMetricSet('ns', {}, { scrapeTimeMs: 0 });
  dst.values.set('cpu/request', 10);
  const src = newMetricSet('pod', {}, { scrapeTimeMs: 0 });
  src.values.set('cpu/request', 2.6);
  src.values.set('memory/usage', Number.NaN);
  src.values.set('cpu/node_capacity', 0.5);
  src.values.set('custom/x', 1.25);
  src.values.set('cpu/limit', 1);
  sumInto(dst, src, plan);
  sumInto(dst, src, plan);
  assert.deepEqual(Object.fromEntries(dst.values), {
    'cpu/request': 16,
    'cpu/node_capacity': 1,
    'custom/x': 2.5,
  });
});
