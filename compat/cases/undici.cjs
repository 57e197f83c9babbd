// undici
const { serve } = require('../lib/loopback.cjs');
exports.meta = { quick: true };
exports.run = async () => {
  const { request, fetch } = require('undici');
  const srv = await serve({ '/a': () => ({ a: 1 }), '/b': () => 'plain' });
  const a = await (await request(`${srv.url}/a`)).body.json();
  const b = await (await fetch(`${srv.url}/b`)).text();
  await srv.close();
  return { a, b };
};
