// xml2js
exports.meta = {};
exports.run = async () => {
  const xml2js = require('xml2js');
  const o = await xml2js.parseStringPromise('<r><i id="1">a</i><i id="2">b</i></r>');
  return [o, new xml2js.Builder({ headless: true }).buildObject({ x: { y: 1 } })];
};
