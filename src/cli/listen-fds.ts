// systemd socket activation: LISTEN_FDS fds (from 3) pass to the container
// like --preserve-fds, as runc does (go-systemd's activation.Files): only when
// LISTEN_PID is this process; the container's process then gets
// LISTEN_FDS=N and LISTEN_PID=1.
export function listenFds(): number {
  if (Number(process.env.LISTEN_PID) !== process.pid) return 0;
  const n = Number(process.env.LISTEN_FDS ?? 0);
  return Number.isInteger(n) && n > 0 && n < 1000 ? n : 0;
}
