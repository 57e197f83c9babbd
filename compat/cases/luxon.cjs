// luxon
exports.meta = {};
exports.run = async () => {
  const { DateTime } = require('luxon');
  return DateTime.fromISO('2024-06-01T12:00:00', { zone: 'utc' }).setZone('America/New_York').toISO();
};
