// What every axios case does, with the axios line it names (compat/package.json aliases them):
// an instance with a base URL, a GET, a JSON POST and a 404, against a loopback server.
const { serve } = require('./loopback.cjs');

module.exports = (pkg) => async () => {
  const axios = require(pkg);
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
  return { version: require(`${pkg}/package.json`).version, a: a.data, b: [b.status, b.data], notFound };
};
