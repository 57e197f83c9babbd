// The nodejs20.x / nodejs22.x runtime's entry (Lambda's /var/runtime/index.mjs): aws-lambda-ric 3.x
// run with the task root and handler from the environment, as Lambda's bootstrap starts it.
import { run } from 'aws-lambda-ric-v3';

await run(process.env.LAMBDA_TASK_ROOT, process.env._HANDLER);
