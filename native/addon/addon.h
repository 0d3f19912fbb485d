/* Shared by the addon's source files. */
#ifndef SKIFF_ADDON_H
#define SKIFF_ADDON_H
#include <node_api.h>

/* Throw an Error "what: strerror(err)" (+ "\n" extra, e.g. a verifier log)
 * with .code = the errno's name and .errno; returns NULL for `return`. */
napi_value skiff_throw_errno(napi_env env, int err, const char *what, const char *extra);

/* bpf.c: load a cgroup device program and attach it (replacing ours). */
napi_value skiff_bpf_prog_load_attach(napi_env env, napi_callback_info info) __attribute__((weak));
#endif
