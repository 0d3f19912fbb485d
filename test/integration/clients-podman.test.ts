// podman 4.3 + conmon running skiff (scenario in test/clients/podman.ts).
// Runs in CI: scripts/setup.sh installs the clients (scripts/clients/install.sh).
import { podmanScenario } from '../clients/podman.ts';

podmanScenario();
