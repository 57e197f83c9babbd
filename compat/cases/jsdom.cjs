// jsdom
exports.meta = { quick: true };
exports.run = async () => {
  const { JSDOM } = require('jsdom');
  const dom = new JSDOM('<p id="a">hi</p><script>document.getElementById("a").textContent += "!"</script>', {
    runScripts: 'dangerously',
  });
  const t = dom.window.document.getElementById('a').textContent;
  dom.window.close();
  return t;
};
