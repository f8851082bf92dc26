// action_attempts/get and events/list.
import * as z from 'zod';
import { EVENT_TYPES } from '../../core/events.ts';
import { attemptView } from '../../views/action-attempt-view.ts';
import type { ApiContext } from '../context.ts';
import { actionAttemptNotFound } from '../errors.ts';
import { id, instant, parseParams, requestId } from '../validation.ts';

export const attemptParams = z.strictObject({ request_id: requestId, action_attempt_id: id });

const eventType = z.enum(EVENT_TYPES);
export const eventsParams = z.strictObject({
  request_id: requestId,
  since: instant,
  device_id: id.optional(),
  access_code_id: id.optional(),
  event_type: eventType.optional(),
  event_types: z.array(eventType).max(64).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
});

export function getActionAttempt(ctx: ApiContext, params: unknown) {
  const p = parseParams(attemptParams, params);
  const attempt = ctx.store.attempts.get(p.action_attempt_id);
  if (!attempt) throw actionAttemptNotFound(p.action_attempt_id);
  return { action_attempt: attemptView(attempt) };
}

export function listEvents(ctx: ApiContext, params: unknown) {
  const p = parseParams(eventsParams, params);
  const types = [...(p.event_types ?? []), ...(p.event_type ? [p.event_type] : [])];
  const events = ctx.store.events.list({
    since: p.since,
    ...(p.device_id ? { device_id: p.device_id } : {}),
    ...(p.access_code_id ? { access_code_id: p.access_code_id } : {}),
    event_types: types,
    limit: p.limit ?? 500,
  });
  return { events };
}
