// The scrubber lives with the rest of redaction; this path stays because code imports it from here.
export { REDACTED, scrubSecrets } from '../redaction/scrub-secrets.js';
