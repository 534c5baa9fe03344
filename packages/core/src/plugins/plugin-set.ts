import { ConfigError, ServiceUnavailableError } from '../errors/index.js';
import type { Route } from '../http/route.js';
import type { Logger } from '../logging/logger.js';
import type { GatewayServices } from '../services.js';
import type { GatewayPlugin } from './plugin.js';

/** A gateway's plugins, checked once: their routes, their start in order and their close in reverse. */
export class PluginSet {
  readonly #plugins: readonly GatewayPlugin[];

  constructor(plugins: readonly GatewayPlugin[]) {
    const names = new Set<string>();
    plugins.forEach((plugin, i) => {
      const path = `plugins[${i}].name`;
      if (typeof plugin.name !== 'string' || plugin.name === '') throw new ConfigError([{ path, message: 'a gateway plugin needs a name' }]);
      if (names.has(plugin.name)) throw new ConfigError([{ path, message: `another plugin is already named ${JSON.stringify(plugin.name)}` }]);
      names.add(plugin.name);
    });
    this.#plugins = plugins;
  }

  get routes(): Route[] {
    return this.#plugins.flatMap((plugin) => plugin.routes ?? []);
  }

  /**
   * Starts every plugin in order. The promise never goes unhandled (nobody may be waiting when a
   * plugin fails); those who await it get a 503 that names the plugin, not its internal error.
   */
  start(services: GatewayServices): Promise<void> {
    const started = (async () => {
      for (const plugin of this.#plugins) {
        try {
          await plugin.onInit?.(services);
        } catch (error) {
          services.logger.error('a gateway plugin failed to start', { plugin: plugin.name, error });
          throw new ServiceUnavailableError('plugin_unavailable', `the gateway plugin ${JSON.stringify(plugin.name)} failed to start`, { cause: error });
        }
      }
    })();
    started.catch(() => undefined);
    return started;
  }

  /** Closes in reverse order, so a plugin never outlives one it was built on; one failure does not stop the rest. */
  async close(logger: Logger): Promise<void> {
    for (const plugin of [...this.#plugins].reverse()) {
      try {
        await plugin.close?.();
      } catch (error) {
        logger.error('a gateway plugin failed to close', { plugin: plugin.name, error });
      }
    }
  }
}
