import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../config/types.js';
import { createHistoricalBackend } from './historical-source.js';
import { InfluxdbHistoricalBackend } from './historical-influxdb.js';

test('--historical_source: influxdb builds the InfluxDB reader; other sinks are a config error', async () => {
  const b = createHistoricalBackend('influxdb:http://127.0.0.1:8086?db=k8s&withfields=true');
  assert.ok(b instanceof InfluxdbHistoricalBackend);
  assert.equal(b.config.withFields, true);
  await b.close();
  assert.throws(
    () => createHistoricalBackend('log'),
    (e: Error) =>
      e instanceof ConfigError &&
      e.message ===
        '--historical_source=log: sink "log" cannot serve /api/v1/historical (only influxdb can)',
  );
  assert.throws(() => createHistoricalBackend('influxdb:http://h?nope=1'), /unknown option "nope"/);
});
