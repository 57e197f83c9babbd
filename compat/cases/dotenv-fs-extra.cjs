// dotenv-fs-extra
exports.meta = { quick: true, sandbox: true };
exports.run = async () => {
  const fs = require('fs-extra');
  const os = require('node:os');
  const path = require('node:path');
  const dotenv = require('dotenv');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'compat-'));
  await fs.outputFile(path.join(dir, 'a/b/.env'), 'GREETING=hello\n');
  const parsed = dotenv.parse(await fs.readFile(path.join(dir, 'a/b/.env')));
  await fs.copy(path.join(dir, 'a'), path.join(dir, 'c'));
  const listed = (await fs.readdir(path.join(dir, 'c/b'), { withFileTypes: true })).map((d) => d.name);
  await fs.remove(dir);
  return { parsed, listed, exists: await fs.pathExists(dir) };
};
