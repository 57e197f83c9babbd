// fast-xml-parser
exports.meta = {};
exports.run = async () => {
  const { XMLParser, XMLBuilder } = require('fast-xml-parser');
  const o = new XMLParser({ ignoreAttributes: false }).parse('<r><i id="1">a</i></r>');
  return [o, new XMLBuilder({}).build({ a: { b: 2 } })];
};
