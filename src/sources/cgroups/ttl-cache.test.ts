import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TtlValue } from './ttl-cache.js';

describe('TtlValue', () => {
  it('reloads after the TTL or an invalidation, and does not cache a throw', () => {
    let now = 0;
    let loads = 0;
    let fail = false;
    const v = new TtlValue(
      100,
      () => {
        if (fail) throw new Error('boom');
        return ++loads;
      },
      () => now,
    );
    assert.equal(v.get(), 1);
    now = 99;
    assert.equal(v.get(), 1);
    now = 100;
    assert.equal(v.get(), 2);
    v.invalidate();
    assert.equal(v.get(), 3);
    fail = true;
    v.invalidate();
    assert.throws(() => v.get(), /boom/);
    fail = false;
    assert.equal(v.get(), 4);
  });
});
