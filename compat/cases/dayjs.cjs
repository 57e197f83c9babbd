// dayjs
exports.meta = {};
exports.run = async () => {
  const dayjs = require('dayjs');
  dayjs.extend(require('dayjs/plugin/utc'));
  return dayjs.utc('2024-02-28').add(2, 'day').format('YYYY-MM-DD');
};
