// bluebird-async
exports.meta = {};
exports.run = async () => {
  const Bluebird = require('bluebird');
  const async = require('async');
  const a = await Bluebird.map([1, 2, 3], (x) => Bluebird.delay(1).then(() => x * 2), { concurrency: 2 });
  const b = await async.mapLimit([1, 2, 3], 2, async (x) => x + 1);
  return [a, b];
};
