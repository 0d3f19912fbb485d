// docker 20.10 (dockerd + containerd + runc v2 shim) running skiff (scenario in test/clients/docker.ts).
// Runs in CI: scripts/setup.sh installs the clients (scripts/clients/install.sh).
import { dockerScenario } from '../clients/docker.ts';

dockerScenario();
