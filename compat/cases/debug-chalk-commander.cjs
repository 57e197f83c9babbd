// debug-chalk-commander
exports.meta = {};
exports.run = async () => {
  const debug = require('debug')('app');
  const chalk = require('chalk');
  const { Command } = require('commander');
  debug('not enabled');
  const p = new Command().option('-n, --name <n>').parse(['node', 'x', '--name', 'y']);
  return [chalk.level >= 0, p.opts().name, debug.enabled];
};
