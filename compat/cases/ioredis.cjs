// ioredis
const { serveLines } = require('../lib/loopback.cjs');
exports.meta = {};
exports.run = async () => {
  const Redis = require('ioredis');
  const srv = await serveLines((line) =>
    /PING/i.test(line) ? '+PONG\r\n' : /^\*|^\$/.test(line) ? undefined : '+OK\r\n',
  );
  const r = new Redis({
    host: '127.0.0.1',
    port: srv.port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableReadyCheck: false,
  });
  await r.connect();
  const pong = await r.ping();
  r.disconnect();
  await srv.close();
  return pong;
};
