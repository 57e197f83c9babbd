// ws
exports.meta = {};
exports.run = async () => {
  const { WebSocketServer, WebSocket } = require('ws');
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.on('listening', r));
  wss.on('connection', (s) => s.on('message', (m) => s.send(`echo:${m}`)));
  const ws = new WebSocket(`ws://127.0.0.1:${wss.address().port}`);
  const got = await new Promise((res, rej) => {
    ws.on('open', () => ws.send('hi'));
    ws.on('message', (m) => res(String(m)));
    ws.on('error', rej);
  });
  ws.close();
  await new Promise((r) => wss.close(r));
  return got;
};
