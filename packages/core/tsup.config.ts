import { packageBuild } from '../../tsup.shared';

// Three entries: the library, its `/http` subpath for route, plugin and adapter authors, and the
// `agent-gateway` command (package.json "bin"); the shared build keeps `splitting: true`, so all
// three use one copy of each class.
export default packageBuild({ index: 'src/index.ts', http: 'src/http/public.ts', cli: 'src/cli.ts' });
