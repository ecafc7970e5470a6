import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatBytes,
  formatCount,
  formatCpu,
  formatDuration,
  formatPct,
  formatRate,
} from '../ui/src/format.js';

test('formatCpu: millicores below a core, cores above', () => {
  assert.equal(formatCpu(0), '0m');
  assert.equal(formatCpu(0.5), '0.5m');
  assert.equal(formatCpu(250), '250m');
  assert.equal(formatCpu(999.6), '1000m');
  assert.equal(formatCpu(1000), '1 core');
  assert.equal(formatCpu(1250), '1.25 cores');
  assert.equal(formatCpu(16000), '16 cores');
  assert.equal(formatCpu(undefined), '—');
  assert.equal(formatCpu(NaN), '—');
});

test('formatBytes / formatRate: binary units, three significant digits', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(512 * 2 ** 20), '512 MiB');
  assert.equal(formatBytes(1.25 * 2 ** 30), '1.25 GiB');
  assert.equal(formatBytes(10.5 * 2 ** 40), '10.5 TiB');
  assert.equal(formatRate(2 ** 20), '1 MiB/s');
  assert.equal(formatRate(null), '—');
});

test('formatPct, formatCount, formatDuration', () => {
  assert.equal(formatPct(0.421), '42%');
  assert.equal(formatPct(0.001), '<1%');
  assert.equal(formatPct(0), '0%');
  assert.equal(formatPct(2.85), '285%');
  assert.equal(formatCount(150000), '150,000');
  assert.equal(formatDuration(45_000), '45 s');
  assert.equal(formatDuration(180_000), '3 min');
  assert.equal(formatDuration(6 * 3_600_000), '6 h');
});
