// express-serverless-http
exports.meta = { quick: true, sandbox: true };
exports.run = async () => {
  const express = require('express');
  const serverless = require('serverless-http');
  const app = express();
  app.use(express.json());
  app.get('/hello/:name', (req, res) => res.json({ hello: req.params.name, q: req.query.q }));
  app.post('/echo', (req, res) => res.status(201).json(req.body));
  const handler = serverless(app);
  const ev = (method, path, body, qs) => ({
    httpMethod: method,
    path,
    headers: { 'content-type': 'application/json' },
    queryStringParameters: qs ?? null,
    body: body ? JSON.stringify(body) : null,
    isBase64Encoded: false,
    requestContext: {},
  });
  const a = await handler(ev('GET', '/hello/ann', null, { q: '1' }), {});
  const b = await handler(ev('POST', '/echo', { x: 1 }), {});
  return [a.statusCode, JSON.parse(a.body), b.statusCode, JSON.parse(b.body)];
};
