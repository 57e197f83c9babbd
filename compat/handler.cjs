// The compatibility cases as one Lambda handler, for the sandbox runs: the event names the case.
exports.handler = async (event) => {
  const { run } = require(`./cases/${event.case}.cjs`);
  return { case: event.case, result: (await run()) ?? null };
};
