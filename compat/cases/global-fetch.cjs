// global-fetch
const { serve } = require('../lib/loopback.cjs');
exports.meta = {};
exports.run = async () => {
  const srv = await serve({ '/x': (r) => ({ ua: typeof r.headers['user-agent'] }) });
  const r = await (await fetch(`${srv.url}/x`)).json();
  await srv.close();
  return r;
};
