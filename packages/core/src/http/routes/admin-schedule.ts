import { taskInputSchema } from '../../scheduler/schedule.js';
import { defineRoute } from '../route.js';
import { jsonResponse } from '../responses.js';

export const adminScheduleRoutes = [
  defineRoute({
    method: 'GET',
    path: '/admin/schedule',
    summary: 'Scheduled tasks with their next run, counts and recent runs',
    auth: ['admin'],
    handle: ({ services }) => jsonResponse(200, { tasks: services.scheduler.list() }),
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/schedule',
    summary:
      'Create or replace a task {name, tool, args, every, runAs, enabled, jitterMs}; every: 30s | 5m | 7d | ms (one second to one year) | cron. ' +
      '422 for a task that could never run as given (its user, its args) or whose args hold a secret',
    auth: ['admin'],
    body: taskInputSchema,
    async handle({ services, body }) {
      return jsonResponse(200, await services.scheduler.upsert(body));
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/schedule/:name/run',
    summary: 'Run a task now; answers with the run',
    auth: ['admin'],
    async handle({ services, params }) {
      return jsonResponse(200, await services.scheduler.runNow(params.name ?? ''));
    },
  }),
  ...([true, false] as const).map((enabled) =>
    defineRoute({
      method: 'POST',
      path: `/admin/schedule/:name/${enabled ? 'enable' : 'disable'}`,
      summary: enabled ? 'Enable a task' : 'Disable a task (it keeps its history)',
      auth: ['admin'],
      async handle({ services, params }) {
        return jsonResponse(200, await services.scheduler.setEnabled(params.name ?? '', enabled));
      },
    }),
  ),
  defineRoute({
    method: 'DELETE',
    path: '/admin/schedule/:name',
    summary: 'Delete a task',
    auth: ['admin'],
    async handle({ services, params }) {
      await services.scheduler.remove(params.name ?? '');
      return jsonResponse(200, { deleted: params.name });
    },
  }),
];
