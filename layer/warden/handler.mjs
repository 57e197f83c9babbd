// Warden's handler swap: the runtime imports this file (`_HANDLER=<layer>/warden/handler.handler`);
// the top-level await loads the function's own handler (WARDEN_HANDLER) during the init phase,
// as the runtime would have. The logic lives in handler.cjs, loaded with `require`: an `import`
// of a CommonJS file runs Node 22's JavaScript export scanner over it (~9 MB of RSS, measured).
import { createRequire } from 'node:module';

const warden = createRequire(import.meta.url)('./handler.cjs');

export const handler = await warden.loadHandler();
