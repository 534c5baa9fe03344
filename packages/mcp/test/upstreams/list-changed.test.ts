import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, FAULTY_SERVER, startUpstreamGateway, stdio, type UpstreamGateway } from './support/upstream-gateway.js';

describe('notifications/tools/list_changed from an upstream', () => {
  let served: UpstreamGateway;
  const events: string[] = [];

  beforeAll(async () => {
    served = await startUpstreamGateway([{ name: 'changing', transport: stdio(FAULTY_SERVER) }]);
    served.gateway.events.on('tool.registered', ({ tool }) => events.push(`+${tool}`));
    served.gateway.events.on('tool.unregistered', ({ tool }) => events.push(`-${tool}`));
  }, 60_000);
  afterAll(async () => {
    await served?.close();
  });

  const listed = async () => (await served.get('/tools')).json<{ tools: Array<{ name: string }> }>().tools.map((tool) => tool.name);

  it('registers a tool the upstream adds, and it can be called', async () => {
    expect(await listed()).not.toContain('changing.added');
    expect((await served.call('changing.add_tool', {})).status).toBe(200);
    await eventually(async () => (await listed()).includes('changing.added'), 'the added tool to be listed');
    expect(events).toContain('+changing.added');
    const response = await served.call('changing.added', {});
    expect(response.status, response.text).toBe(200);
  });

  it('unregisters a tool the upstream removes: its calls then get 404', async () => {
    expect((await served.call('changing.remove_tool', {})).status).toBe(200);
    await eventually(async () => !(await listed()).includes('changing.echo'), 'the removed tool to leave the listing');
    expect(events).toContain('-changing.echo');
    expect((await served.call('changing.echo', { text: 'gone' })).status).toBe(404);
    expect(await listed()).toContain('changing.added');
  });
});
