// The config file names looked for in a project root, in order. A leaf module, so a daemon
// client can tell whether a directory is a project without loading the config loader.
export const CONFIG_NAMES = ['pipeline.config.ts', 'pipeline.config.mts', 'pipeline.config.js', 'pipeline.config.mjs'] as const;
