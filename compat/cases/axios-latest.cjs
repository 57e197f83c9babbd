// axios-latest
const { serve } = require('../lib/loopback.cjs');
exports.meta = { quick: true, sandbox: true };
exports.run = async () => {
  const axios = require('axios');
  const srv = await serve({
    'GET /items': () => ({ items: [1, 2, 3] }),
    'POST /items': (r) => ({ status: 201, body: { got: JSON.parse(r.body) } }),
  });
  const client = axios.create({ baseURL: srv.url, timeout: 2000 });
  const a = await client.get('/items');
  const b = await client.post('/items', { name: 'x' });
  let notFound;
  try {
    await client.get('/missing');
  } catch (e) {
    notFound = e.response?.status;
  }
  await srv.close();
  return { version: require('axios/package.json').version, a: a.data, b: [b.status, b.data], notFound };
};
