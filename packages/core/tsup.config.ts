import { packageBuild } from '../../tsup.shared';

// Two entries: the library and its `/http` subpath for route, plugin and adapter authors; the shared
// build keeps `splitting: true`, so both use one copy of each class. The `agent-gateway` command is
// `@agent-gateway/server`'s (it runs `runAuditCommand` from here).
export default packageBuild({ index: 'src/index.ts', http: 'src/http/public.ts' });
