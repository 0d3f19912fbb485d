// Filled in by esbuild (define) at build time; defaults for tsx runs.
declare const __SKIFF_VERSION__: string | undefined;
declare const __SKIFF_COMMIT__: string | undefined;
export const VERSION: string = typeof __SKIFF_VERSION__ === 'string' ? __SKIFF_VERSION__ : '0.1.0-dev';
export const COMMIT: string = typeof __SKIFF_COMMIT__ === 'string' ? __SKIFF_COMMIT__ : 'unknown';
export const SPEC_VERSION = '1.2.0';
