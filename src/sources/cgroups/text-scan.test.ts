import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextLine, parseUintAt, scanKeyed } from './text-scan.js';

describe('parseUintAt', () => {
  const cases: [string, number, number][] = [
    ['123', 0, 123],
    ['  42 kB', 0, 42],
    ['\t7\n', 0, 7],
    ['x 9', 1, 9],
    ['', 0, NaN],
    ['-5', 0, NaN],
    ['9223372036854771712', 0, 9223372036854771712],
  ];
  for (const [text, pos, want] of cases) {
    it(`${JSON.stringify(text)}@${pos}`, () => assert.deepEqual(parseUintAt(text, pos), want));
  }
});

describe('scanKeyed', () => {
  it('finds keys followed by space, tab or colon, and only at line starts', () => {
    const out = [NaN, NaN, NaN, NaN];
    const text = 'a_b 1\nfoo 2\nxbar 3\nbar\t4\nMemX:   5 kB\nfoo_long 6\n';
    assert.equal(scanKeyed(text, ['foo', 'bar', 'MemX', 'missing'], out), 3);
    assert.deepEqual(out, [2, 4, 5, NaN]);
  });
  it('nextLine steps over lines', () => {
    assert.equal(nextLine('ab\ncd', 0), 3);
    assert.equal(nextLine('ab\ncd', 3), 5);
  });
});
