// worker-threads-plain
exports.meta = {};
exports.run = async () => {
  const { Worker } = require('node:worker_threads');
  const w = new Worker(
    'const { parentPort, workerData } = require("node:worker_threads"); parentPort.postMessage(workerData * 7)',
    { eval: true, workerData: 6 },
  );
  const v = await new Promise((res, rej) => {
    w.on('message', res);
    w.on('error', rej);
  });
  await w.terminate();
  return v;
};
