/**
 * Admin tool: creates and manages moderator-console accounts (docs/console-api.md). Passwords are
 * read from stdin (the first line; asked twice without echo on a terminal), never from arguments,
 * which other users can see in the process list. `add` and `reset-totp` print the TOTP secret and
 * its otpauth:// URI once. Changing a password or second factor, or removing an account, ends the
 * account's console sessions.
 *
 * Usage: `npm run --silent console-user -- add NAME --role moderator|admin`
 *        `npm run --silent console-user -- list | remove NAME | reset-totp NAME | passwd NAME`
 *
 * It uses the server's Redis as the server would (VEIL_REDIS_URL, else the embedded one under the
 * data folder, which only one process can run at a time).
 */
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { AccountStore, AccountError, type ConsoleRole, type TotpEnrolment } from '../console/accounts/account-store.js';
import { SessionStore } from '../console/accounts/session-store.js';
import { totpKey } from '../console/accounts/totp-secret-box.js';
import { AuditLog } from '../console/audit-log.js';
import { addressHashSecret } from '../edge/secret.js';
import { loadConfig } from '../config/load.js';
import { assertUnreachable } from '../protocol/messages.js';
import { setLogLevel } from '../logging/logger.js';
import { openRedis } from '../store/redis.js';
import type { CliOutput } from './pdq-cli.js';

const USAGE = [
  'usage: console-user add NAME --role moderator|admin   (password: first line of stdin)',
  '       console-user list',
  '       console-user remove NAME',
  '       console-user reset-totp NAME',
  '       console-user passwd NAME                       (password: first line of stdin)',
].join('\n');

export interface ConsoleUserIo extends CliOutput {
  /** The new password: the first line of stdin (without its line break), or null at end of input. */
  readonly readPassword: () => Promise<string | null>;
}

export interface ConsoleUserStores {
  accounts: AccountStore;
  sessions: SessionStore;
  /** Account changes are audited like console actions, with the actor `console-user`. */
  audit: AuditLog;
  close(): Promise<void>;
}

type Command =
  | { kind: 'add'; name: string; role: ConsoleRole }
  | { kind: 'list' }
  | { kind: 'remove'; name: string }
  | { kind: 'reset-totp'; name: string }
  | { kind: 'passwd'; name: string };

/** The command the arguments ask for, or null when they are not usable. */
export function parseConsoleUserArgs(args: readonly string[]): Command | null {
  if (args.includes('-h') || args.includes('--help')) return null;
  const [verb, ...rest] = args;
  switch (verb) {
    case 'list':
      return rest.length === 0 ? { kind: 'list' } : null;
    case 'remove':
    case 'reset-totp':
    case 'passwd':
      return rest.length === 1 && !rest[0]?.startsWith('-') ? { kind: verb, name: rest[0] as string } : null;
    case 'add': {
      let name: string | undefined;
      let role: string | undefined;
      for (let i = 0; i < rest.length; i++) {
        const arg = rest[i] as string;
        if (arg === '--role') role = rest[++i];
        else if (arg.startsWith('--role=')) role = arg.slice('--role='.length);
        else if (arg.startsWith('-') || name !== undefined) return null;
        else name = arg;
      }
      if (name === undefined || (role !== 'moderator' && role !== 'admin')) return null;
      return { kind: 'add', name, role };
    }
    default:
      return null;
  }
}

/** Opens the configured Redis; the message of a refusal says what to do about it. */
export async function openConsoleStores(config = loadConfig()): Promise<ConsoleUserStores> {
  let handle: Awaited<ReturnType<typeof openRedis>>;
  try {
    handle = await openRedis(config);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (message.includes('is in use by redis-server')) {
      const socket = resolve(config.dataDir, 'redis', 'redis.sock');
      throw new Error(
        `the Veil server seems to be running on the data folder ${resolve(config.dataDir)}: stop it first, ` +
          `or point this tool at its Redis with VEIL_REDIS_URL=${socket}`,
      );
    }
    throw error;
  }
  return {
    accounts: new AccountStore({ redis: handle.redis, secretKey: totpKey(addressHashSecret(config.ipHashSecret, config.dataDir)) }),
    sessions: new SessionStore({ redis: handle.redis }),
    audit: new AuditLog(handle.redis, { retentionDays: config.auditRetentionDays }),
    close: () => handle.close(),
  };
}

function printEnrolment(output: CliOutput, name: string, enrolment: TotpEnrolment): void {
  output.out(`TOTP secret: ${enrolment.totpSecret}`);
  output.out(`otpauth URI: ${enrolment.otpauthUri}`);
  output.err(`console-user: add the secret for ${name} to an authenticator app now: it is not shown again`);
}

async function execute(command: Command, stores: ConsoleUserStores, password: string | undefined, output: CliOutput): Promise<number> {
  const { accounts, sessions, audit } = stores;
  const record = (action: 'account_add' | 'account_remove' | 'account_reset_totp' | 'account_passwd', detail = {}): Promise<void> =>
    audit.append({ actor: CLI_ACTOR, action, target: command.kind === 'list' ? undefined : command.name, detail });
  switch (command.kind) {
    case 'add': {
      const enrolment = await accounts.create({ name: command.name, role: command.role, password: password as string });
      await record('account_add', { role: command.role });
      output.err(`console-user: account ${command.name} (${command.role}) created`);
      printEnrolment(output, command.name, enrolment);
      return 0;
    }
    case 'list':
      for (const account of await accounts.list()) output.out(`${account.name}\t${account.role}\t${new Date(account.createdAt).toISOString()}`);
      return 0;
    case 'remove': {
      if (!(await accounts.remove(command.name))) {
        output.err(`console-user: no account named ${command.name}`);
        return 1;
      }
      const ended = await sessions.deleteAllFor(command.name);
      await record('account_remove');
      output.err(`console-user: account ${command.name} removed, ${ended} session(s) ended`);
      return 0;
    }
    case 'reset-totp': {
      const enrolment = await accounts.resetTotp(command.name);
      const ended = await sessions.deleteAllFor(command.name);
      await record('account_reset_totp');
      output.err(`console-user: new second factor for ${command.name}, ${ended} session(s) ended`);
      printEnrolment(output, command.name, enrolment);
      return 0;
    }
    case 'passwd': {
      await accounts.setPassword(command.name, password as string);
      const ended = await sessions.deleteAllFor(command.name);
      await record('account_passwd');
      output.err(`console-user: password of ${command.name} changed, ${ended} session(s) ended`);
      return 0;
    }
    default:
      return assertUnreachable(command);
  }
}

/** Who the audit log names for account changes made with this command (it has no session). */
const CLI_ACTOR = 'console-user';

/**
 * Runs the tool and resolves to its exit code: 0 done, 1 refused (bad name or password, name taken
 * or unknown, Redis unavailable), 2 usage. `openStores` is where tests put a test Redis.
 */
export async function runConsoleUserCli(
  args: readonly string[],
  io: ConsoleUserIo,
  openStores: () => Promise<ConsoleUserStores> = () => openConsoleStores(),
): Promise<number> {
  const command = parseConsoleUserArgs(args);
  if (command === null) {
    io.err(USAGE);
    return 2;
  }
  let password: string | undefined;
  if (command.kind === 'add' || command.kind === 'passwd') {
    const line = await io.readPassword();
    if (line === null || line === '') {
      io.err('console-user: no password on stdin (give it as the first line)');
      return 1;
    }
    password = line;
  }
  let stores: ConsoleUserStores;
  try {
    stores = await openStores();
  } catch (error) {
    io.err(`console-user: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  try {
    return await execute(command, stores, password, io);
  } catch (error) {
    if (error instanceof AccountError || error instanceof TypeError) {
      io.err(`console-user: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await stores.close();
  }
}

/** First line of stdin; on a terminal asked twice without echo, and null when the two differ. */
async function readPasswordFromStdin(): Promise<string | null> {
  const interactive = process.stdin.isTTY === true;
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const lines = createInterface({ input: process.stdin, output: interactive ? silent : undefined, terminal: interactive });
  const iterator = lines[Symbol.asyncIterator]();
  const next = async (prompt: string): Promise<string | null> => {
    if (interactive) process.stderr.write(prompt);
    const result: IteratorResult<string> = await iterator.next();
    if (interactive) process.stderr.write('\n');
    return result.done === true ? null : result.value.replace(/\r$/, '');
  };
  try {
    const first = await next('password: ');
    if (!interactive || first === null) return first;
    const again = await next('again: ');
    if (again !== first) {
      process.stderr.write('console-user: the two passwords differ\n');
      return null;
    }
    return first;
  } finally {
    lines.close();
  }
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(invokedPath).href) {
  // Log lines would mix with the secret printed on stdout; failures are reported on stderr instead.
  setLogLevel('silent');
  const code = await runConsoleUserCli(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    readPassword: readPasswordFromStdin,
  });
  process.exitCode = code;
}
