/** @module client layer (see SPEC). */
export {};
