import type { Approval, ApprovalState, ApprovalStore, ApprovalVote, TransitionResult, VoteResult } from '@agent-gateway/core';
import type { RedisState } from './redis-state.js';

/*
 * Layout (every key under one `{approvals}` hash tag, so the scripts work on Redis Cluster):
 *   {approvals}:a:<id>          hash, one field per Approval property, each value JSON
 *   {approvals}:all             sorted set of ids by createdAt
 *   {approvals}:state:<state>   sorted set of ids by createdAt, one per state
 *   {approvals}:finished        sorted set of ids by when they reached a final state (for prune)
 *   {approvals}:v:<id>          set of the normalised usernames that approved it (a quorum's)
 * Each property is its own JSON value so Lua never decodes the caller's args or results: a
 * round trip through Lua's cjson would turn `[]` into `{}` and change the digest.
 */

// KEYS: approval hash, all, set of its state. ARGV: created-at score, id, then the property/JSON pairs.
const INSERT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[2])
return 1`;

// KEYS: approval hash, all, finished, then the set of every state in STATES order.
// ARGV: id, now (ms), JSON array of the allowed states, JSON array of STATES, then the patch's
//       property/JSON pairs. States are compared as the JSON strings the hash holds.
// One script: of concurrent transitions from any number of connections exactly one sees its `from`.
const TRANSITION = `
local current = redis.call('HGET', KEYS[1], 'state')
if not current then return {0} end
local ok = false
for _, state in ipairs(cjson.decode(ARGV[3])) do
  if state == current then ok = true end
end
if not ok then return {0, redis.call('HGETALL', KEYS[1])} end
if #ARGV > 4 then redis.call('HSET', KEYS[1], unpack(ARGV, 5)) end
local next = redis.call('HGET', KEYS[1], 'state')
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
for i, state in ipairs(cjson.decode(ARGV[4])) do
  redis.call('ZREM', KEYS[3 + i], ARGV[1])
  if state == next then redis.call('ZADD', KEYS[3 + i], score, ARGV[1]) end
end
if next ~= '"pending"' and next ~= '"approved"' then redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1]) end
return {1, redis.call('HGETALL', KEYS[1])}`;

// KEYS: approval hash, its voters set, pending set, approved set.
// ARGV: id, voter, the vote as JSON, required, the approved state and the vote as the decision (JSON).
// One script: a vote is counted once (the voters set), the `approvals` array is appended to as text
// (never decoded: cjson would turn an empty array into an object), and the vote that reaches
// `required` moves the call to approved. Of concurrent votes each counts once; one completes it.
const VOTE = `
local current = redis.call('HGET', KEYS[1], 'state')
if not current then return {0} end
if current ~= '"pending"' then return {0, redis.call('HGETALL', KEYS[1])} end
if redis.call('SADD', KEYS[2], ARGV[2]) == 0 then return {2, redis.call('HGETALL', KEYS[1])} end
local list = redis.call('HGET', KEYS[1], 'approvals')
if not list or list == '[]' then list = '[' .. ARGV[3] .. ']' else list = string.sub(list, 1, -2) .. ',' .. ARGV[3] .. ']' end
redis.call('HSET', KEYS[1], 'approvals', list)
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[4]) then
  redis.call('HSET', KEYS[1], 'state', ARGV[5], 'decision', ARGV[3])
  local score = redis.call('ZSCORE', KEYS[3], ARGV[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('ZADD', KEYS[4], score, ARGV[1])
end
return {1, redis.call('HGETALL', KEYS[1])}`;

// KEYS: finished, all, then every state set. ARGV: before (ms), max ids, approval key prefix, voters key prefix.
const PRUNE = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  redis.call('DEL', ARGV[3] .. id, ARGV[4] .. id)
  for i = 1, #KEYS do redis.call('ZREM', KEYS[i], id) end
end
return #ids`;

const STATES: readonly ApprovalState[] = ['pending', 'approved', 'executed', 'failed', 'rejected', 'expired'];
const STATES_JSON = JSON.stringify(STATES.map((state) => JSON.stringify(state)));

/** Options of `new RedisApprovalStore(state, options)`. */
export interface RedisApprovalStoreOptions {
  /** Most approvals `prune` drops per call (it runs again a minute later). Default 1000. */
  readonly pruneBatch?: number;
}

/**
 * Approvals shared by every gateway process on one Redis: created on one, listed, read and decided
 * on any. A decision is one Lua compare-and-set, so of concurrent approves exactly one wins.
 * A finished approval is pruned by when it finished in Redis (not by its decision time).
 */
export class RedisApprovalStore implements ApprovalStore {
  readonly #state: RedisState;
  readonly #pruneBatch: number;

  constructor(state: RedisState, options: RedisApprovalStoreOptions = {}) {
    this.#state = state;
    this.#pruneBatch = options.pruneBatch ?? 1000;
  }

  async insert(approval: Approval): Promise<void> {
    const inserted = await this.#state.run((client) =>
      client.eval(
        INSERT,
        3,
        this.#approvalKey(approval.id),
        this.#key('all'),
        this.#stateKey(approval.state),
        Date.parse(approval.createdAt),
        approval.id,
        ...fieldsOf(approval),
      ),
    );
    if (inserted !== 1) throw new Error(`approval ${approval.id} exists`);
  }

  async get(id: string): Promise<Approval | undefined> {
    const hash = await this.#state.run((client) => client.hgetall(this.#approvalKey(id)));
    return approvalOf(hash);
  }

  async list(filter: { readonly state?: ApprovalState } = {}): Promise<Approval[]> {
    const index = filter.state === undefined ? this.#key('all') : this.#stateKey(filter.state);
    const approvals = await this.#state.run(async (client) => {
      const ids = await client.zrange(index, '0', '-1');
      if (ids.length === 0) return [];
      const pipeline = client.pipeline();
      for (const id of ids) pipeline.hgetall(this.#approvalKey(id));
      const replies = (await pipeline.exec()) ?? [];
      return replies.map(([error, hash]) => {
        if (error !== null) throw error;
        return approvalOf(hash as Record<string, string>);
      });
    });
    // An approval pruned between the index read and its own read is simply gone.
    return approvals.filter((a): a is Approval => a !== undefined && (filter.state === undefined || a.state === filter.state));
  }

  async transition(id: string, from: readonly ApprovalState[], patch: Partial<Approval>): Promise<TransitionResult> {
    const reply = await this.#state.run((client) =>
      client.eval(
        TRANSITION,
        3 + STATES.length,
        this.#approvalKey(id),
        this.#key('all'),
        this.#key('finished'),
        ...STATES.map((state) => this.#stateKey(state)),
        id,
        Date.now(),
        JSON.stringify(from.map((state) => JSON.stringify(state))),
        STATES_JSON,
        // The id is the key: a patch never moves an approval.
        ...fieldsOf({ ...patch, id: undefined }),
      ),
    );
    const [won, flat] = reply as [number, string[] | undefined];
    const current = flat === undefined ? undefined : approvalOf(pairsOf(flat));
    if (won === 1 && current !== undefined) return { ok: true, approval: current };
    return { ok: false, current };
  }

  async addApproval(id: string, vote: ApprovalVote, required: number): Promise<VoteResult> {
    const decision = JSON.stringify(vote.decision);
    const reply = await this.#state.run((client) =>
      client.eval(
        VOTE,
        4,
        this.#approvalKey(id),
        this.#key('v', id),
        this.#stateKey('pending'),
        this.#stateKey('approved'),
        id,
        vote.voter,
        decision,
        required,
        JSON.stringify('approved'),
      ),
    );
    const [outcome, flat] = reply as [number, string[] | undefined];
    const current = flat === undefined ? undefined : approvalOf(pairsOf(flat));
    if (outcome === 1 && current !== undefined) return { ok: true, approval: current };
    return outcome === 2 ? { ok: false, current, duplicate: true } : { ok: false, current };
  }

  async prune(before: number): Promise<number> {
    const removed = await this.#state.run((client) =>
      client.eval(
        PRUNE,
        2 + STATES.length,
        this.#key('finished'),
        this.#key('all'),
        ...STATES.map((state) => this.#stateKey(state)),
        before,
        this.#pruneBatch,
        this.#approvalKey(''),
        this.#key('v', ''),
      ),
    );
    return Number(removed);
  }

  #key(...parts: string[]): string {
    return this.#state.key('{approvals}', ...parts);
  }

  #approvalKey(id: string): string {
    return this.#key('a', id);
  }

  #stateKey(state: ApprovalState): string {
    return this.#key('state', state);
  }
}

function fieldsOf(values: Partial<Approval>): string[] {
  const fields: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined) fields.push(name, JSON.stringify(value));
  }
  return fields;
}

function pairsOf(flat: readonly string[]): Record<string, string> {
  const hash: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) hash[flat[i] as string] = flat[i + 1] as string;
  return hash;
}

function approvalOf(hash: Record<string, string>): Approval | undefined {
  if (hash.id === undefined || hash.state === undefined) return undefined;
  const approval: Record<string, unknown> = {};
  for (const [name, json] of Object.entries(hash)) approval[name] = JSON.parse(json);
  return approval as unknown as Approval;
}
