// source-map-support
exports.meta = {};
exports.run = async () => {
  require('source-map-support').install();
  try {
    throw new Error('boom');
  } catch (e) {
    return e.stack.split('\n')[0];
  }
};
