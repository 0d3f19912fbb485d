// containerd 1.6 + ctr + the runc v2 shim running skiff (scenario in test/clients/containerd.ts).
// Runs in CI: scripts/setup.sh installs the clients (scripts/clients/install.sh).
import { containerdScenario } from '../clients/containerd.ts';

containerdScenario();
