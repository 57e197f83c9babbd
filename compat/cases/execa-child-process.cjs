// execa-child-process
exports.meta = { enforcePolicy: 'node-and-echo' };
exports.run = async () => {
  const execa = require('execa');
  const { stdout } = await execa('echo', ['hello', 'world']);
  const node = await execa(process.execPath, ['-e', 'process.stdout.write(String(6*7))']);
  return [stdout, node.stdout];
};
