// pino
exports.meta = {};
exports.run = async () => {
  const pino = require('pino');
  const out = [];
  const logger = pino({ base: undefined, timestamp: false }, { write: (s) => out.push(JSON.parse(s)) });
  logger.info({ k: 2 }, 'hello');
  logger.child({ req: 'r1' }).warn('careful');
  return out;
};
