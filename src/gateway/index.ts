/** @module gateway layer (see SPEC). */
export {};
