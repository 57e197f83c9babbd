// nanoid
exports.meta = {};
exports.run = async () => {
  const { customAlphabet } = require('nanoid');
  return customAlphabet('ab', 8)().length;
};
