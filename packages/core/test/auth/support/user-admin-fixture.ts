import { GatewayEvents, type GatewayEventMap } from '../../../src/events/gateway-events.js';
import { UserAdmin } from '../../../src/auth/user-admin.js';
import type { UserRecord } from '../../../src/auth/user.js';
import { MemoryUserStore, type UserStore } from '../../../src/auth/user-store.js';
import { silentLogger } from '../../../src/index.js';

export const AT = Date.UTC(2026, 0, 1, 12);
export const SYSTEM = { actor: { kind: 'system', id: 'test' } } as const;

export type AdminEvent = { created: GatewayEventMap['auth.user_created'][0] } | { deleted: GatewayEventMap['auth.user_deleted'][0] };

/** A UserAdmin over `users` whose hash is readable (`hash:<password>`), on a clock the test moves, recording its events. */
export function userAdmin(users: UserStore = new MemoryUserStore()): {
  admin: UserAdmin;
  users: UserStore;
  events: AdminEvent[];
  clock: { now: number };
  /** The passwords hashed so far (each hash is a slow scrypt run in the gateway). */
  hashed: string[];
} {
  const clock = { now: AT };
  const hashed: string[] = [];
  const gatewayEvents = new GatewayEvents(silentLogger);
  const events: AdminEvent[] = [];
  gatewayEvents.on('auth.user_created', (created) => events.push({ created }));
  gatewayEvents.on('auth.user_deleted', (deleted) => events.push({ deleted }));
  const hash = async (password: string): Promise<string> => {
    hashed.push(password);
    return `hash:${password}`;
  };
  const admin = new UserAdmin({ users, events: gatewayEvents, now: () => clock.now, hash });
  return { admin, users, events, clock, hashed };
}

/** A store with the optional atomic `create`, as a shared store has; `createAnswers` scripts what it says. */
export class CreatingUserStore extends MemoryUserStore {
  readonly created: UserRecord[] = [];
  readonly #createAnswers: boolean[];

  constructor(createAnswers: boolean[] = []) {
    super();
    this.#createAnswers = createAnswers;
  }

  async create(user: UserRecord): Promise<boolean> {
    const answer = this.#createAnswers.shift() ?? true;
    if (answer) {
      this.created.push(user);
      await this.put(user);
    }
    return answer;
  }
}
