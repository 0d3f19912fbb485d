// OCI runtime-spec: types, validation, defaults, bundle loading.
export * from './types.ts';
export { validateSpec, validateProcess, validateResources, normalizeSysctlName, NAMESPACE_TYPES, SECCOMP_ACTIONS, SECCOMP_OPERATORS, SECCOMP_ARCHES } from './validate.ts';
export type { ValidateOptions, ValidateResult } from './validate.ts';
export { defaultSpec, formatSpec, goQuote, RUNC_SPEC_VERSION } from './default.ts';
export { CAPABILITIES, CAP_LAST_CAP, capMask, capNames, capNumber, capName, isKnownCapability } from './capabilities.ts';
export { RLIMITS, RLIM_INFINITY, rlimitNumber, rlimitName, rlimitValue } from './rlimits.ts';
export { loadBundle, loadProcessFile, readJsonFile, parseJson, findJsonError, MAX_CONFIG_SIZE } from './load.ts';
export type { LoadOptions, LoadedBundle } from './load.ts';
