/* libseccomp reference for the seccomp benchmark: reads a flat rule file
 * (written by bench/run.mjs from an OCI linux.seccomp object), builds the
 * filter the way runc does (seccomp_init, arch_add, rule_add per name,
 * unknown names skipped), exports the BPF, and reports the time of
 * build+export (cold first iteration and the median of the rest) and the
 * instruction count, with libseccomp's default (linear) and, if asked,
 * binary-tree optimisation (SCMP_FLTATR_CTL_OPTIMIZE=2).
 *
 * Rule file lines:
 *   D <default action u32>
 *   A <arch token u32>
 *   R <action u32> <name> <nargs> [<index> <op> <value> <valueTwo>]...
 *
 *   seccomp-lib RULEFILE ITERATIONS OPTIMIZE(0|2)
 * prints {"cold_ms":..,"median_ms":..,"min_ms":..,"insns":..,"rules":..,"skipped":..}
 */
#define _GNU_SOURCE
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

struct rule { uint32_t action; char name[64]; int nargs; struct scmp_arg_cmp args[6]; };

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
static int cmpd(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: seccomp-lib RULEFILE ITERATIONS OPTIMIZE\n"); return 2; }
  FILE *f = fopen(argv[1], "r");
  if (!f) { perror(argv[1]); return 1; }
  int iters = atoi(argv[2]), opt = atoi(argv[3]);
  uint32_t dflt = 0, arches[8];
  int narch = 0, nrules = 0;
  static struct rule rules[2048];
  char kind[4];
  while (fscanf(f, "%3s", kind) == 1) {
    if (!strcmp(kind, "D")) { if (fscanf(f, "%u", &dflt) != 1) return 1; }
    else if (!strcmp(kind, "A")) { if (narch < 8 && fscanf(f, "%u", &arches[narch]) == 1) narch++; }
    else if (!strcmp(kind, "R")) {
      struct rule *r = &rules[nrules++];
      if (fscanf(f, "%u %63s %d", &r->action, r->name, &r->nargs) != 3) return 1;
      for (int i = 0; i < r->nargs && i < 6; i++) {
        unsigned a, o; unsigned long long v, v2;
        if (fscanf(f, "%u %u %llu %llu", &a, &o, &v, &v2) != 4) return 1;
        r->args[i] = (struct scmp_arg_cmp){ a, (enum scmp_compare)o, v, v2 };
      }
    }
  }
  fclose(f);
  int memfd = memfd_create("bpf", 0);
  double *t = calloc(iters, sizeof *t);
  long insns = 0; int skipped = 0;
  for (int it = 0; it < iters; it++) {
    double t0 = now_ms();
    scmp_filter_ctx ctx = seccomp_init(dflt);
    if (!ctx) { fprintf(stderr, "seccomp_init failed\n"); return 1; }
    if (opt) seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, opt);
    for (int a = 0; a < narch; a++) if (arches[a] != seccomp_arch_native()) seccomp_arch_add(ctx, arches[a]);
    skipped = 0;
    for (int i = 0; i < nrules; i++) {
      int nr = seccomp_syscall_resolve_name(rules[i].name);
      if (nr == __NR_SCMP_ERROR) { skipped++; continue; }
      if (rules[i].action == dflt) continue;
      int rc = seccomp_rule_add_array(ctx, rules[i].action, nr, rules[i].nargs, rules[i].args);
      if (rc < 0) skipped++;
    }
    ftruncate(memfd, 0); lseek(memfd, 0, SEEK_SET);
    if (seccomp_export_bpf(ctx, memfd) < 0) { fprintf(stderr, "export failed\n"); return 1; }
    t[it] = now_ms() - t0;
    insns = lseek(memfd, 0, SEEK_CUR) / 8;
    seccomp_release(ctx);
  }
  double cold = t[0];
  qsort(t + 1, iters - 1, sizeof *t, cmpd);
  printf("{\"cold_ms\":%.4f,\"median_ms\":%.4f,\"min_ms\":%.4f,\"insns\":%ld,\"rules\":%d,\"skipped\":%d,\"optimize\":%d}\n",
         cold, iters > 1 ? t[1 + (iters - 1) / 2] : cold, iters > 1 ? t[1] : cold, insns, nrules, skipped, opt);
  return 0;
}
