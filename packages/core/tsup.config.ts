import { packageBuild } from '../../tsup.shared';

// Two entries: the library and the `agent-gateway` command (package.json "bin"); the shared
// build keeps `splitting: true`, so both use one copy of each class.
export default packageBuild(['src/index.ts', 'src/cli.ts']);
