// mysql2
exports.meta = {};
exports.run = async () => {
  const mysql = require('mysql2/promise');
  const net = require('node:net');
  const server = net.createServer((s) => s.destroy());
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  let err;
  try {
    await mysql.createConnection({
      host: '127.0.0.1',
      port: server.address().port,
      user: 'u',
      connectTimeout: 2000,
    });
  } catch (e) {
    err = e.code;
  }
  server.close();
  return { err, fmt: mysql.format('SELECT ? AS a, ?? AS b', [1, 'col']) };
};
