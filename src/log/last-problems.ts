// The last warning or error each subsystem logged, for bridge/info and `lockbridge status`: what
// went wrong last, without reading the journal. Fed by the logger (createLogger's onProblem); it
// keeps the message and a short reason only, never the logged fields (they could hold a PIN).

export interface Problem {
  level: 'warn' | 'error';
  message: string;
  /** The `reason` field, or the logged error's message, when the line had one. */
  reason?: string;
  /** Epoch ms. */
  at: number;
}

/** What a log line says that counts as a problem (pino levels: 40 warn, 50 error and above). */
export interface ProblemLine {
  level: number;
  /** The logger's bindings: `component` names the subsystem. */
  bindings: Record<string, unknown>;
  args: unknown[];
}

const MAX_REASON = 300;

export class LastProblems {
  private readonly last = new Map<string, Problem>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Called for every line at warn or above. */
  record(line: ProblemLine): void {
    const [first, second] = line.args;
    const fields = typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : null;
    const message = typeof first === 'string' ? first : typeof second === 'string' ? second : '';
    const subsystem = typeof line.bindings.component === 'string' ? line.bindings.component : 'bridge';
    const problem: Problem = { level: line.level >= 50 ? 'error' : 'warn', message, at: this.now() };
    const reason = reasonOf(fields);
    if (reason !== undefined) problem.reason = reason.slice(0, MAX_REASON);
    this.last.set(subsystem, problem);
  }

  /** Subsystem → its last problem. */
  snapshot(): Record<string, Problem> {
    return Object.fromEntries(this.last);
  }
}

function reasonOf(fields: Record<string, unknown> | null): string | undefined {
  if (fields === null) return undefined;
  if (typeof fields.reason === 'string') return fields.reason;
  const err = fields.err;
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  return undefined;
}
