/* rusage: run a command, report its wall time and the rusage of its whole
 * waited-for process tree (wait4), like /usr/bin/time but machine-readable
 * and with an optional setns() into a mount namespace before exec (so crun
 * can be run inside crun-hybrid.sh's view without an extra nsenter exec).
 *
 *   rusage [-n /proc/PID/ns/mnt] [-d DIR] [-o REPORT] -- PROG [ARGS...]
 *
 * The report is written to REPORT (default: the last line on stderr):
 *   @@RUSAGE {"wall_ns":..,"utime_us":..,"stime_us":..,"maxrss_kb":..,"status":..}
 * (Use -o and give the command files, not pipes, as stdout/stderr: a runtime's
 * `create` hands its stdio to the container's waiting init, so a pipe would not
 * see EOF until the container is deleted.)
 * "status" is the exit code, or 128+signal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  const char *ns = NULL, *dir = NULL, *out = NULL;
  int i = 1;
  for (; i < argc; i++) {
    if (!strcmp(argv[i], "-n") && i + 1 < argc) ns = argv[++i];
    else if (!strcmp(argv[i], "-d") && i + 1 < argc) dir = argv[++i];
    else if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
    else if (!strcmp(argv[i], "--")) { i++; break; }
    else break;
  }
  if (i >= argc) { fprintf(stderr, "usage: rusage [-n NSFILE] [-d DIR] -- PROG [ARGS...]\n"); return 127; }
  int nsfd = -1;
  if (ns && (nsfd = open(ns, O_RDONLY | O_CLOEXEC)) < 0) { perror(ns); return 127; }
  long long t0 = now_ns();
  pid_t pid = fork();
  if (pid < 0) { perror("fork"); return 127; }
  if (pid == 0) {
    if (nsfd >= 0 && setns(nsfd, CLONE_NEWNS) < 0) { perror("setns"); _exit(127); }
    if (dir && chdir(dir) < 0) { perror(dir); _exit(127); }
    execvp(argv[i], argv + i);
    perror(argv[i]);
    _exit(127);
  }
  int st;
  struct rusage ru;
  while (wait4(pid, &st, 0, &ru) < 0) if (errno != EINTR) { perror("wait4"); return 127; }
  long long t1 = now_ns();
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  FILE *rep = stderr;
  if (out && !(rep = fopen(out, "w"))) { perror(out); rep = stderr; }
  fprintf(rep, "\n@@RUSAGE {\"wall_ns\":%lld,\"utime_us\":%lld,\"stime_us\":%lld,\"maxrss_kb\":%ld,\"status\":%d}\n",
          t1 - t0, (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
          (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec, ru.ru_maxrss, code);
  if (rep != stderr) fclose(rep);
  return code;
}
