// rxjs
exports.meta = {};
exports.run = async () => {
  const { from, firstValueFrom } = require('rxjs');
  const { map, filter, toArray } = require('rxjs/operators');
  return firstValueFrom(
    from([1, 2, 3, 4]).pipe(
      filter((x) => x % 2 === 0),
      map((x) => x * 10),
      toArray(),
    ),
  );
};
