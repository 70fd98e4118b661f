/** @module cli layer (see SPEC). */
export {};
