/**
 * Worker-thread entry of `ClassifierPool` (built to dist/workers/classifier-worker.js). Loads the
 * tfjs backend, the models and the hash list once, reports them in a `ready` message, then runs
 * the cascade for each `classify` message, one at a time (the pool sends one job per worker).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadCascadeModels, runCascade } from '../src/moderation/cascade.js';
import { assertUnreachable } from '../src/protocol/messages.js';
import { type FromWorkerMessage, type ToWorkerMessage, type WorkerOptions } from '../src/moderation/classification.js';

const port = parentPort;
if (port === null) throw new Error('classifier-worker | must run as a worker thread (see ClassifierPool)');

const options = (workerData ?? {}) as WorkerOptions;
const models = await loadCascadeModels(options);
let crashOnNextJob: 'exit' | 'throw' | null = null;

const send = (message: FromWorkerMessage): void => port.postMessage(message);

port.on('message', (message: ToWorkerMessage) => {
  switch (message.type) {
    case 'classify': {
      if (crashOnNextJob === 'exit') process.exit(3);
      if (crashOnNextJob === 'throw') throw new Error('classifier-worker | test-only crash');
      const { id, rgb, width, height } = message;
      runCascade(models, rgb, width, height).then(
        (classification) => send({ type: 'result', id, classification }),
        (error: unknown) => send({ type: 'failed', id, message: error instanceof Error ? error.message : String(error) }),
      );
      return;
    }
    case 'test-crash-on-next-job':
      crashOnNextJob = message.how;
      return;
    default:
      assertUnreachable(message);
  }
});

send({
  type: 'ready',
  backend: models.backend,
  modelVersions: { nudity: models.nudity?.modelVersion ?? null, faces: models.faces?.modelVersion ?? null },
  modelErrors: models.loadErrors,
});
