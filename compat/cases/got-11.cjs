// got-11
const { serve } = require('../lib/loopback.cjs');
exports.meta = {};
exports.run = async () => {
  const got = require('got');
  const srv = await serve({ '/j': () => ({ ok: true }) });
  const r = await got(`${srv.url}/j`, { retry: { limit: 0 } }).json();
  await srv.close();
  return r;
};
