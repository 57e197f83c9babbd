// node-fetch-2
const { serve } = require('../lib/loopback.cjs');
exports.meta = {};
exports.run = async () => {
  const fetch = require('node-fetch-2');
  const srv = await serve({ '/j': (r) => ({ method: r.method }) });
  const r = await (await fetch(`${srv.url}/j`, { method: 'PUT' })).json();
  await srv.close();
  return r;
};
