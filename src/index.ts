import { App } from './app.js';
import { ConfigError, loadConfig } from './config/load.js';
import { logger, setLogLevel } from './logging/logger.js';

const log = logger('main');

async function main(): Promise<void> {
  const config = loadConfig();
  setLogLevel(config.logLevel);
  const app = await App.create(config);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (error: Error) => {
        log.error({ err: error.message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  // SIGTERM drains first (chats in progress end by themselves or at the deadline); a second one stops at once.
  process.on('SIGTERM', () => {
    if (app.state === 'draining') {
      stop('SIGTERM');
      return;
    }
    log.info({ deadlineMs: config.drainDeadlineMs }, 'SIGTERM: draining; send SIGTERM again to stop at once');
    app.drain(config.drainDeadlineMs).then(
      () => stop('drained'),
      (error: Error) => {
        log.error({ err: error.message }, 'drain failed; stopping');
        stop('SIGTERM');
      },
    );
  });
  app.redis.embedded?.onLost((error) => {
    log.fatal({ err: error.message }, 'the embedded redis-server is gone; stopping');
    process.exit(1);
  });
}

main().catch((error: Error) => {
  if (error instanceof ConfigError) process.stderr.write(`veil: ${error.message}\n`);
  else log.fatal({ err: error.message }, 'start-up failed');
  process.exit(1);
});
