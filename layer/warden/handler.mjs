// Warden's handler swap: the runtime imports this file (`_HANDLER=<layer>/warden/handler.handler`);
// the top-level await loads the function's own handler (WARDEN_HANDLER) during the init phase,
// as the runtime would have. The logic lives in handler.cjs.
import warden from './handler.cjs';

export const handler = await warden.loadHandler();
