// A kubelet worker thread: fetches and parses kubelet answers off the main thread and posts
// each node's sets back as a NodeFrame (node-frame.ts). Started by WorkerFetcher
// (node-fetcher.ts); speaks only the messages defined there.
import { parentPort, workerData } from 'node:worker_threads';
import { emptyBatch } from '../../core/batch.js';
import { KubeletClient } from './kubelet-client.js';
import { KUBELET_PATHS, parseNodeAnswer } from './node-answer.js';
import { FrameEncoder } from './node-frame.js';
import type { ToWorker, WorkerInit } from './node-fetcher.js';

const port = parentPort;
if (port === null) throw new Error('kubelet-worker.ts runs as a worker thread only');
const init = workerData as WorkerInit;
const client = new KubeletClient({
  ...init.client,
  caPem: init.client.caPem === undefined ? undefined : Buffer.from(init.client.caPem),
});
const encoder = new FrameEncoder();
const pending = new Map<number, AbortController>();

async function get(id: number, msg: Extract<ToWorker, { t: 'get' }>): Promise<void> {
  const ctl = new AbortController();
  pending.set(id, ctl);
  try {
    const text = await client.get(
      msg.target.address,
      KUBELET_PATHS[init.endpoint],
      msg.target.nodeName,
      ctl.signal,
    );
    if (ctl.signal.aborted) return;
    const local = emptyBatch(0);
    parseNodeAnswer(init.endpoint, text, msg.target, Date.now(), local);
    const frame = encoder.encode(msg.target.nodeName, local);
    port!.postMessage({ t: 'ok', id, node: msg.target.nodeName, frame }, [
      frame.nums.buffer as ArrayBuffer,
    ]);
  } catch (err) {
    if (!ctl.signal.aborted) port!.postMessage({ t: 'err', id, message: (err as Error).message });
  } finally {
    pending.delete(id);
  }
}

port.on('message', (msg: ToWorker) => {
  switch (msg.t) {
    case 'get':
      void get(msg.id, msg);
      break;
    case 'cancel':
      pending.get(msg.id)?.abort();
      break;
    case 'forget':
      for (const node of msg.nodes) encoder.forget(node);
      break;
  }
});
