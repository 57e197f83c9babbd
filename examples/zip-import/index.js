// Imports a batch of CSV files sent as a zip: extracts it under /tmp, counts the rows of each
// CSV, and cleans up. The bug: adm-zip 0.4.7 writes entries named `../…` outside the target
// directory (zip slip, CVE-2018-1002204).
const AdmZip = require('adm-zip');
const fs = require('node:fs');
const path = require('node:path');

function walk(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

exports.handler = async (event, context) => {
  const req = typeof event.body === 'string' ? JSON.parse(event.body) : event;
  const target = path.join('/tmp', `import-${context.awsRequestId}`);
  fs.mkdirSync(target, { recursive: true });
  try {
    new AdmZip(Buffer.from(req.zip, 'base64')).extractAllTo(target, true);
    const files = {};
    for (const file of walk(target)) {
      if (!file.endsWith('.csv')) continue;
      const rows = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length - 1;
      files[path.relative(target, file)] = rows;
    }
    return { statusCode: 200, body: JSON.stringify({ batch: req.name, files }) };
  } finally {
    fs.rmSync(target, { recursive: true, force: true });
  }
};
