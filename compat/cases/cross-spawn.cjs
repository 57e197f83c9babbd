// cross-spawn
exports.meta = { enforcePolicy: 'node-and-echo' };
exports.run = async () => {
  const spawn = require('cross-spawn');
  const r = spawn.sync('echo', ['cross']);
  return r.stdout.toString().trim();
};
