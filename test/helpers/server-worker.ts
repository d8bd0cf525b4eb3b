import { Worker } from 'node:worker_threads';

/**
 * Test servers on a worker thread of their own (a guest on the test's
 * thread blocks it while it waits, so servers there could never answer):
 * SCRIPT posts its ports first, then answers each message with a report.
 */
export async function startServerWorker<Ports, Report>(
  script: string,
  workerData: unknown,
): Promise<{ ports: Ports; report: () => Promise<Report>; close: () => Promise<void> }> {
  const worker = new Worker(script, { eval: true, workerData });
  const ports = await new Promise<Ports>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    ports,
    report: () =>
      new Promise((resolve) => {
        worker.once('message', resolve);
        worker.postMessage('report');
      }),
    close: async () => {
      await worker.terminate();
    },
  };
}
