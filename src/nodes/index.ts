/** @module nodes layer (see SPEC). */
export {};
