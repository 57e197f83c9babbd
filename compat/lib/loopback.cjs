// A loopback HTTP server a case talks to instead of the internet (127.0.0.1 only). `routes`
// maps "METHOD /path" (or "/path") to a handler returning { status, headers, body } or a body.
const http = require('node:http');

exports.serve = (routes) =>
  new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const path = req.url.split('?')[0];
        const route = routes[`${req.method} ${path}`] ?? routes[path] ?? routes['*'];
        const out = route
          ? route({ method: req.method, url: req.url, headers: req.headers, body })
          : { status: 404, body: 'not found' };
        const r = out && typeof out === 'object' && 'body' in out ? out : { body: out };
        const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
        res.writeHead(r.status ?? 200, {
          'content-type': typeof r.body === 'string' ? 'text/plain' : 'application/json',
          ...(r.headers ?? {}),
        });
        res.end(text);
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}`, port, close: () => new Promise((r) => server.close(r)) });
    });
  });

/** A loopback TCP server speaking a line protocol: `reply(line)` answers each line received. */
exports.serveLines = (reply) =>
  new Promise((resolve) => {
    const net = require('node:net');
    const server = net.createServer((sock) => {
      let buf = '';
      sock.on('data', (c) => {
        buf += c;
        let nl = buf.indexOf('\n');
        while (nl >= 0) {
          const line = buf.slice(0, nl).replace(/\r$/, '');
          buf = buf.slice(nl + 1);
          const out = reply(line);
          if (out !== undefined) sock.write(out);
          nl = buf.indexOf('\n');
        }
      });
      sock.on('error', () => {});
    });
    server.listen(0, '127.0.0.1', () =>
      resolve({ port: server.address().port, close: () => new Promise((r) => server.close(r)) }),
    );
  });
