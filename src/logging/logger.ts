import { pino, type Logger } from 'pino';

/**
 * One root logger; modules take a named child. Fields that could carry a raw address or message
 * text are censored here as a second line of defence: code must not log them in the first place.
 */
const root = pino({
  level: 'info',
  base: undefined,
  redact: {
    paths: ['ip', 'address', 'remoteAddress', 'text', 'req.headers', '*.ip', '*.remoteAddress', '*.text'],
    censor: '[redacted]',
  },
});

export function setLogLevel(level: string): void {
  root.level = level;
}

export function logger(name: string): Logger {
  return root.child({ module: name });
}
