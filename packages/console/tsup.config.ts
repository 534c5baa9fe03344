import { packageBuild } from '../../tsup.shared';

// The server side only; the page itself is built by Vite into web/ (`npm run build:web`).
export default packageBuild();
