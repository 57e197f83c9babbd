// cheerio
exports.meta = {};
exports.run = async () => {
  const cheerio = require('cheerio');
  const $ = cheerio.load('<ul><li class="x">1</li><li>2</li></ul>');
  return [$('li.x').text(), $('li').length, $.html('li')];
};
