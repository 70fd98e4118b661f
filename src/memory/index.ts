/** @module memory layer (see SPEC). */
export {};
