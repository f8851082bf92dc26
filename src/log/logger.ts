// pino, JSON on stdout for journald (or readable lines in the demo), with every place our code
// could put a PIN redacted: PINs are secrets and must never reach a log.
import { createRequire } from 'node:module';
import { type DestinationStream, type Logger, pino } from 'pino';
import type { PrettyOptions, PrettyStream } from 'pino-pretty';
import type { ProblemLine } from './last-problems.ts';

const WARN = 40;

/** Keys that hold a PIN or a password wherever they appear. */
const SECRET_KEYS = ['code', 'pin', 'new_code', 'password'];
/** pino's wildcards match exactly one level (array indices included), so each depth is listed. */
const MAX_DEPTH = 6;

export const REDACT_PATHS: readonly string[] = SECRET_KEYS.flatMap((key) =>
  Array.from({ length: MAX_DEPTH + 1 }, (_, depth) => [...Array<string>(depth).fill('*'), key].join('.')),
);

export const REDACTED = '[redacted]';

export interface LoggerOptions {
  level: string;
  pretty: boolean;
  /** Tests capture the log here; stdout otherwise. */
  destination?: NodeJS.WritableStream;
  /** Told of every line at warn or above (LastProblems keeps the last one per subsystem). */
  onProblem?: (line: ProblemLine) => void;
}

/**
 * The standard error serializer, with an error's own `code` (ECONNREFUSED, a driver's refusal)
 * kept as `error_code`: under `err.code` the PIN redaction would hide it. A code of digits only
 * could be a PIN and is dropped.
 */
function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown;
  if (typeof serialized !== 'object' || serialized === null || !('code' in serialized)) return serialized;
  const { code, ...rest } = serialized as Record<string, unknown>;
  return typeof code === 'string' && !/^\d+$/.test(code) ? { ...rest, error_code: code } : rest;
}

export function createLogger(options: LoggerOptions): Logger {
  const { onProblem } = options;
  const settings = {
    level: options.level,
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    serializers: { err: serializeError },
    ...(onProblem
      ? {
          hooks: {
            logMethod(
              this: Logger,
              args: Parameters<Logger['info']>,
              method: (...a: unknown[]) => void,
              level: number,
            ) {
              if (level >= WARN) onProblem({ level, bindings: this.bindings(), args });
              method.apply(this, args);
            },
          },
        }
      : {}),
  };
  const destination = options.destination as DestinationStream | undefined;
  if (options.pretty) {
    // A synchronous stream, not a worker transport: the demo's lines appear in order and at once.
    const stream = loadPretty()({
      colorize: destination === undefined && process.stdout.isTTY === true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      sync: true,
      ...(destination ? { destination } : { destination: 1 }),
    });
    return pino(settings, stream);
  }
  // Synchronous writes: lines logged just before process.exit() still reach the journal.
  return pino(settings, destination ?? pino.destination({ dest: 1, sync: true }));
}

/** pino-pretty, loaded only for readable lines (the demo): the daemon logs JSON and never loads it. */
function loadPretty(): (options: PrettyOptions) => PrettyStream {
  return createRequire(import.meta.url)('pino-pretty') as (options: PrettyOptions) => PrettyStream;
}
