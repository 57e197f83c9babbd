// sharp
exports.meta = { quick: true };
exports.run = async () => {
  const sharp = require('sharp');
  const png = await sharp({
    create: { width: 4, height: 3, channels: 3, background: { r: 255, g: 0, b: 0 } },
  })
    .png()
    .toBuffer();
  const meta = await sharp(png).resize(2, 2).metadata();
  return [meta.format, meta.width, meta.height];
};
