// lodash
exports.meta = { quick: true };
exports.run = async () => {
  const _ = require('lodash');
  const t = _.template('hi <%= name %>');
  return {
    g: _.groupBy([1.1, 2.3, 2.5], Math.floor),
    t: t({ name: 'x' }),
    m: _.merge({ a: { b: 1 } }, { a: { c: 2 } }),
    d: _.debounce(() => 1, 10) !== undefined,
  };
};
