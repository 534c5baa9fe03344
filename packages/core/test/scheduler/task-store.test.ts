import { describe, expect, it } from 'vitest';
import type { TaskChange, TaskDefinition, TaskStore } from '../../src/index.js';
import { schedulerGateway } from './scheduler-fixture.js';

/** One list shared by several schedulers in this process, telling each of every change: a stand-in for Redis. */
function sharedStore(): TaskStore & { failing: boolean } {
  let tasks: TaskDefinition[] = [];
  const listeners = new Set<(tasks: TaskDefinition[]) => void>();
  return {
    failing: false,
    async load() {
      return [...tasks];
    },
    async update(this: { failing: boolean }, change: TaskChange) {
      if (this.failing) throw Object.assign(new Error('down'), { status: 503 });
      tasks = change(tasks);
      for (const listener of listeners) listener([...tasks]);
      return [...tasks];
    },
    watch(onChange) {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
  };
}

describe('a scheduler on a watched TaskStore', () => {
  it('arms, changes and disarms tasks changed by another scheduler, keeping its own counts', async () => {
    const store = sharedStore();
    const a = await schedulerGateway({ scheduler: { store } });
    const b = await schedulerGateway({ scheduler: { store } });
    for (const { gateway } of [a, b]) {
      await gateway.scheduler.load();
      gateway.scheduler.start();
    }
    await a.gateway.scheduler.upsert({ name: 'hourly', tool: 'count', args: { n: 1 }, every: '1h', runAs: 'bot' });
    expect(b.gateway.scheduler.get('hourly')).toMatchObject({ args: { n: 1 }, next_run_at: expect.any(String) });
    await b.gateway.scheduler.runNow('hourly');

    await a.gateway.scheduler.upsert({ name: 'hourly', tool: 'count', args: { n: 2 }, every: '1h', runAs: 'bot' });
    expect(b.gateway.scheduler.get('hourly')).toMatchObject({ args: { n: 2 }, runs: 1, next_run_at: expect.any(String) });
    await a.gateway.scheduler.setEnabled('hourly', false);
    expect(b.gateway.scheduler.get('hourly')).toMatchObject({ enabled: false, next_run_at: null });
    await b.gateway.scheduler.remove('hourly');
    expect(a.gateway.scheduler.list()).toEqual([]);
    await expect(a.gateway.scheduler.remove('hourly')).rejects.toMatchObject({ status: 404 });
    await Promise.all([a.gateway.close(), b.gateway.close()]);
  });

  it('a change the store refuses leaves this process as it was', async () => {
    const store = sharedStore();
    const { gateway } = await schedulerGateway({ scheduler: { store } });
    await gateway.scheduler.load();
    gateway.scheduler.start();
    await gateway.scheduler.upsert({ name: 'hourly', tool: 'count', args: { n: 1 }, every: '1h', runAs: 'bot' });
    store.failing = true;
    await expect(gateway.scheduler.remove('hourly')).rejects.toThrow('down');
    await expect(gateway.scheduler.setEnabled('hourly', false)).rejects.toThrow('down');
    await expect(gateway.scheduler.upsert({ name: 'other', tool: 'count', args: { n: 1 }, every: '1h', runAs: 'bot' })).rejects.toThrow('down');
    expect(gateway.scheduler.list().map((task) => [task.name, task.enabled, typeof task.next_run_at])).toEqual([['hourly', true, 'string']]);
    await gateway.close();
  });
});
