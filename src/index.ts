// skiff as a library: the same functions the CLI calls.
export * from './spec/types.ts';
export { SkiffError, SpecError, UsageError, NotFoundError } from './errors.ts';
export { createContainer, type CreateOptions, type Created } from './container/create.ts';
export { startContainer } from './container/start.ts';
export { killContainer } from './container/kill.ts';
export { deleteContainer } from './container/delete.ts';
export { containerState, listContainers, type ContainerState } from './container/query.ts';
export { runContainer, type RunOptions } from './container/run.ts';
export { defaultSpec } from './spec/default.ts';
export { validateSpec } from './spec/validate.ts';
export { buildCreatePlan } from './plan/build.ts';
export { formatPlan } from './plan/encode.ts';
