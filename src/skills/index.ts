/** @module skills layer (see SPEC). */
export {};
