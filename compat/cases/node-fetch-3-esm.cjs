// node-fetch-3-esm
const { serve } = require('../lib/loopback.cjs');
exports.meta = { quick: true };
exports.run = async () => {
  const { default: fetch } = await import('node-fetch');
  const srv = await serve({ '/j': () => ({ esm: true }) });
  const r = await (await fetch(`${srv.url}/j`)).json();
  await srv.close();
  return r;
};
