import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDurationMs } from './duration.js';

describe('parseDurationMs', () => {
  const cases: [string, number][] = [
    ['60s', 60_000],
    ['1m', 60_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['1.1s', 1100],
    ['.5s', 500],
    ['5.s', 5000],
    ['2us', 0.002],
    ['2µs', 0.002],
    ['2μs', 0.002],
    ['10ns', 0.00001],
    ['1h2m3s4ms', 3_723_004],
    ['0', 0],
    ['-0', 0],
    ['+5s', 5000],
    ['-1s', -1000],
    ['0s', 0],
  ];
  for (const [text, ms] of cases) {
    it(`parses ${text}`, () => assert.equal(parseDurationMs(text), ms));
  }

  const bad: [string, RegExp][] = [
    ['', /invalid duration "": empty/],
    ['5', /invalid duration "5": missing unit/],
    ['1x', /unknown unit "x"/],
    ['1d', /unknown unit "d"/],
    ['abc', /invalid duration "abc": expected a number/],
    ['.s', /expected a number/],
    ['-', /empty/],
    ['1.5.5s', /missing unit/],
    ['3000000h', /out of range/],
  ];
  for (const [text, message] of bad) {
    it(`rejects ${JSON.stringify(text)}`, () =>
      assert.throws(() => parseDurationMs(text), message));
  }
});

describe('formatDuration', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [0.000001, '1ns'],
    [0.0015, '1.5µs'],
    [1.5, '1.5ms'],
    [500, '500ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [60_000, '1m0s'],
    [90_500, '1m30.5s'],
    [900_000, '15m0s'],
    [3_600_000, '1h0m0s'],
    [5_400_000, '1h30m0s'],
    [-2500, '-2.5s'],
  ];
  for (const [ms, text] of cases) {
    it(`formats ${ms} ms as ${text}`, () => assert.equal(formatDuration(ms), text));
  }

  it('round-trips through parseDurationMs', () => {
    for (const text of ['1h2m3.004005006s', '250ms', '20s', '1m0s']) {
      assert.equal(formatDuration(parseDurationMs(text)), text);
    }
  });
});
