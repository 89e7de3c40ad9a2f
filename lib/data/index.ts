export * from './npy.ts';
export * from './manifest.ts';
