// date-fns
exports.meta = {};
exports.run = async () => {
  const { addDays, format, parseISO } = require('date-fns');
  return format(addDays(parseISO('2024-12-31'), 1), 'yyyy-MM-dd');
};
