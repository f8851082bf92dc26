// How a lock's refusal reads on the access code (never with the PIN in it).
import type { DriverError } from '../../drivers/driver.ts';
import type { AccessCodeErrorCode } from '../core/access-code.ts';

export function refusalError(error: DriverError): { code: AccessCodeErrorCode; message: string } {
  switch (error.kind) {
    case 'duplicate_code':
      return {
        code: 'duplicate_code_on_device',
        message:
          error.other_slot === null
            ? 'The lock already holds this PIN in another slot.'
            : `The lock already holds this PIN in slot ${error.other_slot}.`,
      };
    case 'no_space':
      return {
        code: 'no_space_for_access_code_on_device',
        message: 'The lock has no free slot for this code.',
      };
    case 'bad_code':
      return {
        code: 'bad_code_on_device',
        message: "The lock refused the code: it breaks the lock's code rules.",
      };
    case 'unsupported':
      return {
        code: 'unsupported_by_device',
        message: 'The lock does not support this code (for example its schedule).',
      };
    default:
      return { code: 'failed_to_set_on_device', message: `The lock refused the code (${error.kind}).` };
  }
}
