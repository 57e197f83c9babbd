// Renders an invoice, receipt or statement from an EJS template and keeps a copy in /tmp.
// The bug: the request's `data` object goes to ejs.renderFile as is, and ejs 3.1.6 reads its
// `settings['view options']` (CVE-2022-29078: `outputFunctionName` is code in the template).
// The template name is joined to the templates folder unchecked (path traversal).
const ejs = require('ejs');
const fs = require('node:fs');
const path = require('node:path');

const TEMPLATES = path.join(__dirname, 'templates');

exports.handler = async (event, context) => {
  const req = typeof event.body === 'string' ? JSON.parse(event.body) : event;
  const name = String(req.template || 'invoice');
  const file = path.join(TEMPLATES, path.extname(name) ? name : `${name}.ejs`);
  const html = await ejs.renderFile(file, req.data || {});
  const dir = path.join('/tmp', `render-${context.awsRequestId}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${path.basename(name, '.ejs')}.html`), html);
  return { statusCode: 200, headers: { 'content-type': 'text/html' }, body: html };
};
