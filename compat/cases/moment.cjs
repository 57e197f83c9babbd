// moment
exports.meta = {};
exports.run = async () => {
  const moment = require('moment');
  return moment.utc('2024-03-01T10:00:00Z').add(1, 'month').format('YYYY-MM-DD dddd');
};
