import { setLogLevel } from '../src/logging/logger.js';

// Server modules log through pino; tests keep them quiet unless VEIL_TEST_LOG_LEVEL asks otherwise.
setLogLevel(process.env.VEIL_TEST_LOG_LEVEL ?? 'silent');
