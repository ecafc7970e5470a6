// Preloaded into heapster by bench/cluster-profile.ts (--alloc): samples allocations,
// including objects the GC has already collected, from ALLOC_FROM_S to ALLOC_UNTIL_S seconds
// after start, and writes the sampling heap profile to ALLOC_OUT. Worker threads (kubelet
// workers) load it too: each writes ALLOC_OUT.thread-<id>.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { isMainThread, threadId } from 'node:worker_threads';

const out = isMainThread ? process.env.ALLOC_OUT : `${process.env.ALLOC_OUT}.thread-${threadId}`;
const session = new Session();
session.connect();
const post = (method, params) =>
  new Promise((resolve, reject) =>
    session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))),
  );
const fromMs = Number(process.env.ALLOC_FROM_S) * 1000;
const untilMs = Number(process.env.ALLOC_UNTIL_S) * 1000;
setTimeout(async () => {
  await post('HeapProfiler.startSampling', {
    samplingInterval: 32768,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  setTimeout(async () => {
    const { profile } = await post('HeapProfiler.stopSampling');
    writeFileSync(out, JSON.stringify(profile));
  }, untilMs - fromMs).unref();
}, fromMs).unref();
