import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { readFileIfExists } from '../storage/atomic-file.js';
import { canonicalJson } from './canonical-json.js';

const CHECKPOINT_TYPE = 'agent-gateway.audit-checkpoint';

/**
 * The zod schema of a signed checkpoint (`<log>.checkpoint.json`): the head of the chain, its key id and
 * signature.
 */
export const auditCheckpointSchema = z
  .object({
    type: z.literal(CHECKPOINT_TYPE),
    version: z.literal(1),
    /** The last entry made durable when this was signed (0 with the genesis hash: an empty log). */
    seq: z.number().int().nonnegative(),
    hash: z.string().regex(/^[0-9a-f]{64}$/),
    ts: z.string(),
    /** First 16 bytes (hex) of the SHA-256 of the public key's SPKI DER: which key signed. */
    key_id: z.string().regex(/^[0-9a-f]{32}$/),
    /** Ed25519 over the canonical JSON of every other field, base64url. */
    signature: z.string().regex(/^[A-Za-z0-9_-]+$/),
  })
  .strict();
/** A signed statement of the head of an audit chain: how far it reached, and its hash there. */
export type AuditCheckpoint = z.infer<typeof auditCheckpointSchema>;

/** Where checkpoints go besides the file beside the log (another host, a bucket, a SIEM). */
export interface CheckpointSink {
  /** Receives each checkpoint as it is signed. */
  write(checkpoint: AuditCheckpoint): void | Promise<void>;
}

export interface AuditKeys {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
  readonly keyId: string;
}

/** The files a log keeps beside itself. */
export function checkpointPathOf(logPath: string): string {
  return `${logPath}.checkpoint.json`;
}
export function privateKeyPathOf(logPath: string): string {
  return `${logPath}.key.pem`;
}
export function publicKeyPathOf(logPath: string): string {
  return `${logPath}.pub.pem`;
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 32);
}

function requireEd25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${what} must be an Ed25519 key, got ${key.asymmetricKeyType ?? key.type}`);
  return key;
}

function keysOf(privateKey: KeyObject): AuditKeys {
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), keyId: keyIdOf(publicKey) };
}

/** A public key from PEM (SPKI, or a private key, whose public half is taken). Throws when it is not Ed25519. */
export function parsePublicKey(pem: string | KeyObject): KeyObject {
  return requireEd25519(typeof pem === 'string' ? createPublicKey(pem) : pem.type === 'private' ? createPublicKey(pem) : pem, 'the audit public key');
}

/**
 * The log's signing key: the embedder's (who then publishes its public half), or the one kept beside
 * the log (`<log>.key.pem`, mode 0600), generated on first use, with its public half written beside
 * it (`<log>.pub.pem`) for offline verification. `knownBefore`: the key file was already there, so
 * the log has been checkpointed before.
 */
export async function loadAuditKeys(logPath: string, given?: KeyObject | string): Promise<{ keys: AuditKeys; knownBefore: boolean }> {
  if (given !== undefined) {
    return { keys: keysOf(requireEd25519(typeof given === 'string' ? createPrivateKey(given) : given, 'signingKey')), knownBefore: false };
  }
  const path = privateKeyPathOf(logPath);
  const pem = await readFileIfExists(path);
  let keys: AuditKeys;
  if (pem === undefined) {
    const { privateKey } = generateKeyPairSync('ed25519');
    // 'wx': two processes opening one log for the first time must not each write a key.
    await writeFile(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    keys = keysOf(privateKey);
  } else {
    try {
      keys = keysOf(requireEd25519(createPrivateKey(pem), path));
    } catch (error) {
      throw new Error(`${path} is not an Ed25519 private key (${error instanceof Error ? error.message : String(error)}); restore it or move the log aside`);
    }
  }
  const publicPath = publicKeyPathOf(logPath);
  if ((await readFileIfExists(publicPath)) !== keys.publicKeyPem) await writeFile(publicPath, keys.publicKeyPem, { mode: 0o644 });
  return { keys, knownBefore: pem !== undefined };
}

function signedPart(checkpoint: Omit<AuditCheckpoint, 'signature'>): Buffer {
  return Buffer.from(
    canonicalJson({ type: checkpoint.type, version: checkpoint.version, seq: checkpoint.seq, hash: checkpoint.hash, ts: checkpoint.ts, key_id: checkpoint.key_id }),
    'utf8',
  );
}

export function signCheckpoint(keys: AuditKeys, head: { seq: number; hash: string }, now: Date): AuditCheckpoint {
  const unsigned = { type: CHECKPOINT_TYPE, version: 1, seq: head.seq, hash: head.hash, ts: now.toISOString(), key_id: keys.keyId } as const;
  return { ...unsigned, signature: sign(null, signedPart(unsigned), keys.privateKey).toString('base64url') };
}

/** `undefined` when the signature verifies with `publicKey`, else why not. */
export function checkpointSignatureProblem(checkpoint: AuditCheckpoint, publicKey: KeyObject): string | undefined {
  const expectedId = keyIdOf(publicKey);
  const valid = verify(null, signedPart(checkpoint), publicKey, Buffer.from(checkpoint.signature, 'base64url'));
  if (valid) return undefined;
  if (checkpoint.key_id !== expectedId) {
    return `the checkpoint names key ${checkpoint.key_id}, not the trusted key ${expectedId}, and its signature does not verify with the trusted key (it was replaced or re-signed)`;
  }
  return 'the checkpoint signature does not verify (the checkpoint was altered)';
}

export type CheckpointRead = { readonly kind: 'ok'; readonly checkpoint: AuditCheckpoint } | { readonly kind: 'missing' } | { readonly kind: 'unreadable'; readonly reason: string };

export async function readCheckpoint(path: string): Promise<CheckpointRead> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'unreadable', reason: `cannot read the checkpoint: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'unreadable', reason: 'the checkpoint is not valid JSON' };
  }
  const parsed = auditCheckpointSchema.safeParse(json);
  return parsed.success ? { kind: 'ok', checkpoint: parsed.data } : { kind: 'unreadable', reason: 'the checkpoint is not an audit checkpoint' };
}
