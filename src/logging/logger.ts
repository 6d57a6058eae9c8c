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
const children: Logger[] = [];

/** Sets the level of the root and of every named logger made so far (pino children copy it). */
export function setLogLevel(level: string): void {
  root.level = level;
  for (const child of children) child.level = level;
}

export function logger(name: string): Logger {
  const child = root.child({ module: name });
  children.push(child);
  return child;
}
