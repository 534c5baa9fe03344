import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, Gateway, silentLogger, type GatewayRequest } from '../src/index.js';
import { defineRoute, definePlugin, jsonResponse } from '../src/http/public.js';

const get = (url: string): GatewayRequest => ({ method: 'GET', url, headers: {}, body: { kind: 'none' } });

const hello = definePlugin({
  name: 'hello',
  routes: [defineRoute({ method: 'GET', path: '/hello', summary: 'Says hello', auth: 'none', handle: () => jsonResponse(200, { hello: 'world' }) })],
});

describe('gateway plugins', () => {
  it('serves plugin routes beside core routes', async () => {
    const gateway = new Gateway({ logger: silentLogger, plugins: [hello] });
    expect(await gateway.handle(get('/hello'))).toMatchObject({ status: 200, body: '{"hello":"world"}' });
    expect(await gateway.handle(get('/health'))).toMatchObject({ status: 200 });
    await gateway.close();
  });

  it('refuses two plugins of one name, a nameless plugin, and a route core (or another plugin) already serves', () => {
    expect(() => new Gateway({ logger: silentLogger, plugins: [hello, { ...hello }] })).toThrow(ConfigError);
    expect(() => new Gateway({ logger: silentLogger, plugins: [{ name: '' }] })).toThrow(/needs a name/);
    const shadow = definePlugin({
      name: 'shadow',
      routes: [defineRoute({ method: 'GET', path: '/health', summary: 'x', auth: 'none', handle: () => jsonResponse(200, { fake: true }) })],
    });
    expect(() => new Gateway({ logger: silentLogger, plugins: [shadow] })).toThrow(/duplicate route GET \/health/);
  });

  it('starts plugins in order with the services, holds requests until they have, and closes them in reverse', async () => {
    const order: string[] = [];
    let release!: () => void;
    const slow = definePlugin({
      name: 'slow',
      async onInit(services) {
        order.push('init slow');
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        services.registerTool({ name: 'slow.tool', description: 'from a plugin', args: z.object({}), run: () => 'ok' });
      },
      close: () => void order.push('close slow'),
    });
    const after = definePlugin({ name: 'after', onInit: () => void order.push('init after'), close: () => void order.push('close after') });
    const gateway = new Gateway({ logger: silentLogger, plugins: [slow, after, hello] });
    const pending = gateway.handle(get('/tools'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['init slow']);
    release();
    const tools = await pending;
    expect(tools?.status).toBe(200);
    expect(JSON.parse((tools as { body: string }).body)).toMatchObject({ tools: [{ name: 'slow.tool' }] });
    expect(order).toEqual(['init slow', 'init after']);
    await gateway.close();
    expect(order).toEqual(['init slow', 'init after', 'close after', 'close slow']);
  });

  it('answers 503 plugin_unavailable, naming the plugin but not its error, when a plugin fails to start', async () => {
    const broken = definePlugin({
      name: 'broken',
      onInit: () => {
        throw new Error('upstream password is hunter2');
      },
    });
    const gateway = new Gateway({ logger: silentLogger, plugins: [broken] });
    const response = await gateway.handle(get('/health'));
    expect(response).toMatchObject({ status: 503 });
    const body = (response as { body: string }).body;
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'plugin_unavailable' } });
    expect(body).toContain('broken');
    expect(body).not.toContain('hunter2');
    await gateway.close();
  });

  it('closes every plugin even when one fails to close', async () => {
    const closed: string[] = [];
    const gateway = new Gateway({
      logger: silentLogger,
      plugins: [
        definePlugin({ name: 'a', close: () => void closed.push('a') }),
        definePlugin({
          name: 'b',
          close: () => {
            throw new Error('b will not close');
          },
        }),
      ],
    });
    await gateway.close();
    expect(closed).toEqual(['a']);
  });
});
