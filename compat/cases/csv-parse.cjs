// csv-parse
exports.meta = {};
exports.run = async () => {
  const { parse } = require('csv-parse/sync');
  return parse('a,b\n1,"x,y"\n', { columns: true });
};
