// A zip of {name: content}, base64. Entry names with `..` (zip slip) are written as
// placeholders of the same length and patched in afterwards: yazl refuses them, as it should.
import yazl from 'yazl';

export function zipBase64(files) {
  return new Promise((resolve, reject) => {
    const zip = new yazl.ZipFile();
    const patches = [];
    for (const [name, content] of Object.entries(files)) {
      const safe = name.replaceAll('..', 'QQ');
      if (safe !== name) patches.push([safe, name]);
      zip.addBuffer(Buffer.from(content), safe, { mtime: new Date(0), mode: 0o644 });
    }
    const chunks = [];
    zip.outputStream
      .on('data', (c) => chunks.push(c))
      .on('error', reject)
      .on('end', () => {
        const buf = Buffer.concat(chunks);
        for (const [safe, real] of patches) {
          for (let i = buf.indexOf(safe); i >= 0; i = buf.indexOf(safe, i + 1))
            Buffer.from(real).copy(buf, i);
        }
        resolve(buf.toString('base64'));
      });
    zip.end();
  });
}
