// piscina-workers
exports.meta = { quick: true, sandbox: true };
exports.run = async () => {
  const { Piscina } = require('piscina');
  const path = require('node:path');
  const pool = new Piscina({
    filename: path.join(__dirname, '..', 'lib', 'square-worker.cjs'),
    maxThreads: 2,
  });
  const r = await Promise.all([2, 3, 4].map((n) => pool.run(n)));
  await pool.destroy();
  return r;
};
