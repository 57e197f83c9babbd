// A document service with two real-world bugs, the kind Warden exists for:
//  - POST /convert builds a shell command from the request (command injection);
//  - GET /docs/{name} joins the request path to a folder (path traversal).
const { execSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const DOCS = path.join(__dirname, 'docs');

exports.handler = async (event) => {
  if (event.httpMethod === 'POST' && event.path === '/convert') {
    const { name } = JSON.parse(event.body || '{}');
    // BUG: `name` goes into a shell string unquoted.
    const out = execSync(`echo converting ${name}.md to ${name}.pdf`, { encoding: 'utf8' });
    return { statusCode: 200, body: out.trim() };
  }
  if (event.httpMethod === 'GET' && event.path.startsWith('/docs/')) {
    // BUG: the name is not checked for `../`.
    const file = path.join(DOCS, decodeURIComponent(event.path.slice('/docs/'.length)));
    return { statusCode: 200, body: fs.readFileSync(file, 'utf8') };
  }
  return { statusCode: 404, body: 'not found' };
};
