// The source the esbuild-bundle case bundles (lodash and dayjs inlined into one file).
const _ = require('lodash');
const dayjs = require('dayjs');
exports.handler = (event) => ({
  sorted: _.sortBy(event.xs),
  day: dayjs('2024-01-01').add(1, 'day').format('YYYY-MM-DD'),
});
