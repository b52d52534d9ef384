// The `docpipe` package: config types and helpers for pipeline.config.ts.
export { definePipeline, defineConfig } from './config/types.js';
export type { PipelineConfig, ToolConfig, RuleConfig, WarmSetting } from './config/types.js';
