// zod
exports.meta = { quick: true };
exports.run = async () => {
  const { z } = require('zod');
  const S = z.object({ id: z.string().uuid(), n: z.number().int().positive() });
  return [
    S.safeParse({ id: '123e4567-e89b-12d3-a456-426614174000', n: 3 }).success,
    S.safeParse({ id: 'x', n: -1 }).error.issues.map((i) => i.path.join('.')),
  ];
};
