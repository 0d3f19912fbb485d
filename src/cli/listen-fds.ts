// systemd socket activation: LISTEN_FDS fds (from 3) pass to the container
// like --preserve-fds, as runc does.
export function listenFds(): number {
  const n = Number(process.env.LISTEN_FDS ?? 0);
  return Number.isInteger(n) && n > 0 && n < 1000 ? n : 0;
}
