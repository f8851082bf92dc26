// Configuration problems as the people fixing them need them: one line each, "key.path: message",
// naming the environment variable when the value came from one.
import type * as z from 'zod';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.join('\n')}`);
    this.name = 'ConfigError';
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

const EXPECTED: Record<string, string> = { object: 'a mapping', array: 'a list' };

/**
 * zod's messages in YAML words. Values are described by their type only, never echoed: a
 * misplaced secret must not end up in the journal through an error message.
 */
export function configErrorMap(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== 'invalid_type') return undefined;
  if (issue.input === undefined) return 'Required';
  return `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
}

function keyPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/** One line per problem; `fromEnv` maps key paths to the variables that set them. */
export function problemsFromIssues(
  issues: readonly z.core.$ZodIssue[],
  fromEnv: ReadonlyMap<string, string>,
): string[] {
  return issues.flatMap((issue) => {
    const at = keyPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `${at ? `${at}.` : ''}${key}: unknown key`);
    }
    let message = issue.message;
    if (issue.code === 'invalid_key')
      message = `not a valid key: ${issue.issues[0]?.message ?? issue.message}`;
    if (issue.code === 'invalid_union' && 'discriminator' in issue && 'options' in issue) {
      // The input is the whole entry (parsed with reportInput); only its discriminator is looked at.
      const entry = issue.input as Record<string, unknown> | undefined;
      message =
        entry?.[String(issue.discriminator)] === undefined
          ? 'Required'
          : `expected one of ${(issue.options as unknown[]).map(String).join(', ')}`;
    }
    const variable = fromEnv.get(at);
    return [`${at || '(top level)'}: ${message}${variable ? ` (from ${variable})` : ''}`];
  });
}
