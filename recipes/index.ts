/**
 * The package entry: the core plus every recipe.
 */
export * from '../src/index.js';
