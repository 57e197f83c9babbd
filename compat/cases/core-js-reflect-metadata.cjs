// core-js-reflect-metadata
exports.meta = { quick: true };
exports.run = async () => {
  require('core-js/actual');
  require('reflect-metadata');
  class A {}
  Reflect.defineMetadata('role', 'admin', A);
  return [
    Reflect.getMetadata('role', A),
    [1, [2, [3]]].flat(Infinity),
    Object.groupBy ? 'has groupBy' : 'no',
    structuredClone({ a: 1 }),
  ];
};
