// pg
exports.meta = {};
exports.run = async () => {
  const { Client } = require('pg');
  const net = require('node:net');
  // A server that refuses the startup: the client's connect path runs and fails as it would.
  const server = net.createServer((s) => s.destroy());
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const c = new Client({
    host: '127.0.0.1',
    port: server.address().port,
    user: 'u',
    database: 'd',
    connectionTimeoutMillis: 2000,
  });
  let err;
  try {
    await c.connect();
  } catch (e) {
    err = e.message.replace(/\d+/g, 'N');
  }
  server.close();
  const { escapeIdentifier } = require('pg');
  return { err, ident: escapeIdentifier ? escapeIdentifier('a"b') : null };
};
