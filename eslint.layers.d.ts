import type { Linter } from 'eslint';

/** The services' layering as flat-config blocks of `no-restricted-imports` (eslint.layers.js). */
export declare const layers: Linter.Config[];
