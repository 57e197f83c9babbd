// mongodb
exports.meta = {};
exports.run = async () => {
  const { MongoClient, ObjectId } = require('mongodb');
  const c = new MongoClient('mongodb://127.0.0.1:9/?directConnection=true', {
    serverSelectionTimeoutMS: 300,
  });
  let err;
  try {
    await c.connect();
  } catch (e) {
    err = e.name;
  }
  await c.close();
  return { err, id: new ObjectId('65a1b2c3d4e5f60718293a4b').toHexString() };
};
