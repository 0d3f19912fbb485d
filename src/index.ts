// skiff as a library (docs/api.md).
//
// 1. The container API: containers as objects, stdio as streams, wait(),
//    hook callbacks, AbortSignal, `await using`.
export { create, open, run, list, features, newId, Runtime, Container, ExecProcess } from './api/index.ts';
export type {
  CreateOptions, RunOptions, RunResult, ExecOptions, ExitStatus, Output, HookCallbacks, CommonOptions,
  EventOptions, ContainerEvent, StdioOption, StdioSlot, StdioStreams, Operation,
} from './api/index.ts';

// 2. The OCI runtime-spec types (config, state, features) and errors.
export * from './spec/types.ts';
export { SkiffError, SpecError, UsageError, NotFoundError } from './errors.ts';
export type { ContainerState } from './container/query.ts';
export type { CgroupStats } from './cgroups/index.ts';
export { defaultSpec } from './spec/default.ts';
export { validateSpec } from './spec/validate.ts';
export { loadBundle } from './spec/load.ts';

// 3. The command layer: the functions the CLI's commands call, one per
//    command (the container API above is built on them).
export { createContainer, type CreateOptions as CreateContainerOptions, type Created } from './container/create.ts';
export { startContainer } from './container/start.ts';
export { killContainer } from './container/kill.ts';
export { deleteContainer } from './container/delete.ts';
export { containerState, listContainers } from './container/query.ts';
export { runContainer, type RunOptions as RunContainerOptions } from './container/run.ts';
export { execProcess, type ExecOptions as ExecProcessOptions } from './container/exec.ts';
export { pauseContainer, resumeContainer } from './container/pause.ts';
export { updateContainer } from './container/update.ts';
export { loadContainer, type Loaded } from './container/load.ts';
export { buildCreatePlan } from './plan/build.ts';
export { formatPlan } from './plan/encode.ts';
