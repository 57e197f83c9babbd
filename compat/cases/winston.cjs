// winston
exports.meta = {};
exports.run = async () => {
  const winston = require('winston');
  const out = [];
  const { Writable } = require('node:stream');
  const logger = winston.createLogger({
    format: winston.format.json(),
    transports: [
      new winston.transports.Stream({
        stream: new Writable({
          write(c, _e, cb) {
            out.push(JSON.parse(c));
            cb();
          },
        }),
      }),
    ],
  });
  logger.info('hello', { k: 1 });
  await new Promise((r) => setTimeout(r, 20));
  return out;
};
