// Loopback services the learning tests point functions at: a minimal DynamoDB (GetItem /
// PutItem over the JSON 1.0 protocol the AWS SDK speaks), and a recorder of whatever reaches it
// (a webhook receiver, an attacker's listener). Both on 127.0.0.1, ephemeral ports.
import http from 'node:http';

function readBody(req) {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => resolve(body));
  });
}

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

export async function fakeDynamoDb() {
  const items = new Map();
  const requests = [];
  const server = http.createServer(async (req, res) => {
    const body = await readBody(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    requests.push({ target, authorization: req.headers.authorization ?? '' });
    const input = body ? JSON.parse(body) : {};
    let out = {};
    if (target.endsWith('.PutItem')) items.set(input.Item.id.S, input.Item);
    else if (target.endsWith('.GetItem')) {
      const item = items.get(input.Key.id.S);
      out = item ? { Item: item } : {};
    } else {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ __type: 'com.amazon.coral.validate#ValidationException', message: target }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify(out));
  });
  const port = await listen(server);
  return { port, url: `http://127.0.0.1:${port}`, items, requests, close: () => server.close() };
}

export async function recorder() {
  const hits = [];
  const server = http.createServer(async (req, res) => {
    hits.push({ method: req.method, url: req.url, body: await readBody(req) });
    res.end('ok');
  });
  const port = await listen(server);
  return { port, hits, close: () => server.close() };
}
