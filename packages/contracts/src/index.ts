export * from './alert.schema.ts';
export * from './error.schema.ts';
export * from './http.schema.ts';
export * from './intel.schema.ts';
export * from './observable.schema.ts';
export * from './queues.ts';
export * from './result.schema.ts';
export * from './webhook.schema.ts';
