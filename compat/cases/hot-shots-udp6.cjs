// hot-shots-udp6
exports.meta = { quick: true };
exports.run = async () => {
  const StatsD = require('hot-shots');
  const dgram = require('node:dgram');
  const sock = dgram.createSocket('udp6');
  await new Promise((r) => sock.bind(0, '::1', r));
  const got = new Promise((res) => sock.on('message', (m) => res(String(m))));
  const client = new StatsD({
    host: '::1',
    port: sock.address().port,
    protocol: 'udp',
    udpSocketOptions: { type: 'udp6' },
    errorHandler: () => {},
  });
  client.increment('orders', 1);
  const m = await got;
  client.close();
  sock.close();
  return m;
};
